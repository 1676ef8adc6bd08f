// API_WORKERS=N: N API processes on this machine sharing the public port (node:cluster: the primary accepts
// connections and hands them to the workers in turn). The primary runs what a deployment needs once (the
// embedded broker, the platform topics, the Spark job when this instance has the `spark` role) and no HTTP;
// each worker is a whole API instance (src/main.ts → startPlatform) with its own file table, window consumer,
// actors and in-process Kafka Streams instance (one application id for all: they split the partitions).
// Every worker is a supervised part (src/supervision/supervisor.ts): one that dies is restarted after the
// policy's backoff (logged, counted in each worker's /status as `api-workers`), the others keep serving.
// Workers are told of each other's phase and restarts through the cluster IPC channel.
import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bootstrapServers, type Config } from '../config.ts';
import type { Logger } from '../log.ts';
import type { Readiness } from '../ports/readiness.ts';
import { supervise, type Supervised } from '../supervision/supervisor.ts';
import { startPlatform, type Platform } from './platform.ts';
import { supervisorDeps } from './supervision.ts';

/** What a worker tells the primary, and the primary its workers (over the cluster IPC channel). */
export type WorkerMessage =
  | { type: 'emostream.ready'; url: string }
  | { type: 'emostream.shutdown' }
  | { type: 'emostream.workers'; workers: WorkerState[] };

export interface WorkerState {
  index: number;
  pid: number | null;
  phase: string;
  restarts: number;
}

/**
 * The stream-token secret: STREAM_TOKEN_SECRET, else one generated once per data folder and kept in
 * DATA_DIR/stream-token.secret (mode 0600), so tokens outlive a restart and every worker shares it.
 */
export function deploymentSecret(config: Config): string {
  if (config.deployment.streamTokenSecret) return config.deployment.streamTokenSecret;
  const file = join(config.dataDir, 'stream-token.secret');
  if (existsSync(file)) {
    const s = readFileSync(file, 'utf8').trim();
    if (s.length >= 16) return s;
  }
  mkdirSync(config.dataDir, { recursive: true });
  const s = randomBytes(32).toString('base64url');
  writeFileSync(file, s + '\n', { mode: 0o600 });
  return s;
}

/** The environment a worker starts with: the primary's, plus what makes it one worker of this deployment. */
export function workerEnv(config: Config, index: number, secret: string, internalToken: string): Record<string, string> {
  const roles = [...config.deployment.roles].filter((r) => r !== 'spark'); // the Spark job runs once, in the primary
  return {
    // each worker's internal listener (peers' exact-count queries): INTERNAL_PORT + index, or any free port
    INTERNAL_PORT: String(config.internal.port === 0 ? 0 : config.internal.port + index),
    INTERNAL_TOKEN: internalToken,
    API_WORKER_INDEX: String(index),
    KAFKA_BROKERS: bootstrapServers(config).join(','), // the primary's embedded broker, or the configured cluster
    DATA_DIR: join(config.dataDir, 'workers', String(index)), // its own Kafka Streams state and logs
    ROLES: roles.length ? roles.join(',') : 'broadcast',
    STREAM_TOKEN_SECRET: secret,
  };
}

export interface Workers {
  /** The public URL (the port the workers share). */
  readonly url: string;
  readonly workers: Supervised<Worker>[];
  states(): WorkerState[];
  /** Stop the workers (each stops its platform in order), then the primary's parts (Spark, the broker). */
  stop(): Promise<void>;
}

/** How long a worker may take from fork to serving (a Kafka Streams JVM and consumers on a busy machine). */
const WORKER_START_MS = 300_000;
/** How long a worker may take to stop before it is killed. */
const WORKER_STOP_MS = 60_000;

