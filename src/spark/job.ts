// The Spark aggregation job (spark/, io.emostream.spark.Job) as a child JVM: master local[2] by default, heap
// capped, log at <dataDir>/logs/spark.log, checkpoint SPARK_CHECKPOINT_DIR (default <dataDir>/spark/checkpoint).
// Configuration goes to the JVM as command-line arguments built from Config; the job reads nothing from the
// environment. The driver's network settings go as spark.* system properties (SparkConf reads them; the job
// pins 127.0.0.1 itself for a local master), Kafka security as a properties file only its owner can read.
import { chmodSync, closeSync, mkdirSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { moodTableSpec, type Config } from '../config.ts';
import { javaClientSecurity, propertiesText } from '../kafka/security.ts';
import { spawnJava, type JavaProcess } from '../processes/java-process.ts';

export const SPARK_LIB_DIR = resolve(import.meta.dirname, '../../spark/build/runtime-libs');
export const SPARK_MAIN_CLASS = 'io.emostream.spark.Job';

/** Spark on Java 17 (from Spark's launcher, JavaModuleOptions; the same list is in spark/build.gradle for the tests). */
export const SPARK_JVM_FLAGS = [
  '-XX:+IgnoreUnrecognizedVMOptions',
  '--add-modules=jdk.incubator.vector',
  ...[
    'java.base/java.lang',
    'java.base/java.lang.invoke',
    'java.base/java.lang.reflect',
    'java.base/java.io',
    'java.base/java.net',
    'java.base/java.nio',
    'java.base/java.util',
    'java.base/java.util.concurrent',
    'java.base/java.util.concurrent.atomic',
    'java.base/jdk.internal.ref',
    'java.base/sun.nio.ch',
    'java.base/sun.nio.cs',
    'java.base/sun.security.action',
    'java.base/sun.util.calendar',
    'java.security.jgss/sun.security.krb5',
  ].map((p) => `--add-opens=${p}=ALL-UNNAMED`),
  '-Dio.netty.tryReflectionSetAccessible=true',
  '--enable-native-access=ALL-UNNAMED',
];

/** Besides the heap: small young-gen pauses, die on OOM (the platform sees the exit), UTF-8 in the log. */
const JVM_EXTRA = ['-XX:+UseG1GC', '-XX:MaxGCPauseMillis=50', '-XX:+ExitOnOutOfMemoryError', '-Dfile.encoding=UTF-8', '-Djava.awt.headless=true'];

export interface SparkJobOptions {
  /** Kafka bootstrap servers (from the running broker or config.kafka.brokers). */
  brokers: string[];
  log?: (msg: string) => void;
  libDir?: string;
  /** Checkpoint folder; default config.spark.checkpointDir (SPARK_CHECKPOINT_DIR). */
  checkpointDir?: string;
  /** Where to start on the first run (no checkpoint yet): 'earliest' (the job's default: nothing accepted before it first ran is missed) or 'latest'. */
  startingOffsets?: 'latest' | 'earliest';
  /** How long `ready` waits for the first progress report. */
  readyTimeoutMs?: number;
}

/** One progress report as the job logs it (the same JSON goes to emoji-metrics). */
export type SparkProgressLine = Record<string, unknown> & { batch_id: number; batch_duration_ms: number };

export interface SparkJob {
  readonly process: JavaProcess;
  readonly logFile: string;
  /** Resolves with the ms from spawn to the first progress report (the query is reading Kafka). */
  readonly ready: Promise<number>;
  /** Called for every progress report the job logs (after `ready`, roughly one per micro-batch). */
  onProgress(fn: (p: SparkProgressLine) => void): () => void;
  /**
   * Called for every idle report: no micro-batch runs on a quiet stream, and the query says every 10 s that it
   * still triggers and found nothing new (the sign of life at rest; `ready` still waits for a micro-batch).
   */
  onIdle(fn: () => void): () => void;
  stop(): Promise<void>;
}

/** The job's arguments (io.emostream.spark.JobConfig) for this Config. */
export function sparkJobArgs(config: Config, o: Pick<SparkJobOptions, 'brokers' | 'checkpointDir' | 'startingOffsets'> & { master?: string | null }): string[] {
  const s = config.spark;
  const args: Record<string, string | number | undefined> = {
    brokers: o.brokers.join(','),
    master: o.master === null ? undefined : (o.master ?? s.master),
    'data-dir': config.dataDir,
    'checkpoint-dir': o.checkpointDir ?? s.checkpointDir,
    'events-topic': config.topics.events,
    'windows-topic': config.topics.windows,
    'live-topic': config.topics.live,
    'metrics-topic': config.topics.metrics,
    'window-ms': config.windows.windowMs,
    'scale-factor': config.windows.scaleFactor,
    'watermark-ms': s.watermarkMs,
    'tick-liveness-ms': s.tickLivenessMs,
    'dedup-retention-ms': s.dedupRetentionMs,
    mood: moodTableSpec(config.windows.mood),
    'trigger-ms': s.triggerMs,
    'shuffle-partitions': s.shufflePartitions,
    'ui-port': s.uiPort,
    'starting-offsets': o.startingOffsets,
    // the JVM exits if this Node process dies without stopping it (not for spark-submit)
    'parent-pid': o.master === null ? undefined : process.pid,
  };
  return Object.entries(args).flatMap(([k, v]) => (v === undefined ? [] : [`--${k}=${v}`]));
}

const isLocal = (master: string) => master.startsWith('local');

/**
 * Where the driver listens and what executors dial: spark.* system properties (SparkConf reads them) and
 * SPARK_LOCAL_IP (where Spark binds what has no setting of its own, the UI among them). A local master keeps
 * everything on 127.0.0.1 unless told otherwise; a cluster master gets Spark's defaults (this host's name,
 * every interface) unless SPARK_DRIVER_HOST / SPARK_DRIVER_BIND_ADDRESS say.
 */
export function sparkDriverNetwork(config: Config): { jvmArgs: string[]; env: Record<string, string> } {
  const s = config.spark;
  const local = isLocal(s.master);
  const host = s.driverHost ?? (local ? '127.0.0.1' : null);
  const bind = s.driverBindAddress ?? (local ? '127.0.0.1' : null);
  const props: Record<string, string | null> = {
    'spark.driver.host': host,
    'spark.driver.bindAddress': bind,
    'spark.driver.port': s.driverPort ? String(s.driverPort) : null,
    'spark.blockManager.port': s.blockManagerPort ? String(s.blockManagerPort) : null,
  };
  return {
    jvmArgs: Object.entries(props).flatMap(([k, v]) => (v === null ? [] : [`-D${k}=${v}`])),
    env: bind ? { SPARK_LOCAL_IP: bind } : {},
  };
}

/** The system property naming the Kafka client properties file (io.emostream.spark.KafkaClientProperties). */
export const KAFKA_PROPERTIES_PROPERTY = 'emostream.kafka.properties';

/**
 * KAFKA_SECURITY_PROTOCOL and companions for the job's Kafka source and producers: written to
 * <dataDir>/spark/kafka-client.properties (mode 0600: the SASL password is in it) and named by a system
 * property; nothing for PLAINTEXT.
 */
export function sparkKafkaSecurity(config: Config): string[] {
  const props = javaClientSecurity(config.kafka.security);
  if (Object.keys(props).length === 0) return [];
  const dir = join(config.dataDir, 'spark');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'kafka-client.properties');
  writeFileSync(file, propertiesText(props), { mode: 0o600 });
  chmodSync(file, 0o600); // an existing file keeps its old mode otherwise
  return [`-D${KAFKA_PROPERTIES_PROPERTY}=${file}`];
}

