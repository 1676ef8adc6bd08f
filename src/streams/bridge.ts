// Kafka Streams inside the API process through java-bridge: one JVM per
// process, for its whole life, started here with a capped heap, `-Xrs` (signals stay with Node, which then
// shuts down in order) and the Gradle-built classpath jvm/build/runtime-libs. The Java side is
// io.emostream.streams.ExactCountsFacade; every call returns a JSON string or a primitive.
// Async bridge calls (start, awaitQueryable, close) leak ~270 B each, so only those three are async;
// queries are sync. Nothing in the facade calls back into JavaScript (a sync call that did would deadlock).
// JVM shutdown hooks do not run when Node exits: `close()` must be awaited before the process exits.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bootstrapServers, type Config } from '../config.ts';
import {
  CountsUnavailableError,
  KeyElsewhereError,
  type ExactWindows,
  type LocalExactCounts,
  type LocalMatches,
  type MatchMoments,
  type MatchTotals,
  type StreamsInstances,
  type StreamsMetrics,
} from './counts.ts';
import type { MomentRecord } from '../domain/moment.ts';
import type { Readiness } from '../ports/readiness.ts';
import { supervise, type PartStatus, type SupervisorDeps } from '../supervision/supervisor.ts';
import { rollingLogFlags } from '../processes/java-process.ts';

/** The log4j2 configuration of the Kafka Streams JVM (a resource of jvm.jar). */
export const STREAMS_LOG_CONFIGURATION = 'emostream-streams-log4j2.properties';
import { setTimeout as sleep } from 'node:timers/promises';

export const STREAMS_LIB_DIR = resolve(import.meta.dirname, '../../jvm/build/runtime-libs');
const FACADE_CLASS = 'io.emostream.streams.ExactCountsFacade';

/** The Java facade's methods as java-bridge exposes them (`xSync` blocks; `x` returns a Promise). */
interface JavaFacade {
  start(configJson: string): Promise<void>;
  awaitQueryable(timeoutMs: number): Promise<boolean>;
  close(timeoutMs: number): Promise<boolean>;
  restart(closeTimeoutMs: number): Promise<void>;
  failNextRecordsSync(n: number): void;
  stateSync(): string;
  isQueryableSync(): boolean;
  totalsSync(matchId: string): string;
  windowsSync(matchId: string, fromMs: number, toMs: number): string;
  momentsSync(matchId: string, fromMs: number, toMs: number, limit: number): string;
  topMomentsSync(matchId: string, k: number): string;
  knowsMatchSync(matchId: string): string;
  localMatchesSync(): string;
  instancesSync(): string;
  metricsSync(): string;
  /** autoOffsetReset=latest: how the group's start on the events topic was settled (pinned, resumed); else null */
  startPositionSync(): string | null;
}

export interface ExactCountsOptions {
  libDir?: string;
  /** How long start() waits for RUNNING + a first successful store query (default 120 s). */
  startTimeoutMs?: number;
  closeTimeoutMs?: number;
  /**
   * host:port of this instance's internal listener (Kafka Streams application.server): peers find the owner
   * of a key through it. Unset: a single instance that answers every query from its own stores.
   */
  applicationServer?: string;
  /** Overrides merged into the topology config (tests: commitIntervalMs, stateDir, ...). */
  overrides?: Partial<TopologyConfig>;
  log?: (msg: string) => void;
}

/** The JSON the Java side reads (ExactCountsConfig.fromJson). */
export interface TopologyConfig {
  bootstrapServers: string;
  applicationId: string;
  stateDir: string;
  eventsTopic: string;
  exactTopic: string;
  windowMs: number;
  graceMs: number;
  dedupRetentionMs: number;
  windowRetentionMs: number;
  commitIntervalMs: number;
  scaleFactor: number;
  repartitionPartitions: number;
  rocksDbCacheBytes: number;
  /** Partitions of the events topic; 0 → the Java side asks the broker. */
  sourcePartitions: number;
  autoOffsetReset: 'earliest' | 'latest';
  momentsTopic: string;
  momentBaselineWindows: number;
  momentMinHistory: number;
  momentMinScore: number;
  momentMinCount: number;
  momentsRetentionMs: number;
  /** A match's totals and moment history are dropped this long after its last counted event (TotalsProcessor). */
  matchTotalsRetentionMs: number;
  /** Internal topics; 0 → the Java side resolves it against the cluster (min(3, brokers); one fewer in sync). */
  replicationFactor: number;
  minInsyncReplicas: number;
  /** num.standby.replicas */
  standbyReplicas: number;
  /** application.server (host:port of the internal listener); null: single instance, no peers. */
  applicationServer: string | null;
  /** KAFKA_SECURITY_PROTOCOL and companions, as src/config.ts read them (the Java side builds the client properties). */
  securityProtocol: string;
  saslMechanism: string | null;
  saslUsername: string | null;
  saslPassword: string | null;
  sslCaFile: string | null;
  sslCertFile: string | null;
  sslKeyFile: string | null;
}

