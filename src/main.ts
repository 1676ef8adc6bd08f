// `npm start`: the whole platform with embedded defaults. Prints where the API and the dashboard are;
// Ctrl-C (SIGINT) or SIGTERM stops everything in reverse order and exits 0.
// With API_WORKERS=N this process is the primary (the broker, the Spark job, N supervised API workers sharing
// PORT: src/app/workers.ts), and each worker runs this file again as one API instance.
import cluster from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { bootstrapServers, ConfigError, loadConfig } from './config.ts';
import { createLogger } from './log.ts';
import { startPlatform } from './app/platform.ts';
import { deploymentSecret, startWorkers, workersReadiness, type WorkerMessage, type WorkerState } from './app/workers.ts';
import { killChildJvms } from './processes/java-process.ts';

let config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\nSee README.md, "Configuration", for every option and its default.\n`);
    process.exit(2);
  }
  throw err;
}
const worker = cluster.isWorker ? config.deployment.workerIndex : null;
const primary = cluster.isPrimary && config.deployment.apiWorkers > 1;
const log = createLogger(config.logLevel, worker === null ? (primary ? 'emostream-primary' : 'emostream') : `emostream-w${worker}`, {
  format: config.logFormat,
  fields: worker === null ? {} : { worker }, // kept by every part's child logger
});
// one secret per deployment for the stream tokens: the workers receive the primary's
config = { ...config, deployment: { ...config.deployment, streamTokenSecret: deploymentSecret(config) } };
const t0 = Date.now();
let platform: { url: string; stop(): Promise<void> } | null = null;
let stopping = 0;

async function shutdown(signal: string): Promise<void> {
  if (stopping) {
    // npm forwards the terminal's SIGINT to us as well: a second signal counts only once a moment has passed.
    if (Date.now() - stopping < 1500) return;
    log.warn(`${signal} again: exiting now`);
    process.exit(130);
  }
  stopping = Date.now();
  log.info(`${signal}: stopping (again to force)`);
  try {
    await platform?.stop();
    log.info('stopped cleanly');
    process.exit(0);
  } catch (err) {
    log.error(`shutdown failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
// Installed before anything loads the JVM: with Node listeners present, the in-process JVM (java-bridge)
// leaves SIGINT/SIGTERM to Node, which then stops the parts in order.
process.on('SIGINT', () => void shutdown('SIGINT'));
// A closed terminal or pipe must not crash the platform halfway (that would orphan the child JVMs).
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});
process.on('SIGTERM', () => void shutdown('SIGTERM'));

// A worker: the primary asks it to stop (its own Ctrl-C also reaches it, through the terminal), and a worker
// whose primary is gone stops too. It learns its siblings' phases for /status.
let siblings: WorkerState[] | null = null;
if (cluster.isWorker) {
  process.on('message', (m: WorkerMessage) => {
    if (m?.type === 'emostream.shutdown') void shutdown('primary asked');
    if (m?.type === 'emostream.workers') siblings = m.workers;
  });
  process.on('disconnect', () => void shutdown('primary gone'));
}

// Last resort: an error nothing caught. Node would exit at once, leaving Kafka Streams unclosed (JVM shutdown
// hooks do not run) and the broker and Spark JVMs running. Stop every part in order instead (at most
// LAST_RESORT_MS), kill whatever child JVM is left, and exit non-zero.
const LAST_RESORT_MS = 30_000;
let dying = false;
function lastResort(kind: string, err: unknown): void {
  log.error(`${kind}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  if (dying) return;
  dying = true;
  log.error('stopping every part, then exiting with 1');
  const force = setTimeout(() => {
    log.error(`parts not stopped within ${LAST_RESORT_MS} ms: killing the child JVMs`);
    killChildJvms();
    process.exit(1);
  }, LAST_RESORT_MS);
  void (platform?.stop() ?? Promise.resolve())
    .catch((e: unknown) => log.error(`stopping after the ${kind} failed: ${e instanceof Error ? e.message : String(e)}`))
    .finally(() => {
      clearTimeout(force);
      killChildJvms();
      process.exit(1);
    });
}
process.on('uncaughtException', (err) => lastResort('uncaught exception', err));
process.on('unhandledRejection', (err) => lastResort('unhandled rejection', err));
process.on('exit', () => killChildJvms()); // whatever path exits, no child JVM outlives this process

try {
  if (primary) {
    const mainScript = fileURLToPath(import.meta.url);
    platform = await startWorkers(config, { log, secret: config.deployment.streamTokenSecret!, mainScript });
  } else {
    platform = await startPlatform(config, {
      log,
      status: cluster.isWorker ? [() => workersReadiness(siblings)] : [],
      // a worker whose Kafka Streams could not start exits (stopping in order): the primary starts it again.
      // Not while stopping: closing a Kafka Streams still starting fails its start, and that is the shutdown.
      ...(cluster.isWorker ? { onStartFailure: (part: string, err: Error) => (stopping ? log.info(`${part} stopped while starting`) : lastResort(`start-up of ${part}`, err)) } : {}),
    });
    if (cluster.isWorker) process.send?.({ type: 'emostream.ready', url: platform.url } satisfies WorkerMessage);
  }
} catch (err) {
  log.error(`start-up failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
if (stopping) await new Promise(() => {}); // a signal arrived during start-up; shutdown() exits
if (cluster.isWorker) {
  log.info(`worker ${worker} serving on ${platform.url} (pid ${process.pid})`);
} else {
const secs = ((Date.now() - t0) / 1000).toFixed(1);
process.stdout.write(
  `\nEmoStream is up in ${secs} s (Node ${process.version})\n` +
    `  API        ${platform.url}  (POST /v1/emoji, /v1/emoji/batch; GET /readyz)\n` +
    (config.compat.paths.length ? `  compat     POST ${config.compat.paths.join(', ')} (clients of the original project)\n` : '') +
    `  dashboard  ${platform.url}/\n` +
    `  Kafka      ${bootstrapServers(config).join(',')}${config.kafka.brokers ? '' : ' (embedded)'}\n` +
    `  data       ${config.dataDir}\n` +
    (primary ? `  workers    ${config.deployment.apiWorkers} API processes sharing the port (API_WORKERS)\n` : '') +
    `Ctrl-C stops everything.\n\n`,
);
}
