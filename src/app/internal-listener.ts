// The internal listener: a second HTTP server, on INTERNAL_HOST:INTERNAL_PORT, serving only the internal
// app (src/api/internal.ts) that peers query for the exact counts this instance holds. It is started before
// Kafka Streams, because the address it is reachable at (advertisedHost:bound port) is Kafka Streams'
// `application.server`. `exclusive: true`: under node:cluster a worker's listen() would otherwise share one
// handle (and, with port 0, one port) through the primary; every worker needs its own address.
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';
import type { Config } from '../config.ts';

export interface InternalListener {
  /** host:port peers reach this instance at (Kafka Streams application.server). */
  readonly advertised: string;
  /** Base URL on the bound address, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  stop(): Promise<void>;
}

export async function startInternalListener(o: Config['internal'], app: Hono): Promise<InternalListener> {
  const server = createAdaptorServer({ fetch: app.fetch });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: o.port, host: o.host, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = (h: string) => (h.includes(':') ? `[${h}]` : h);
  return {
    advertised: `${host(o.advertisedHost)}:${addr.port}`,
    url: `http://${host(addr.address)}:${addr.port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as unknown as { closeAllConnections(): void }).closeAllConnections();
      }),
  };
}