const PROGRESS_MARK = ' MetricsListener: progress ';
const IDLE_MARK = ' MetricsListener: idle ';

/** What a line of the job's log says (io.emostream.spark.MetricsListener): a progress report, an idle report, or nothing. */
export function readJobLogLine(line: string): { progress: SparkProgressLine } | 'idle' | null {
  const i = line.indexOf(PROGRESS_MARK);
  if (i >= 0) {
    try {
      return { progress: JSON.parse(line.slice(i + PROGRESS_MARK.length)) as SparkProgressLine };
    } catch {
      return null;
    }
  }
  return line.includes(IDLE_MARK) ? 'idle' : null;
}

/** Start the job; `ready` resolves on its first progress report. */
export function startSparkJob(config: Config, o: SparkJobOptions): SparkJob {
  const log = o.log ?? (() => {});
  const logFile = join(config.dataDir, 'logs', 'spark.log');
  let logStart = 0;
  try {
    logStart = statSync(logFile).size;
  } catch {
    /* a fresh log */
  }
  mkdirSync(config.dataDir, { recursive: true });
  const net = sparkDriverNetwork(config);
  const t0 = Date.now();
  const proc = spawnJava({
    name: 'spark',
    libDir: o.libDir ?? SPARK_LIB_DIR,
    mainClass: SPARK_MAIN_CLASS,
    args: sparkJobArgs(config, o),
    heap: config.spark.heap,
    jvmArgs: [...SPARK_JVM_FLAGS, ...JVM_EXTRA, ...net.jvmArgs, ...sparkKafkaSecurity(config)],
    logFile,
    env: net.env,
    cwd: config.dataDir,
  });
  log(`Spark job starting (pid ${proc.child.pid}, master ${config.spark.master}, heap ${config.spark.heap}, log ${logFile})`);

  // Follow the log file (the JVM writes it directly) for progress lines.
  const listeners = new Set<(p: SparkProgressLine) => void>();
  const idleListeners = new Set<() => void>();
  let offset = logStart;
  let partial = '';
  let readyResolve!: (ms: number) => void;
  let readyReject!: (e: Error) => void;
  let isReady = false;
  const ready = new Promise<number>((res, rej) => {
    readyResolve = res;
    readyReject = rej;
  });
  ready.catch(() => {}); // a caller that never awaits `ready` must not crash the process
  // every 200 ms at rest too: a stat, and the file opened only when it grew (one read buffer for the job's life)
  const buf = Buffer.allocUnsafe(256 * 1024);
  const poll = () => {
    let size: number;
    try {
      size = statSync(logFile).size;
    } catch {
      return;
    }
    // log4j2 rolled the file (src/processes/java-process.ts): the new one is read from its start
    if (size < offset) offset = 0;
    else if (size === offset) return;
    let fd: number;
    try {
      fd = openSync(logFile, 'r');
    } catch {
      return;
    }
    try {
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, offset);
        if (n <= 0) break;
        offset += n;
        partial += buf.subarray(0, n).toString('utf8');
      }
    } finally {
      closeSync(fd);
    }
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const read = readJobLogLine(line);
      if (read === 'idle') for (const fn of idleListeners) fn();
      if (read === null || read === 'idle') continue;
      const p = read.progress;
      if (!isReady) {
        isReady = true;
        const ms = Date.now() - t0;
        log(`Spark job ready in ${ms} ms (first micro-batch done)`);
        readyResolve(ms);
      }
      for (const fn of listeners) fn(p);
    }
  };
  const timer = setInterval(poll, 200);
  timer.unref();
  const readyTimer = setTimeout(
    () => readyReject(new Error(`the Spark job reported no progress within ${o.readyTimeoutMs ?? 120_000} ms; see ${logFile}`)),
    o.readyTimeoutMs ?? 120_000,
  );
  readyTimer.unref();
  void ready.finally(() => clearTimeout(readyTimer)).catch(() => {});
  void proc.exited.then((code) => {
    clearInterval(timer);
    clearTimeout(readyTimer);
    poll();
    if (!isReady) readyReject(new Error(`the Spark job exited (${code}) before its first micro-batch; see ${logFile}`));
  });

  return {
    process: proc,
    logFile,
    ready,
    onProgress(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    onIdle(fn) {
      idleListeners.add(fn);
      return () => idleListeners.delete(fn);
    },
    async stop() {
      clearInterval(timer);
      // SIGTERM: the job's shutdown hook stops the query (the checkpoint stays consistent either way)
      await proc.stop(20_000);
    },
  };
}