export function topologyConfig(config: Config): TopologyConfig {
  const s = config.streams;
  const sec = config.kafka.security;
  return {
    bootstrapServers: bootstrapServers(config).join(','),
    applicationId: s.appId,
    stateDir: join(config.dataDir, 'streams'),
    eventsTopic: config.topics.events,
    exactTopic: config.topics.exact,
    windowMs: config.windows.windowMs,
    graceMs: s.graceMs,
    dedupRetentionMs: s.dedupRetentionMs,
    windowRetentionMs: s.windowRetentionMs,
    commitIntervalMs: s.commitIntervalMs,
    scaleFactor: config.windows.scaleFactor,
    repartitionPartitions: s.partitions,
    rocksDbCacheBytes: 32 * 1024 * 1024,
    sourcePartitions: 0,
    autoOffsetReset: s.offsetReset,
    momentsTopic: config.topics.moments,
    momentBaselineWindows: config.moments.baselineWindows,
    momentMinHistory: config.moments.minHistory,
    momentMinScore: config.moments.minScore,
    momentMinCount: config.moments.minCount,
    momentsRetentionMs: config.moments.retentionMs,
    matchTotalsRetentionMs: config.matches.totalsRetentionMs,
    replicationFactor: s.replicationFactor ?? 0,
    minInsyncReplicas: s.minInsyncReplicas ?? 0,
    standbyReplicas: s.standbyReplicas,
    applicationServer: null,
    securityProtocol: sec.protocol,
    saslMechanism: sec.sasl?.mechanism ?? null,
    saslUsername: sec.sasl?.username ?? null,
    saslPassword: sec.sasl?.password ?? null,
    sslCaFile: sec.ssl?.caFile ?? null,
    sslCertFile: sec.ssl?.certFile ?? null,
    sslKeyFile: sec.ssl?.keyFile ?? null,
  };
}

/**
 * This instance's Kafka Streams: queries answer from its own stores, and throw KeyElsewhereError for a
 * match another instance holds (src/streams/distributed.ts turns that into a question to that instance).
 */
export interface ExactCounts extends LocalExactCounts {
  metrics(): StreamsMetrics;
  readiness(): Readiness;
  /** ms from start() until RUNNING and the first successful store query. */
  readonly queryableAfterMs: number;
  /** Close Kafka Streams (commit, flush stores). Idempotent; await it before the process exits. */
  close(): Promise<void>;
  /** Replace the KafkaStreams client (e.g. after ERROR) and wait until it is queryable again. */
  restart(): Promise<void>;
  /** Fault injection (the fault suite): the next n records the stream thread processes throw. */
  failNextRecords(n: number): void;
}

/**
 * JSON for a string argument INTO Java with every non-ASCII character as a \uXXXX escape: java-bridge 2.8.0
 * mangles non-BMP characters (emojis) in both directions (an emoji reached Jackson as a cut-off string).
 */
export const asciiJson = (v: unknown): string =>
  JSON.stringify(v).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

let jvmStarted = false;

