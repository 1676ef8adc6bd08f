// The HTTP server's connection and time limits (README "Limits"), applied where the server is created
// (src/app/platform.ts): a cap on connections that keeps FD_RESERVE descriptors for Kafka and the JVM,
// deadlines on request headers and on the whole request (Node answers 408 and closes the connection), and
// keep-alive limits. Node checks the header and request deadlines every `connectionsCheckingInterval`
// (30 s by default, far coarser than the deadlines): checked at a tenth of the shorter one here.
import type { Server, ServerOptions } from 'node:http';
import type { Config } from '../config.ts';
import type { ConnectionBudget } from '../limits/descriptors.ts';

export function serverOptions(l: Config['limits']): ServerOptions {
  return {
    headersTimeout: l.headersTimeoutMs,
    requestTimeout: l.requestTimeoutMs,
    keepAliveTimeout: l.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(Math.min(l.headersTimeoutMs, l.requestTimeoutMs) / 10))),
  };
}

/** Applies what createServer's options do not carry; returns what was set (logged at start-up). */
export function applyServerLimits(server: Server, l: Config['limits'], budget: ConnectionBudget): string {
  server.headersTimeout = l.headersTimeoutMs;
  server.requestTimeout = l.requestTimeoutMs;
  server.keepAliveTimeout = l.keepAliveTimeoutMs;
  server.maxRequestsPerSocket = l.keepAliveMaxRequests;
  if (budget.maxConnections > 0) server.maxConnections = budget.maxConnections;
  return (
    `connections ≤ ${budget.maxConnections || 'unlimited'}, SSE streams ≤ ${budget.maxStreams || 'unlimited'} (${l.sseStreamsPerAddress} per address), ` +
    `headers ${l.headersTimeoutMs} ms, request ${l.requestTimeoutMs} ms, keep-alive ${l.keepAliveTimeoutMs} ms / ${l.keepAliveMaxRequests || 'unlimited'} requests`
  );
}
