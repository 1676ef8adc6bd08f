// The whole platform in one process tree: start every part in order, stop in reverse.
//   1. Kafka: the embedded broker (unless KAFKA_BROKERS names a cluster), then the topics
//   2. the Spark job (child JVM), started early because it is the slowest to come up
//   3. the ingest path (producer, batcher, tick writer)
//   4. Kafka Streams exact counts (JVM inside this process, java-bridge)
//   5. broadcast (main publisher consumer, supervisor, clusters) and the HTTP server
// Used by src/main.ts (`npm start`), by integration tests and by the benchmarks: one way to start it all.
// This folder (src/app/) is the composition root: the only code that knows every part. The parts below it
// depend only downward (see the README, "Architecture").
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServerType } from '@hono/node-server';
import type { Hono } from 'hono';
import type { BroadcastFacade } from '../actors/facade.ts';
import { createApi, serveApi } from '../api/app.ts';
import { createLimits } from '../api/limits.ts';
import { applyServerLimits, serverOptions } from '../api/server-limits.ts';
import { MoodCurves } from '../domain/mood-curve.ts';
import { newInstanceId } from '../domain/ids.ts';
import { bootstrapServers, type Config } from '../config.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../kafka/broker.ts';
import { actualTopicDurability, clusterTopicDurability, createKafka, durabilityStatement, ensureTopics } from '../kafka/client.ts';
import { startIngest, type IngestService } from '../kafka/producer.ts';
import { silentLogger, type Logger } from '../log.ts';
import { startLagPoller } from '../metrics/lag.ts';
import { setLagSource } from '../metrics/registry.ts';
import { startSparkProgress } from '../metrics/spark-progress.ts';
import type { ReadinessCheck } from '../ports/readiness.ts';
import { startSparkJob, type SparkJob } from '../spark/job.ts';
import { supervise } from '../supervision/supervisor.ts';
import { startExactCountsInBackground, type ExactCountsInBackground } from '../streams/bridge.ts';
import { distributedCounts, peerOptions } from '../streams/distributed.ts';
import { createInternalApp } from '../api/internal.ts';
import { startBroadcast, type BroadcastHandle } from './broadcast.ts';
import { startInternalListener } from './internal-listener.ts';
import { startMatches } from './matches.ts';
import { partReadiness, supervisorDeps } from './supervision.ts';
import { instrumentSend, observeBufferDepth } from './instrument.ts';

export interface PlatformOptions {
  log?: Logger;
  /** Parts to leave out (tests that do not need them start faster). Defaults follow Config (ROLES, *_ENABLED). */
  spark?: boolean;
  streams?: boolean;
  broadcast?: boolean;
  ingest?: boolean;
  /**
   * A part started in the background (Kafka Streams) could not start at all. Unset: it stays `failed` in
   * /status. An API worker exits instead, so that its primary starts it again (with backoff).
   */
  onStartFailure?: (part: string, err: Error) => void;
  /** More /status checks (an API worker's view of its siblings). */
  status?: ReadinessCheck[];
  /** The HTTP server (default true); the primary of API_WORKERS runs none (its workers share the port). */
  http?: boolean;
}

export interface Platform {
  readonly config: Config;
  /** Base URL of the HTTP API, e.g. http://127.0.0.1:8080 */
  readonly url: string;
  /** Base URL of the internal listener peers query for exact counts (null without Kafka Streams). */
  readonly internalUrl: string | null;
  readonly brokers: string[];
  readonly app: Hono;
  /** null when this instance does not have the ingest role. */
  readonly ingest: IngestService | null;
  /** The broadcast facade (publish windows, subscriptions, cluster views); null when left out. */
  readonly broadcast: BroadcastFacade | null;
  /** Stop everything in reverse order of start; safe to call more than once. */
  stop(): Promise<void>;
}

interface Part {
  name: string;
  stop(): Promise<void>;
  /**
   * Its stop starts with the shutdown, beside the parts started after it, instead of in turn (the parts started
   * before it still stop after it): for a part no later part needs while it stops, around a kafkajs consumer whose
   * stop waits for its fetch in flight (up to KAFKA_CONSUMER_MAX_WAIT_MS on a quiet topic), so a shutdown waits for
   * one such fetch, not one per part.
   */
  atOnce?: boolean;
}