/** Start (once per process) the JVM that hosts Kafka Streams. Later calls are no-ops. */
export async function ensureStreamsJvm(o: { heap: string; dataDir: string; libDir?: string; verbose?: boolean }): Promise<typeof import('java-bridge')['default']> {
  const java = (await import('java-bridge')).default;
  if (jvmStarted) return java;
  const libDir = o.libDir ?? STREAMS_LIB_DIR;
  if (!existsSync(join(libDir, 'jvm.jar'))) {
    throw new Error(`Kafka Streams classpath missing (${libDir}): run \`gradle --no-daemon -q :jvm:copyRuntimeLibs\` (npm start does)`);
  }
  const jars = readdirSync(libDir).filter((f) => f.endsWith('.jar')).map((f) => join(libDir, f));
  const logDir = join(o.dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const created = java.ensureJvm({
    opts: [
      `-Xmx${o.heap}`,
      '-Xrs', // leave SIGINT/SIGTERM to Node, which closes Kafka Streams and exits in order
      '-XX:+UseSerialGC',
      '-XX:MaxMetaspaceSize=128m',
      // log4j2 writes streams.log and rolls it like the broker's log (jvm/src/main/resources/
      // emostream-streams-log4j2.properties); Kafka's INFO logging is chatty: only with LOG_LEVEL=debug
      ...rollingLogFlags(join(logDir, 'streams.log'), STREAMS_LOG_CONFIGURATION),
      `-Demostream.log.level=${o.verbose ? 'INFO' : 'WARN'}`,
    ],
    classpath: jars,
  });
  if (!created) java.appendClasspath(jars); // someone else started the JVM in this process: add our jars
  jvmStarted = true;
  return java;
}


/**
 * Start the exact-counts topology with the API's configuration and wait until it is queryable.
 * Returns the handle the routes (CountsFacade) and /readyz use; `close()` it before exiting.
 */
export async function startExactCounts(config: Config, opts: ExactCountsOptions = {}): Promise<ExactCounts> {
  const log = opts.log ?? (() => {});
  const t0 = Date.now();
  const java = await ensureStreamsJvm({ heap: config.streams.heap, dataDir: config.dataDir, libDir: opts.libDir, verbose: config.logLevel === 'debug' });
  const Facade = java.importClass(FACADE_CLASS) as unknown as new () => JavaFacade;
  const facade = new Facade();
  const tc = { ...topologyConfig(config), applicationServer: opts.applicationServer ?? null, ...opts.overrides };
  mkdirSync(tc.stateDir, { recursive: true });
  await facade.start(JSON.stringify(tc));
  const ok = await facade.awaitQueryable(opts.startTimeoutMs ?? 120_000);
  if (!ok) {
    const state = facade.stateSync();
    const m = facade.metricsSync();
    await facade.close(10_000).catch(() => {});
    throw new Error(`Kafka Streams did not become queryable (state ${state}; ${m}); see ${join(config.dataDir, 'logs', 'streams.log')}`);
  }
  const queryableAfterMs = Date.now() - t0;
  const position = facade.startPositionSync();
  log(`exact counts: Kafka Streams ${tc.applicationId} queryable after ${queryableAfterMs} ms${position ? ` (start on ${tc.eventsTopic}: ${position})` : ''}`);

  let closing: Promise<void> | null = null;
  const query = <T>(fn: () => string, matchId?: string): T => {
    if (closing) throw new CountsUnavailableError('CLOSED', 'exact counts are closed');
    let out: T & { $owner?: string };
    try {
      out = JSON.parse(fn()) as T & { $owner?: string };
    } catch (err) {
      const state = facade.stateSync();
      if (state !== 'RUNNING') throw new CountsUnavailableError(state, `exact counts are not queryable (Kafka Streams is ${state})`);
      if (err instanceof Error && /InvalidStateStore/.test(err.message)) {
        // the facade says why: which instance holds the match is being settled, or the partition is restoring / moved
        const why = /InvalidStateStoreException: ([^\n]+)/.exec(err.message)?.[1]?.trim();
        throw new CountsUnavailableError('REBALANCING', `exact counts stores are being restored or rebalanced${why ? ` (${why})` : ''}`);
      }
      throw err;
    }
    if (typeof out === 'object' && out !== null && typeof out.$owner === 'string') throw new KeyElsewhereError(out.$owner, matchId ?? '?');
    return out;
  };

  return {
    queryableAfterMs,
    state: () => (closing ? 'CLOSED' : facade.stateSync()),
    totals: (matchId) => query<MatchTotals>(() => facade.totalsSync(matchId), matchId),
    windows: (matchId, fromMs, toMs) => query<ExactWindows>(() => facade.windowsSync(matchId, fromMs, toMs), matchId),
    moments: (matchId, fromMs, toMs, limit) => query<MatchMoments>(() => facade.momentsSync(matchId, fromMs, toMs, limit), matchId),
    topMoments: (matchId, k) => query<MomentRecord[]>(() => facade.topMomentsSync(matchId, k), matchId),
    knowsMatch: (matchId) => query<{ known: boolean }>(() => facade.knowsMatchSync(matchId), matchId).known,
    localMatches: () => query<LocalMatches>(() => facade.localMatchesSync()),
    instances: () => query<StreamsInstances>(() => facade.instancesSync()),
    metrics: () => JSON.parse(facade.metricsSync()) as StreamsMetrics,
    readiness() {
      if (closing) return { name: 'kafka-streams', ok: false, detail: 'closed' };
      const state = facade.stateSync();
      return { name: 'kafka-streams', ok: state === 'RUNNING', detail: state };
    },
    async restart() {
      if (closing) throw new Error('exact counts are closed');
      await facade.restart(10_000);
      const ok = await facade.awaitQueryable(opts.startTimeoutMs ?? 120_000);
      if (!ok) throw new Error(`Kafka Streams did not become queryable after a restart (state ${facade.stateSync()}; ${facade.metricsSync()})`);
    },
    failNextRecords: (n) => facade.failNextRecordsSync(n),
    close() {
      closing ??= (async () => {
        const t = Date.now();
        const done = await facade.close(opts.closeTimeoutMs ?? 30_000);
        log(`exact counts: Kafka Streams closed in ${Date.now() - t} ms${done ? '' : ' (timed out)'}`);
        // let java-bridge release its async worker before the caller exits
        await sleep(0);
      })();
      return closing;
    },
  };
}

export interface ExactCountsInBackground extends LocalExactCounts {
  /** Resolves with the ms until queryable; rejects if the topology could not start. */
  readonly ready: Promise<number>;
  /** null until ready */
  metrics(): StreamsMetrics | null;
  readiness(): Readiness;
  /** The supervisor's view: running, restarting (after ERROR), failed (budget spent), ... */
  supervision(): PartStatus;
  /** Fault injection (the fault suite): the next n records fail, each failure stops the client (ERROR). */
  failNextRecords(n: number): void;
  /** Waits for a start in progress, then closes. Idempotent; await it before the process exits. */
  close(): Promise<void>;
}

/** Kafka Streams states in which the client no longer processes and must be replaced. */
const DEAD_STATES = new Set(['ERROR', 'PENDING_ERROR', 'NOT_RUNNING']);

/**
 * Start the topology without holding up the caller (the platform starts the HTTP server meanwhile), under a
 * supervisor: when the client reaches ERROR (a stream thread died; the facade does not replace threads
 * itself) it is replaced by a new KafkaStreams object on the same state folder, with the supervisor's
 * backoff and failure budget. While starting or restarting the queries throw CountsUnavailableError (→ 503).
 */
export function startExactCountsInBackground(
  config: Config,
  opts: ExactCountsOptions & { supervisor?: Partial<SupervisorDeps>; pollMs?: number } = {},
): ExactCountsInBackground {
  let exact: ExactCounts | null = null;
  const pollMs = opts.pollMs ?? 250;
  const sup = supervise<ExactCounts>(
    'kafka-streams',
    {
      async start() {
        if (!exact) exact = await startExactCounts(config, opts);
        else await exact.restart();
        return exact;
      },
      died: (h) =>
        new Promise<string>((resolveDied) => {
          const t = setInterval(() => {
            const state = h.state();
            if (DEAD_STATES.has(state) || state === 'CLOSED') {
              clearInterval(t);
              resolveDied(`state ${state}${state === 'CLOSED' ? '' : ` (${h.metrics().last_error ?? 'no error recorded'})`}`);
            }
          }, pollMs);
          t.unref();
        }),
      stop: (h) => h.close(),
    },
    { policy: config.supervision, ...opts.supervisor },
  );
  const ready = sup.started.then((h) => h.queryableAfterMs);
  ready.catch((err: unknown) => opts.log?.(`exact counts: Kafka Streams failed to start: ${err instanceof Error ? err.message : String(err)}`));
  let closed = false;
  const live = (): ExactCounts => {
    if (closed) throw new CountsUnavailableError('CLOSED', 'exact counts are closed');
    const h = sup.current();
    if (h) return h;
    const st = sup.status();
    if (st.phase === 'failed') throw new CountsUnavailableError('ERROR', `exact counts failed: ${st.lastFailure ?? 'unknown'}`);
    if (st.restarts > 0 || st.phase === 'restarting') throw new CountsUnavailableError('RESTARTING', 'exact counts are restarting (Kafka Streams is being replaced)');
    throw new CountsUnavailableError('STARTING', 'exact counts are starting (Kafka Streams is not queryable yet)');
  };
  const stateOf = () => {
    if (closed) return 'CLOSED';
    const h = sup.current();
    if (h) return h.state();
    const st = sup.status();
    return st.phase === 'failed' ? 'ERROR' : st.restarts > 0 || st.phase === 'restarting' ? 'RESTARTING' : 'STARTING';
  };
  return {
    ready,
    state: stateOf,
    totals: (m) => live().totals(m),
    windows: (m, f, t) => live().windows(m, f, t),
    moments: (m, f, t, n) => live().moments(m, f, t, n),
    topMoments: (m, k) => live().topMoments(m, k),
    knowsMatch: (m) => live().knowsMatch(m),
    localMatches: () => live().localMatches(),
    instances: () => live().instances(),
    metrics: () => (sup.current() && !closed ? sup.current()!.metrics() : exact && !closed ? exact.metrics() : null),
    readiness() {
      const st = sup.status();
      const h = sup.current();
      if (h && !closed) return { ...h.readiness(), phase: st.phase, restarts: st.restarts };
      const detail = closed ? 'closed' : `${st.phase}${st.lastFailure ? `: ${st.lastFailure}` : ''}`;
      return { name: 'kafka-streams', ok: false, detail, phase: st.phase, restarts: st.restarts };
    },
    supervision: () => sup.status(),
    failNextRecords(n) {
      if (!exact) throw new CountsUnavailableError('STARTING', 'exact counts are not started');
      exact.failNextRecords(n);
    },
    async close() {
      closed = true;
      await sup.stop().catch(() => {});
      await exact?.close(); // also a client the supervisor gave up on (idempotent)
    },
  };
}
