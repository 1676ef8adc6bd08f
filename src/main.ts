// `npm start`: the whole platform with embedded defaults. Prints where the API and the dashboard are;
// Ctrl-C (SIGINT) or SIGTERM stops everything in reverse order and exits 0.
import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './log.ts';
import { startPlatform, type Platform } from './app/platform.ts';
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
const log = createLogger(config.logLevel, 'emostream');
const t0 = Date.now();
let platform: Platform | null = null;
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
  platform = await startPlatform(config, { log });
} catch (err) {
  log.error(`start-up failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
if (stopping) await new Promise(() => {}); // a signal arrived during start-up; shutdown() exits
const secs = ((Date.now() - t0) / 1000).toFixed(1);
process.stdout.write(
  `\nEmoStream is up in ${secs} s (Node ${process.version})\n` +
    `  API        ${platform.url}  (POST /v1/emoji, /v1/emoji/batch; GET /readyz)\n` +
    (config.compat.paths.length ? `  compat     POST ${config.compat.paths.join(', ')} (clients of the original project)\n` : '') +
    `  dashboard  ${platform.url}/\n` +
    `  Kafka      ${platform.brokers.join(',')}${config.kafka.brokers ? '' : ' (embedded)'}\n` +
    `  data       ${config.dataDir}\n` +
    `Ctrl-C stops everything.\n\n`,
);
