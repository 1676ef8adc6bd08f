// Window end → record on emoji-windows latency of the Spark job under steady load, plus start-up time, batch
// durations and the job's RSS. Starts its own job (temp data dir, UI off) unless --no-job (then it measures the
// job already running, e.g. under `npm start`).
//
//   KAFKA_BROKERS=127.0.0.1:9092 npx tsx bench/components/spark-latency.ts [--windows 100] [--rate 1000] [--matches 2] [--warmup-s 20] [--no-job] [--lib-dir DIR] [--keep-log FILE]
//
// After the warm-up it also reports the job's CPU per micro-batch by thread (task = the executor's task threads,
// driver = the stream execution thread, jit, gc, other; as spark-batch-cost.ts) and the per-phase durations'
// p50 (Spark's durationMs). --keep-log FILE copies the job's log (its progress reports, one JSON line per batch,
// with each stateful operator's commit and update times) to FILE before the data dir is deleted.
//
// Spark settings the job does not expose go through the JVM's environment, e.g.
//   JAVA_TOOL_OPTIONS='-Dspark.sql.streaming.stateStore.providerClass=…'   (spark.* system properties reach the SparkConf)
//
// Events are written straight to emoji-events with received_at = now, ticks to every partition every 250 ms
// (as the API does); SPARK_* environment variables (trigger, watermark, heap …) apply to the job started here.
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config.ts';
import { createKafka } from '../../src/kafka/client.ts';
import { startSparkJob, type SparkJob } from '../../src/spark/job.ts';
import { loadAverage, procSample, threadCpuMs } from '../lib/proc.ts';
import { eventMessage, readWindows, startDirectTicks } from '../../tests/support/spark.ts';
import { setTimeout as sleep } from 'node:timers/promises';

const { values: a } = parseArgs({
  options: {
    windows: { type: 'string', default: '100' },
    rate: { type: 'string', default: '1000' },
    matches: { type: 'string', default: '2' },
    'warmup-s': { type: 'string', default: '20' },
    'no-job': { type: 'boolean', default: false },
    // another build of the job (e.g. a copy of spark/build/runtime-libs with a changed spark.jar)
    'lib-dir': { type: 'string' },
    'keep-log': { type: 'string' },
  },
});
const wantWindows = Number(a.windows);
const rate = Number(a.rate);
const matchCount = Number(a.matches);
const warmupMs = Number(a['warmup-s']) * 1000;

const dataDir = mkdtempSync(join(tmpdir(), 'emostream-spark-measure-'));
const config = loadConfig({ ...process.env, KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092', DATA_DIR: a['no-job'] ? process.env.DATA_DIR : dataDir, SPARK_UI_PORT: process.env.SPARK_UI_PORT ?? '0' });
const runId = Math.random().toString(36).slice(2, 8);
const matches = Array.from({ length: matchCount }, (_, i) => `m-measure-${runId}-${i}`);
const palette = config.ingest.palette;
const kafka = createKafka(config, `spark-measure-${runId}`);
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
await producer.connect();
const admin = kafka.admin();
await admin.connect();
const partitions = (await admin.fetchTopicMetadata({ topics: [config.topics.events] })).topics[0]!.partitions.length;
await admin.disconnect();

const pct = (xs: number[], p: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const rssMb = (pid: number) => {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : NaN;
  } catch {
    return NaN;
  }
};

const ticks = startDirectTicks(producer, config.topics.events, partitions, config.ingest.tickIntervalMs || 250);
let job: SparkJob | null = null;
const batches: { at: number; ms: number; rows: number; parts: Record<string, number> }[] = [];
const rss: number[] = [];
let startupMs = NaN;
if (!a['no-job']) {
  // 'latest': steady state only, not the topic's backlog; start-up under load can take minutes
  job = startSparkJob(config, { brokers: config.kafka.brokers!, log: (m) => console.error(m), libDir: a['lib-dir'], startingOffsets: 'latest', readyTimeoutMs: 300_000 });
  job.onProgress((p) => batches.push({ at: Date.now(), ms: p.batch_duration_ms, rows: Number(p.input_rows), parts: (p.durations_ms ?? {}) as Record<string, number> }));
  startupMs = await job.ready;
}
const reader = await readWindows(kafka, config.topics.windows, `spark-measure-${runId}`, (m) => matches.includes(m));

// steady load: every 50 ms, rate/20 events with received_at = now, spread over matches and the palette
let sent = 0;
let sending = false;
const load = setInterval(() => {
  if (sending) return;
  sending = true;
  const now = Date.now();
  const n = Math.max(1, Math.round(rate / 20));
  const messages = Array.from({ length: n }, (_, i) => eventMessage(matches[i % matches.length]!, palette[(i * 7 + sent) % palette.length]!, now));
  producer
    .send({ topic: config.topics.events, acks: -1, messages })
    .then(() => void (sent += n))
    .catch((e) => console.error('produce failed', e))
    .finally(() => (sending = false));
}, 50);
const loadStart = Date.now();
const rssTimer = setInterval(() => job?.process.child.pid && rss.push(rssMb(job.process.child.pid)), 1000);
// the job's CPU over the measured part (after the warm-up)
const cpu0: { cpuMs: number; at: number } = { cpuMs: NaN, at: 0 };
// CPU of the processes the job started and waited for (utime + stime of its children; not in the figures above)
const childCpuMs = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[13]) + Number(f[14])) * 1000) / 100; // cutime (16), cstime (17), USER_HZ 100
  } catch {
    return NaN;
  }
};
let children0 = NaN;
const threadsSeen = new Map<string, number>();
const threadsMs = new Map<string, number>(); // CPU by thread name since the warm-up's end
const cpuTimer = setTimeout(() => {
  const p = job?.process.child.pid ? procSample(job.process.child.pid) : null;
  if (p) Object.assign(cpu0, { cpuMs: p.cpuMs, at: Date.now() });
  if (job?.process.child.pid) threadCpuMs(job.process.child.pid, threadsSeen);
  if (job?.process.child.pid) children0 = childCpuMs(job.process.child.pid);
}, warmupMs);