export async function startPlatform(config: Config, opts: PlatformOptions = {}): Promise<Platform> {
  const log = opts.log ?? silentLogger;
  const parts: Part[] = [];
  const stopPart = async (p: Part) => {
    const t0 = Date.now();
    try {
      await p.stop();
      log.info(`stopped ${p.name} (${Date.now() - t0} ms)`);
    } catch (err) {
      log.error(`stopping ${p.name} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const stopAll = async () => {
    const early = new Map(parts.filter((p) => p.atOnce).map((p) => [p, stopPart(p)]));
    while (parts.length) {
      const p = parts.pop()!;
      await (early.get(p) ?? stopPart(p));
    }
  };

  try {
    mkdirSync(config.dataDir, { recursive: true });

    // 1. Kafka: the embedded broker child is supervised (restarted on the same log folder if it dies)
    const status: ReadinessCheck[] = [];
    if (!config.kafka.brokers) {
      const t0 = Date.now();
      const blog = log.child('kafka-broker');
      log.info(`starting the embedded Kafka broker on 127.0.0.1:${config.kafka.embeddedPort} (data: ${config.dataDir}/kafka)`);
      const broker = supervise<EmbeddedBroker>(
        'kafka-broker',
        {
          start: () =>
            startEmbeddedBroker({
              dataDir: config.dataDir,
              port: config.kafka.embeddedPort,
              controllerPort: config.kafka.embeddedControllerPort,
              heap: config.kafka.embeddedHeap,
              log: (m) => blog.info(m),
            }),
          died: (b) => b.process.exited.then((code) => `exited (${code}); see ${b.process.logFile}`),
          stop: (b) => b.stop(),
        },
        supervisorDeps(config, 'kafka-broker', blog),
      );
      parts.push({ name: 'Kafka broker', stop: () => broker.stop() });
      const b = await broker.started;
      log.info(`Kafka broker up in ${Date.now() - t0} ms (log: ${b.process.logFile})`);
      status.push(() => partReadiness(broker.status(), true, `pid ${broker.current()?.process.child.pid}`));
    }
    const brokers = bootstrapServers(config);
    const kafka = createKafka(config);
    const admin = kafka.admin();
    await admin.connect();
    parts.push({ name: 'Kafka admin', stop: () => admin.disconnect() });
    const created = await ensureTopics(admin, config);
    log.info(created.length ? `created topics: ${created.join(', ')}` : 'topics present');
    // what a 202 guarantees: said from the events topic as it is (an older topic keeps its own settings)
    const wanted = await clusterTopicDurability(admin, config);
    const actual = await actualTopicDurability(admin, config.topics.events);
    log.info(durabilityStatement(actual, !config.kafka.brokers));
    if (actual.replicationFactor < wanted.replicationFactor || actual.minInsyncReplicas < wanted.minInsyncReplicas) {
      log.warn(
        `${config.topics.events} has ${actual.replicationFactor} replica(s) and min.insync.replicas ${actual.minInsyncReplicas}, below the configured ${wanted.replicationFactor} / ${wanted.minInsyncReplicas} (existing topics are not altered)`,
      );
    }

    // the match lifecycle (MATCH_POLICY): registered matches read from the lifecycle log before anything is served
    const mlog = log.child('matches');
    const matches = await startMatches(config, kafka, (m) => mlog.info(m), supervisorDeps(config, 'match-log', mlog));
    // at once: nothing else stops through it (ingest admits from the registry in memory, not from the log)
    parts.push({ name: 'match lifecycle', stop: () => matches.stop(), atOnce: true });
    const matchLog = matches.log;
    if (matchLog) status.push(() => partReadiness(matchLog.status(), true, config.topics.matches));

    // 2. the Spark job: not awaited (it takes 20-40 s on 2 cores); supervised: a job that exits is started
    //    again on its checkpoint. /status reports it until its first batch or idle report, and as stuck when
    //    neither came for SPARK_STUCK_TRIGGERS trigger intervals.
    const roles = config.deployment.roles;
    if (opts.spark ?? (config.spark.enabled && roles.has('spark'))) {
      const slog = log.child('spark');
      const stuckAfterMs = config.spark.stuckTriggers * Math.max(config.spark.triggerMs, 100);
      const progress = new WeakMap<SparkJob, { ready: boolean; failure?: string; lastAt: number }>();
      const spark = supervise<SparkJob>(
        'spark',
        {
          async start() {
            const job = startSparkJob(config, { brokers, log: (m) => slog.info(m) });
            const p = { ready: false, failure: undefined as string | undefined, lastAt: Date.now() };
            progress.set(job, p);
            job.ready.then(
              () => (p.ready = true),
              (err: Error) => (p.failure = err.message),
            );
            const alive = () => {
              // a first batch slower than the ready timeout (a busy machine) still counts once it reports
              p.lastAt = Date.now();
              p.ready = true;
              p.failure = undefined;
            };
            job.onProgress(alive);
            // at rest no batch runs (ticks back off): the query's idle reports say it still triggers, so a job
            // (re)started on a quiet stream becomes ok, and a quiet one does not count as stuck
            job.onIdle(alive);
            return job;
          },
          died: (job) => job.process.exited.then((code) => `exited (${code}); see ${job.logFile}`),
          stop: (job) => job.stop(),
        },
        supervisorDeps(config, 'spark', slog),
      );
      parts.push({ name: 'Spark job', stop: () => spark.stop() });
      status.push(() => {
        const job = spark.current();
        const p = job ? progress.get(job) : undefined;
        if (!job || !p) return partReadiness(spark.status(), false);
        if (!p.ready) return partReadiness(spark.status(), false, p.failure ?? 'starting (no micro-batch yet)');
        const quietMs = Date.now() - p.lastAt;
        if (quietMs > stuckAfterMs) {
          return partReadiness(spark.status(), false, `stuck: no progress for ${(quietMs / 1000).toFixed(0)} s (${config.spark.stuckTriggers} triggers)`);
        }
        return partReadiness(spark.status(), true, `last micro-batch ${(quietMs / 1000).toFixed(1)} s ago`);
      });
    }

    // 3. ingest; its ticks carry this instance's id (EmoStream-Instance)
    const instanceId = newInstanceId(config.deployment.workerIndex);
    let ingest: IngestService | null = null;
    if (opts.ingest ?? roles.has('ingest')) {
      const ing = await startIngest(config, kafka, {
        wrapSend: instrumentSend, // batch sizes, ack latency, Kafka errors in /metrics
        instanceId,
        log: (m) => log.child('ingest').info(m),
      });
      ingest = ing;
      parts.push({ name: 'ingest (producer, batcher, ticks)', stop: () => ing.stop() });
      const unobserveDepth = observeBufferDepth(() => {
        const s = ing.status();
        return s.queuedEvents + s.inFlightEvents;
      });
      parts.push({ name: 'ingest buffer gauge', stop: async () => unobserveDepth() });
    }

    // 4. Kafka Streams exact counts: a JVM inside this process (java-bridge); not awaited (a few seconds to
    //    RUNNING), /v1/counts answers 503 and readiness says "starting" until its stores are queryable
    //    The internal listener comes first: its address is Kafka Streams' application.server, through which
    //    peers find (and ask) the instance holding a match's counts.
    let counts: ExactCountsInBackground | null = null;
    let internalUrl: string | null = null;
    const streamsOn = opts.streams ?? (config.streams.enabled && roles.has('streams'));
    if (streamsOn) {
      const slog = log.child('streams');
      const internal = await startInternalListener(config.internal, createInternalApp({ local: () => counts, token: config.internal.token }));
      parts.push({ name: 'internal listener', stop: () => internal.stop() });
      internalUrl = internal.url;
      slog.info(`internal listener (peers' exact-count queries; keep it off the public network) on ${internal.url}, advertised as ${internal.advertised}`);
      const exact = startExactCountsInBackground(config, {
        applicationServer: internal.advertised,
        log: (m) => slog.info(m),
        supervisor: supervisorDeps(config, 'kafka-streams', slog),
      });
      counts = exact;
      parts.push({ name: 'Kafka Streams exact counts', stop: () => exact.close() });
      const onFail = opts.onStartFailure;
      if (onFail) exact.ready.catch((err: unknown) => onFail('kafka-streams', err instanceof Error ? err : new Error(String(err))));
    }

    // metrics: the Spark job's progress reports (emoji-metrics) and the Kafka Streams group's lag
    const sparkProgress = await startSparkProgress(config, { kafka, log: log.child('spark-progress') });
    parts.push({ name: 'Spark progress reader', stop: () => sparkProgress.stop(), atOnce: true });
    // (asked at each /metrics scrape, not on a timer: src/metrics/lag.ts)
    const lag = startLagPoller({
      admin,
      groups: streamsOn ? [{ name: 'kafka-streams', groupId: config.streams.appId, topic: config.topics.events }] : [],
    });
    setLagSource(() => lag.pollOnce());
    parts.push({
      name: 'lag poller',
      stop: async () => {
        setLagSource(null);
        lag.stop();
      },
      atOnce: true,
    });

    // 5. broadcast: main publisher (a consumer of emoji-windows of its own) → supervisor → clusters → SSE
    let broadcast: BroadcastHandle | null = null;
    if (opts.broadcast ?? roles.has('broadcast')) {
      const blog = log.child('broadcast');
      const b = await startBroadcast(
        config,
        kafka,
        (m) => blog.info(m),
        supervisorDeps(config, 'window-consumer', blog),
        supervisorDeps(config, 'moment-consumer', blog),
        (id, start) => matches.service.delivers(id, start),
        supervisorDeps(config, 'control-consumer', blog),
        supervisorDeps(config, 'live-consumer', blog),
        instanceId,
      );
      broadcast = b;
      parts.push({ name: 'broadcast (window consumer, actors)', stop: () => b.stop() });
      const consumer = b.consumer;
      if (consumer) status.push(() => partReadiness(consumer.status(), true, consumer.current()?.groupId));
      const moments = b.momentConsumer;
      if (moments) status.push(() => partReadiness(moments.status(), true, moments.current()?.groupId));
      const control = b.controlConsumer;
      if (control) status.push(() => partReadiness(control.status(), true, control.current()?.groupId));
      const lives = b.liveConsumer;
      if (lives) status.push(() => partReadiness(lives.status(), true, lives.current()?.groupId));
    }

    // the summary's mood curves, from the windows the main publisher reads (Spark's `mood`)
    const moods = broadcast ? new MoodCurves() : null;
    if (broadcast && moods) {
      const off = broadcast.onWindow((w) => moods.add(w));
      parts.push({ name: 'mood curves', stop: async () => void off() });
    }

    // 6. HTTP: createApi mounts every route; a part left out above (null) leaves its routes out
    const exactCounts = counts;
    const faults = exactCounts ? { failStreamRecords: (n: number) => exactCounts.failNextRecords(n) } : null;
    // the routes ask this instance's stores, or the peer holding the match (interactive queries across instances)
    const routed = exactCounts ? distributedCounts(exactCounts, peerOptions(config)) : null;
    const limits = createLimits(config);
    const api = createApi({
      config,
      ingest,
      counts: routed,
      moments: routed,
      moods,
      broadcast: broadcast?.facade ?? null,
      matches: matches.service,
      viewers: broadcast?.directory ?? null,
      status: [...status, ...(opts.status ?? [])],
      faults,
      limits,
      log: log.child('api'),
    });
    const app = api.app;
    if (!(opts.http ?? true)) {
      let stopped: Promise<void> | null = null;
      return { config, url: '', internalUrl, brokers, app, ingest, broadcast: broadcast?.facade ?? null, stop: () => (stopped ??= stopAll()) };
    }
    const server: ServerType = await new Promise((resolve, reject) => {
      const s = serveApi(api, { port: config.port, hostname: config.host, serverOptions: serverOptions(config.limits) }, () => resolve(s));
      s.once('error', reject);
    });
    log.info(`HTTP limits: ${applyServerLimits(server as Server, config.limits, limits.budget)}`);
    const addr = server.address() as AddressInfo;
    const url = `http://${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}`;
    parts.push({
      name: 'HTTP server',
      stop: () =>
        new Promise<void>((resolve) => {
          // Stop accepting; let requests in flight (a POST waiting for its broker ack: the ingest path is
          // still running) finish with their answer, for at most the produce timeout plus a second.
          const s = server as unknown as { closeIdleConnections(): void; closeAllConnections(): void };
          const force = setTimeout(() => s.closeAllConnections(), config.ingest.produceTimeoutMs + 1000);
          server.close(() => {
            clearTimeout(force);
            resolve();
          });
          s.closeIdleConnections();
        }),
    });
    // Stopped before the HTTP server: every SSE viewer gets `event: disconnect` (reason shutdown) first.
    if (broadcast) {
      const b = broadcast;
      parts.push({ name: 'SSE streams', stop: async () => b.facade.stop('shutdown') });
    }

    let stopped: Promise<void> | null = null;
    return {
      config,
      url,
      internalUrl,
      brokers,
      app,
      ingest,
      broadcast: broadcast?.facade ?? null,
      stop: () => (stopped ??= stopAll()),
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
