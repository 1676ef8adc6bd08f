// Shared by the benchmark scenarios: a Kafka broker of the bench's own (embedded, ports 39092/39093, data
// in a temp folder) unless BENCH_KAFKA_BROKERS names one; a platform per scenario with topics of its own
// (so no scenario reads another's backlog); the result shape; and the standalone entry point that lets
// each scenario file run alone (`npx tsx bench/scenarios/<name>.ts`).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/kafka/broker.ts';
import { createKafka, ensureTopics } from '../../src/kafka/client.ts';
import { startPlatform, type Platform, type PlatformOptions } from '../../src/app/platform.ts';

export interface BenchContext {
  brokers: string;
  /** a scratch folder removed at the end of the run */
  tmp: string;
  log: (msg: string) => void;
}

export interface ScenarioResult {
  name: string;
  title: string;
  /** the headline figure */
  measured: { value: number; unit: string; label: string };
  baseline: { value: number; unit: string; label: string };
  /** measured / baseline (for latencies: baseline / measured is NOT used; the ratio is always measured ÷ baseline) */
  ratio: number;
  /** one line for the table's last column */
  summary: string;
  details: Record<string, unknown>;
  seconds: number;
}

export type Scenario = (ctx: BenchContext) => Promise<ScenarioResult>;

export const BENCH_KAFKA_PORT = 39092;

export async function startBenchBroker(log: (m: string) => void): Promise<{ brokers: string; stop(): Promise<void> }> {
  if (process.env.BENCH_KAFKA_BROKERS) return { brokers: process.env.BENCH_KAFKA_BROKERS, stop: async () => {} };
  const dataDir = mkdtempSync(join(tmpdir(), 'emostream-bench-broker-'));
  const t0 = Date.now();
  const broker: EmbeddedBroker = await startEmbeddedBroker({ dataDir, port: BENCH_KAFKA_PORT, controllerPort: BENCH_KAFKA_PORT + 1, heap: '768m' });
  log(`bench broker on ${broker.bootstrap} in ${Date.now() - t0} ms (data ${dataDir})`);
  return {
    brokers: broker.bootstrap,
    async stop() {
      await broker.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A config for one scenario: topics and the Kafka Streams app id of its own, API on a random port. */
export function benchConfig(ctx: BenchContext, scenario: string, env: Record<string, string> = {}): Config {
  const tag = `${scenario}-${Date.now().toString(36)}`;
  return loadConfig({
    KAFKA_BROKERS: ctx.brokers,
    DATA_DIR: mkdtempSync(join(ctx.tmp, `${scenario}-`)),
    PORT: '0',
    SPARK_UI_PORT: '0',
    LOG_LEVEL: 'warn',
    TOPIC_EVENTS: `${tag}-events`,
    TOPIC_WINDOWS: `${tag}-windows`,
    TOPIC_EXACT: `${tag}-exact`,
    TOPIC_METRICS: `${tag}-metrics`,
    STREAMS_APP_ID: `emostream-exact-${tag}`,
    ...env,
  });
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
    const mine = [t.events, t.windows, t.exact, t.metrics].filter((x) => existing.has(x));
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
    const r = await scenario({ brokers: broker.brokers, tmp, log });
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

export const isMain = (url: string) => process.argv[1] !== undefined && url === `file://${process.argv[1]}`;
