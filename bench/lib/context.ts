// Shared by the benchmark scenarios: a Kafka broker of the bench's own (embedded, ports 39092/39093, data
// in a temp folder) unless BENCH_KAFKA_BROKERS names one; a platform per scenario with topics of its own
// (so no scenario reads another's backlog); the result shape; and the standalone entry point that lets
// each scenario file run alone (`npx tsx bench/scenarios/<name>.ts`).
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/kafka/broker.ts';
import { createKafka, ensureTopics } from '../../src/kafka/client.ts';
import { startPlatform, type Platform, type PlatformOptions } from '../../src/app/platform.ts';

export interface BenchContext {
  brokers: string;
  /** pid of the bench's own broker (undefined with BENCH_KAFKA_BROKERS): the idle row measures it */
  brokerPid?: number;
  /** a scratch folder removed at the end of the run */
  tmp: string;
  log: (msg: string) => void;
}

/**
 * One row of the README's benchmark table. Several scenarios may fill cells of the same row id (the table
 * merges them, first non-empty cell wins); a row keeps its place by `order`.
 *   ingestOnly: measured with SPARK_ENABLED=false STREAMS_ENABLED=false (the ingest path alone)
 *   whole:      measured with the whole platform (Spark job and Kafka Streams running)
 *   baseline:   what the ratio divides by, measured in the same run
 *   ratio:      measured ÷ baseline, or why none is printed (e.g. the generator was at its limit)
 *   generator:  the load generator's CPU over the measured run(s), for HTTP rows
 */
export interface BenchRow {
  id: string;
  title: string;
  ingestOnly?: string;
  whole?: string;
  baseline?: string;
  ratio?: string;
  generator?: string;
  notes?: string;
}

export interface ScenarioResult {
  name: string;
  rows: BenchRow[];
  details: Record<string, unknown>;
  seconds: number;
}

export type Scenario = (ctx: BenchContext) => Promise<ScenarioResult>;

export const BENCH_KAFKA_PORT = 39092;

export async function startBenchBroker(log: (m: string) => void): Promise<{ brokers: string; pid?: number; stop(): Promise<void> }> {
  if (process.env.BENCH_KAFKA_BROKERS) return { brokers: process.env.BENCH_KAFKA_BROKERS, stop: async () => {} };
  const dataDir = mkdtempSync(join(tmpdir(), 'emostream-bench-broker-'));
  const t0 = Date.now();
  const broker: EmbeddedBroker = await startEmbeddedBroker({ dataDir, port: BENCH_KAFKA_PORT, controllerPort: BENCH_KAFKA_PORT + 1, heap: '768m' });
  log(`bench broker on ${broker.bootstrap} in ${Date.now() - t0} ms (data ${dataDir})`);
  return {
    brokers: broker.bootstrap,
    pid: broker.process.child.pid,
    async stop() {
      await broker.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The environment of one scenario's platform: topics and the Kafka Streams app id of its own, API on a random port. */
export function benchEnv(ctx: BenchContext, scenario: string, env: Record<string, string> = {}): Record<string, string> {
  const tag = `${scenario}-${Date.now().toString(36)}`;
  return {
    KAFKA_BROKERS: ctx.brokers,
    DATA_DIR: mkdtempSync(join(ctx.tmp, `${scenario}-`)),
    PORT: '0',
    SPARK_UI_PORT: '0',
    LOG_LEVEL: 'warn',
    TOPIC_EVENTS: `${tag}-events`,
    TOPIC_WINDOWS: `${tag}-windows`,
    TOPIC_EXACT: `${tag}-exact`,
    TOPIC_METRICS: `${tag}-metrics`,
    TOPIC_MOMENTS: `${tag}-moments`,
    TOPIC_LIVE: `${tag}-live`,
    STREAMS_APP_ID: `emostream-exact-${tag}`,
    ...env,
  };
}

/** A config for one scenario (see benchEnv). */
export function benchConfig(ctx: BenchContext, scenario: string, env: Record<string, string> = {}): Config {
  return loadConfig(benchEnv(ctx, scenario, env));
}

export async function benchPlatform(config: Config, opts: PlatformOptions): Promise<Platform> {
  const admin = createKafka(config, 'bench-setup').admin();
  await admin.connect();
  try {
    await ensureTopics(admin, config);
  } finally {
    await admin.disconnect();
  }
  return startPlatform(config, opts);
}

/** Delete a scenario's own topics (polite on a shared BENCH_KAFKA_BROKERS cluster). */
export async function dropTopics(config: Config): Promise<void> {
  const admin = createKafka(config, 'bench-cleanup').admin();
  try {
    await admin.connect();
    const t = config.topics;
    const existing = new Set(await admin.listTopics());
    const mine = [t.events, t.windows, t.exact, t.metrics, t.moments, t.live].filter((x) => existing.has(x));
    if (mine.length) await admin.deleteTopics({ topics: mine, timeout: 10_000 });
  } catch {
    /* best effort */
  } finally {
    await admin.disconnect().catch(() => {});
  }
}


export function quantiles(values: number[]): { p50: number; p99: number; max: number; n: number } {
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number) => (s.length ? +s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!.toFixed(1) : NaN);
  return { p50: q(0.5), p99: q(0.99), max: s.length ? +s[s.length - 1]!.toFixed(1) : NaN, n: s.length };
}

/** CPU time (ms) and peak RSS of this process over `fn`, sampling RSS every 100 ms. */
export async function measureProcess<T>(fn: () => Promise<T>): Promise<{ value: T; cpuMs: number; wallMs: number; rssPeakMiB: number; cpuPct: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 100);
  try {
    const value = await fn();
    const c = process.cpuUsage(c0);
    const wallMs = performance.now() - t0;
    const cpuMs = (c.user + c.system) / 1000;
    return { value, cpuMs, wallMs, rssPeakMiB: Math.round(peak / 1048576), cpuPct: +((cpuMs / wallMs) * 100).toFixed(1) };
  } finally {
    clearInterval(timer);
  }
}

/** Run a scenario alone: its own broker and scratch folder; prints the result as JSON. */
export async function runStandalone(name: string, scenario: Scenario): Promise<void> {
  const log = (m: string) => process.stderr.write(`[bench:${name}] ${m}\n`);
  const broker = await startBenchBroker(log);
  const tmp = mkdtempSync(join(tmpdir(), 'emostream-bench-'));
  let code = 0;
  try {
    const r = await scenario({ brokers: broker.brokers, brokerPid: broker.pid, tmp, log });
    process.stdout.write(JSON.stringify(r, null, 2) + '\n');
  } catch (err) {
    log(`failed: ${err instanceof Error ? err.stack : String(err)}`);
    code = 1;
  } finally {
    await broker.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
  process.exit(code);
}

/** A TCP port free on loopback right now. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

export const isMain = (url: string) => process.argv[1] !== undefined && url === `file://${process.argv[1]}`;
