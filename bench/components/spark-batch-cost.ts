// What one micro-batch of the Spark job costs, in CPU time, on a fixed input: a topic of its own filled first with
// `--events` events (1,000 events/s of event time over `--matches` matches, ticks to every partition every 250 ms of
// event time), then read by a job started on it from the beginning with `--per-batch` records per micro-batch. The
// job's CPU (utime + stime) from the end of the `--skip`-th batch (start-up and JIT warm-up left out) to the batch
// that read the last record, per batch and per 1,000 events; the same for the executor's task threads alone (the
// per-row work, without the driver, JIT compiler and garbage collector threads: less noisy on a shared machine)
// and the job's CPU per batch by thread (task, driver, jit, gc, other);
// batch durations and Spark's per-phase durations.
// CPU time is the work done, so two builds measured on a loaded machine still compare (wall times do not).
//
//   KAFKA_BROKERS=127.0.0.1:9092 npx tsx bench/components/spark-batch-cost.ts [--events 60000] [--per-batch 3000] [--skip 5] [--lib-dir DIR] [--pack N] [--instances N]
//
// --pack N writes the input as the ingest path does with INGEST_PACK_EVENTS=N (src/kafka/packed.ts: each send's
// events of one partition in records of up to N); --per-batch still means the records of the unpacked input, so a
// micro-batch holds about as many events either way (the job reads fewer, larger records).
// --instances N writes the ticks as N API instances do in the platform (each tick carries its instance, so the job
// keeps a clock row per (instance, partition), and each instance also ticks every partition at each window boundary);
// 0 (the default): ticks without an instance, as tools write them. SPARK_DEDUP_RETENTION_MS etc. are read from the
// environment as by the platform (a retention shorter than the input's event time makes the dedup state expire).
// --lib-dir runs another build of the job (a copy of spark/build/runtime-libs), e.g. to compare before and after.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config.ts';
import { createKafka } from '../../src/kafka/client.ts';
import type { OutRecord } from '../../src/kafka/batcher.ts';
import { packRecords } from '../../src/kafka/packed.ts';
import { tickRecords } from '../../src/kafka/ticks.ts';
import { startSparkJob, type SparkProgressLine } from '../../src/spark/job.ts';
import { procSample, threadCpuMs } from '../lib/proc.ts';
import { eventMessage } from '../../tests/support/spark.ts';

const { values: a } = parseArgs({
  options: {
    events: { type: 'string', default: '60000' },
    'per-batch': { type: 'string', default: '3000' },
    matches: { type: 'string', default: '4' },
    skip: { type: 'string', default: '5' },
    'lib-dir': { type: 'string' },
    pack: { type: 'string', default: '1' },
    instances: { type: 'string', default: '0' },
  },
});
const total = Number(a.events);
const pack = Number(a.pack);
const instances = Array.from({ length: Number(a.instances) }, (_, i) => `i-cost-${i}`);
let perBatch = Number(a['per-batch']);
const skip = Number(a.skip);
const runId = Math.random().toString(36).slice(2, 8);
const dataDir = mkdtempSync(join(tmpdir(), 'emostream-spark-cost-'));
const topic = `emoji-events-cost-${runId}`;
const config = loadConfig({ ...process.env, KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092', DATA_DIR: dataDir, SPARK_UI_PORT: '0', TOPIC_EVENTS: topic });
const partitions = config.topics.eventsPartitions;
const kafka = createKafka(config, `spark-cost-${runId}`);
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }] });

// the input: event i at t0 + i ms (1,000 events/s of event time), a tick to every partition every 250 ms
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
await producer.connect();
const t0 = Date.now() - total - 60_000;
const matches = Array.from({ length: Number(a.matches) }, (_, i) => `m-cost-${runId}-${i}`);
const palette = config.ingest.palette;
let records = 0;
let unpacked = 0;
for (let i = 0; i < total; i += 1000) {
  let messages: OutRecord[] = [];
  for (let j = i; j < Math.min(total, i + 1000); j++) {
    const tickAt = j % 250 === 0 || (instances.length > 0 && (t0 + j) % config.windows.windowMs === 0);
    for (const instance of instances.length ? instances : [undefined]) {
      if (tickAt) messages.push(...tickRecords(partitions, t0 + j, instance).map((r) => ({ key: r.key, value: r.value, partition: r.partition })));
    }
    messages.push(eventMessage(matches[j % matches.length]!, palette[(j * 7) % palette.length]!, t0 + j));
  }
  unpacked += messages.length;
  messages = packRecords(messages, partitions, pack);
  records += messages.length;
  await producer.send({ topic, acks: -1, messages });
}
// the same events per micro-batch as the unpacked input
if (pack > 1) perBatch = Math.max(1, Math.round((perBatch * records) / unpacked));
// a last tick past the end: the windows of the input all close
const last = tickRecords(partitions, t0 + total + 5000).map((r) => ({ key: r.key, value: r.value, partition: r.partition }));
await producer.send({ topic, acks: -1, messages: last });
records += last.length;
await producer.disconnect();
console.error(`${records} records (${total} events${pack > 1 ? `, up to ${pack} a record` : ''}) on ${topic}; starting the job, ${perBatch} records per batch`);