export async function startWorkers(config: Config, o: { log: Logger; secret: string; mainScript: string }): Promise<Workers> {
  const log = o.log;
  // the primary's parts: the broker and the topics, the Spark job (role spark); no HTTP, no ingest, no viewers
  const primary: Platform = await startPlatform(config, {
    log,
    ingest: false,
    broadcast: false,
    streams: false,
    spark: config.spark.enabled && config.deployment.roles.has('spark'),
    http: false,
  });

  // a worker runs src/main.ts directly (not the npm start wrapper), through tsx like the primary
  const tsx = import.meta.resolve('tsx');
  const hasTsx = process.execArgv.some((a) => a.includes('tsx'));
  cluster.setupPrimary({ exec: o.mainScript, execArgv: hasTsx ? process.execArgv : [...process.execArgv, '--import', tsx] });

  // the workers ask each other over their internal listeners: with a token of their own unless one is set
  const internalToken = config.internal.token ?? randomBytes(24).toString('base64url');
  let url = '';
  const workers: Supervised<Worker>[] = [];
  const states = (): WorkerState[] =>
    workers.map((w, index) => ({ index, pid: w.current()?.process.pid ?? null, phase: w.status().phase, restarts: w.status().restarts }));
  const tell = () => {
    const msg: WorkerMessage = { type: 'emostream.workers', workers: states() };
    for (const w of workers) {
      const h = w.current();
      if (h?.isConnected()) h.send(msg);
    }
  };

  const fork = (index: number) => () =>
    new Promise<Worker>((resolve, reject) => {
      const w = cluster.fork(workerEnv(config, index, o.secret, internalToken));
      const timer = setTimeout(() => {
        w.process.kill('SIGKILL');
        reject(new Error(`worker ${index} not serving within ${WORKER_START_MS / 1000} s`));
      }, WORKER_START_MS);
      const onExit = (code: number | null, sig: string | null) => {
        clearTimeout(timer);
        reject(new Error(`worker ${index} exited during start-up (${code ?? sig})`));
      };
      w.once('exit', onExit);
      w.on('message', (m: WorkerMessage) => {
        if (m?.type !== 'emostream.ready') return;
        clearTimeout(timer);
        w.off('exit', onExit);
        url ||= m.url;
        resolve(w);
      });
    });

  const wlog = log.child('api-workers');
  const n = config.deployment.apiWorkers;
  for (let i = 0; i < n; i++) {
    const deps = supervisorDeps(config, 'api-worker', wlog);
    workers.push(
      supervise<Worker>(
        `api-worker-${i}`,
        {
          start: fork(i),
          died: (w) => new Promise((resolve) => w.once('exit', (code, sig) => resolve(`pid ${w.process.pid} exited (${sig ?? code})`))),
          stop: (w) =>
            new Promise<void>((resolve) => {
              if (w.isDead()) return resolve();
              const kill = setTimeout(() => w.process.kill('SIGKILL'), WORKER_STOP_MS);
              w.once('exit', () => {
                clearTimeout(kill);
                resolve();
              });
              if (w.isConnected()) w.send({ type: 'emostream.shutdown' } satisfies WorkerMessage);
              else w.process.kill('SIGTERM');
            }),
        },
        {
          ...deps,
          onStarted: (_h, restart) => {
            if (restart) wlog.info(`api-worker-${i} serving again`);
            tell();
          },
          onRestart: (attempt) => {
            deps.onRestart?.(attempt);
            tell();
          },
          onGiveUp: () => tell(),
        },
      ),
    );
  }
  // a death is seen by the supervisor; tell the siblings at once (their /status shows it)
  cluster.on('exit', () => setImmediate(tell));
  try {
    await Promise.all(workers.map((w) => w.started));
  } catch (err) {
    await Promise.all(workers.map((w) => w.stop().catch(() => {})));
    await primary.stop();
    throw err;
  }
  tell();

  let stopped: Promise<void> | null = null;
  return {
    url,
    workers,
    states,
    stop: () =>
      (stopped ??= (async () => {
        await Promise.all(workers.map((w) => w.stop().catch((err: Error) => wlog.error(`stopping ${w.name}: ${err.message}`))));
        await primary.stop();
      })()),
  };
}

/** A worker's /status entry for its siblings (as the primary last told it). */
export function workersReadiness(states: WorkerState[] | null): Readiness {
  if (!states) return { name: 'api-workers', ok: true, detail: 'no word from the primary yet' };
  const running = states.filter((s) => s.phase === 'running').length;
  const restarts = states.reduce((n, s) => n + s.restarts, 0);
  const restarted = states.filter((s) => s.restarts > 0).map((s) => `#${s.index} ×${s.restarts}`);
  return {
    name: 'api-workers',
    ok: running === states.length,
    detail: `${running}/${states.length} running${restarted.length ? `; restarted: ${restarted.join(', ')}` : ''}`,
    restarts,
  };
}