console.error(`load started: ${rate} events/s over ${matchCount} match(es); warm-up ${warmupMs / 1000} s, then ${wantWindows} windows`);
const counted = () => reader.arrived.filter((w) => Date.parse(w.record.window_start) >= loadStart + warmupMs);
const deadline = Date.now() + warmupMs + (wantWindows / matchCount) * config.windows.windowMs * 1.5 + 60_000;
while (counted().length < wantWindows && Date.now() < deadline) await sleep(500);
clearInterval(load);
clearInterval(rssTimer);
clearTimeout(cpuTimer);
const cpu1 = job?.process.child.pid ? procSample(job.process.child.pid) : null;
const jobCpuPct = cpu1 && cpu0.at ? Math.round((1000 * (cpu1.cpuMs - cpu0.cpuMs)) / (Date.now() - cpu0.at)) / 10 : NaN;
if (job?.process.child.pid && cpu0.at) for (const [name, ms] of threadCpuMs(job.process.child.pid, threadsSeen)) threadsMs.set(name, ms);
const groupOf = (name: string) =>
  name.startsWith('Executor task') ? 'task' : name.startsWith('stream executio') ? 'driver' : /^C[12] Compiler/.test(name) ? 'jit' : /^(GC|G1)/.test(name) ? 'gc' : 'other';
const byThread: Record<string, number> = { task: 0, driver: 0, jit: 0, gc: 0, other: 0 };
for (const [name, ms] of threadsMs) byThread[groupOf(name)]! += ms;
const childrenMs = job?.process.child.pid ? childCpuMs(job.process.child.pid) - children0 : NaN;

const measured = counted();
const lags = measured.map((w) => w.lagMs);
const steady = batches.filter((b) => b.at >= loadStart + warmupMs);
const steadyBatches = steady.map((b) => b.ms);
const partsP50: Record<string, number> = {};
for (const k of new Set(steady.flatMap((b) => Object.keys(b.parts)))) partsP50[k] = pct(steady.map((b) => b.parts[k] ?? 0), 50);
const ids = reader.arrived.map((w) => `${w.record.match_id}:${w.record.window_start}`);
const summary = {
  trigger_ms: config.spark.triggerMs,
  watermark_ms: config.spark.watermarkMs,
  shuffle_partitions: config.spark.shufflePartitions,
  rate_events_per_s: rate,
  matches: matchCount,
  events_sent: sent,
  windows_measured: measured.length,
  duplicate_window_ids: ids.length - new Set(ids).size,
  latency_ms: { p50: pct(lags, 50), p90: pct(lags, 90), p99: pct(lags, 99), max: Math.max(...lags), min: Math.min(...lags) },
  startup_to_first_progress_ms: startupMs,
  batch_duration_ms: { n: steadyBatches.length, p50: pct(steadyBatches, 50), p99: pct(steadyBatches, 99), max: Math.max(...steadyBatches), rows_p50: pct(steady.map((b) => b.rows), 50), parts_p50: partsP50 },
  job_cpu_pct_of_a_core: jobCpuPct,
  // over the batches after the warm-up
  cpu_ms_per_batch_by_thread: Object.fromEntries(Object.entries(byThread).map(([k, v]) => [k, Math.round(v / Math.max(1, steady.length))])),
  child_processes_cpu_ms_per_batch: Math.round(childrenMs / Math.max(1, steady.length)),
  load_average: loadAverage(),
  job_rss_mb: { last: rss.at(-1), max: Math.max(...rss) },
  heap: config.spark.heap,
};
console.log(JSON.stringify(summary, null, 2));

await ticks.stop();
await reader.stop();
await producer.disconnect();
await job?.stop();
if (a['keep-log'] && !a['no-job']) copyFileSync(join(dataDir, 'logs', 'spark.log'), a['keep-log']);
rmSync(dataDir, { recursive: true, force: true });
process.exit(measured.length >= wantWindows ? 0 : 1);