process.env.JAVA_TOOL_OPTIONS = `${process.env.JAVA_TOOL_OPTIONS ?? ''} -Demostream.spark.max-offsets-per-trigger=${perBatch}`.trim();
const job = startSparkJob(config, { brokers: config.kafka.brokers!, log: (m) => console.error(m), libDir: a['lib-dir'], startingOffsets: 'earliest', readyTimeoutMs: 600_000 });
const batches: (SparkProgressLine & { cpuMs: number; threadsMs: Map<string, number> })[] = [];
let read = 0;
const threadsSeen = new Map<string, number>();
const threadsMs = new Map<string, number>(); // CPU by thread name since the job started
const done = new Promise<void>((resolve) => {
  job.onProgress((p) => {
    const s = procSample(job.process.child.pid!);
    for (const [name, ms] of threadCpuMs(job.process.child.pid!, threadsSeen)) threadsMs.set(name, (threadsMs.get(name) ?? 0) + ms);
    batches.push({ ...p, cpuMs: s?.cpuMs ?? NaN, threadsMs: new Map(threadsMs) });
    read += Number(p.input_rows);
    if (read >= records) resolve();
  });
});
const startupMs = await job.ready;
await Promise.race([done, new Promise((r) => setTimeout(r, 1_800_000))]);
await job.stop();
await admin.deleteTopics({ topics: [topic] }).catch(() => {});
await admin.disconnect();

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! : NaN;
};
const measured = batches.slice(skip);
const cpuMs = measured.length > 1 ? measured.at(-1)!.cpuMs - batches[skip - 1]!.cpuMs : NaN;
// the job's CPU by thread over the same batches: the executor's task (the per-row work), the driver's stream
// thread (planning, scheduling, the foreachBatch sink), the JIT compilers, the garbage collector, the rest
const groupOf = (name: string) =>
  name.startsWith('Executor task') ? 'task' : name.startsWith('stream executio') ? 'driver' : /^C[12] Compiler/.test(name) ? 'jit' : /^(GC|G1)/.test(name) ? 'gc' : 'other';
const byThread: Record<string, number> = { task: 0, driver: 0, jit: 0, gc: 0, other: 0 };
if (measured.length > 1) {
  for (const [name, ms] of measured.at(-1)!.threadsMs) byThread[groupOf(name)]! += ms - (batches[skip - 1]!.threadsMs.get(name) ?? 0);
}
const tasksMs = byThread.task!;
const events = measured.reduce((n, b) => n + Number(b.events ?? 0), 0);
const parts: Record<string, number> = {};
for (const k of new Set(measured.flatMap((b) => Object.keys((b.durations_ms ?? {}) as object)))) {
  parts[k] = pct(measured.map((b) => ((b.durations_ms ?? {}) as Record<string, number>)[k] ?? 0), 50);
}
console.log(
  JSON.stringify(
    {
      events_total: total,
      pack,
      records_per_batch: perBatch,
      read_all: read >= records,
      startup_ms: startupMs,
      batches_measured: measured.length,
      events_measured: events,
      windows_closed: measured.reduce((n, b) => n + Number(b.windows ?? 0), 0),
      late: measured.reduce((n, b) => n + Number(b.late ?? 0), 0),
      job_cpu_ms_per_batch: Math.round(cpuMs / measured.length),
      job_cpu_ms_per_1k_events: Math.round((1000 * cpuMs) / Math.max(1, events)),
      task_cpu_ms_per_batch: Math.round(tasksMs / measured.length),
      task_cpu_ms_per_1k_events: Math.round((1000 * tasksMs) / Math.max(1, events)),
      cpu_ms_per_batch_by_thread: Object.fromEntries(Object.entries(byThread).map(([k, v]) => [k, Math.round(v / measured.length)])),
      batch_duration_ms: { p50: pct(measured.map((b) => b.batch_duration_ms), 50), p90: pct(measured.map((b) => b.batch_duration_ms), 90), parts_p50: parts },
    },
    null,
    2,
  ),
);
rmSync(dataDir, { recursive: true, force: true });
process.exit(read >= records ? 0 : 1);
