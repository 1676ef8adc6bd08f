// Ingest A/B in one run: the same load against a no-op node:http server and against the platform
// (ingest-only) in one or more configurations, back to back, each server in a child process of its own
// (bench/components/ingest-server.ts). Noisy machines: compare rows of ONE run, not across runs.
//   npx tsx bench/components/ingest-ab.ts --mode single --seconds 10 \
//       --variant base= --variant java=INGEST_PRODUCER=java [--prof /tmp/prof] [--brokers 127.0.0.1:9092]
//   --mode single: the bench's generator (bench/lib/loadgen.ts: autocannon in GENERATOR_PROCESSES processes,
//                  c=100 in all; one event per POST /v1/emoji) against the no-op server and each variant; the
//                  ratio is variant ÷ no-op. --rate N: open loop at N events/s instead (the paced node:http
//                  client): on a busy machine the server's CPU per 1,000 events at a fixed rate is the steadier
//                  before/after figure.
//   --mode batch:  bench/lib/loadgen.ts, 1,000 events a POST /v1/emoji/batch, c=8 (50,000 user ids); durable
//                  events/s per variant.
// A variant is `name=KEY=VALUE,KEY=VALUE` (environment for that server; BENCH_ROOT=<dir> runs the server of
// another checkout, e.g. a `git worktree` of main, for a before/after in one run). --prof DIR runs each variant's server
// under `node --cpu-prof` (profiles in DIR/<name>/); print their top frames with bench/components/top-frames.ts.
// --broker-pid PID (the broker's JVM, e.g. started by scripts/dev/start-broker.ts): also the broker's CPU per
// 1,000 events, for changes that move work to or from the broker (packed records: INGEST_PACK_EVENTS).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultProcesses, generatorNote, runLoad } from '../lib/loadgen.ts';
import { loadAverage } from '../lib/proc.ts';
import { parseVariant } from '../lib/variants.ts';

const { values } = parseArgs({
  options: {
    mode: { type: 'string', default: 'single' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string' },
    variant: { type: 'string', multiple: true, default: ['base='] },
    prof: { type: 'string' },
    brokers: { type: 'string', default: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092' },
    batch: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '1' },
    rate: { type: 'string', default: '0' },
    'broker-pid': { type: 'string' },
  },
});
const mode = values.mode === 'batch' ? 'batch' : 'single';
const seconds = Number(values.seconds);
const server = join(import.meta.dirname, 'ingest-server.ts');
const run = Date.now().toString(36);

/** CPU ticks (1/100 s) of a process, or of its main thread (the event loop) with `main`. */
const cpuTicks = (pid: number, main = false): number => {
  try {
    const f = readFileSync(main ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return Number(f[11]) + Number(f[12]); // utime + stime, in clock ticks (100/s)
  } catch {
    return NaN;
  }
};

async function startServer(kind: 'noop' | 'platform', env: Record<string, string>, prof?: string): Promise<{ port: number; child: ChildProcess; stop(): Promise<string> }> {
  const execArgv = ['--import', 'tsx', ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [])];
  // BENCH_ROOT=<another checkout>: that checkout's server (before/after A/B of a change in one run)
  const file = env.BENCH_ROOT ? join(env.BENCH_ROOT, 'bench/components/ingest-server.ts') : server;
  const child = spawn(process.execPath, [...execArgv, file, kind], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()).port));
    child.once('exit', (code) => reject(new Error(`server exited (${code}): ${err}`)));
  });
  return {
    port,
    child,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve(err.trim()));
        child.kill('SIGTERM');
      }),
  };
}

interface Row {
  name: string;
  value: number;
  p50: number;
  p99: number;
  non2xx: number;
  serverCpuPct: number;
  /** server CPU per 1,000 answered events: the whole process, and its main thread (the event loop) */
  cpuMsPerK: number;
  loopMsPerK: number;
  /** the broker's CPU per 1,000 events (with --broker-pid) */
  brokerMsPerK: number;
  generator: string;
}
const brokerPid = values['broker-pid'] ? Number(values['broker-pid']) : 0;

async function measure(name: string, kind: 'noop' | 'platform', env: Record<string, string>): Promise<Row> {
  const prof = values.prof && kind === 'platform' ? join(values.prof, name) : undefined;
  if (prof) mkdirSync(prof, { recursive: true });
  const s = await startServer(kind, { KAFKA_BROKERS: values.brokers, TOPIC_EVENTS: `ab-${run}-events`, TOPIC_WINDOWS: `ab-${run}-windows`, TOPIC_EXACT: `ab-${run}-exact`, TOPIC_METRICS: `ab-${run}-metrics`, TOPIC_MOMENTS: `ab-${run}-moments`, ...env }, prof);
  try {
    const path = mode === 'batch' ? '/v1/emoji/batch' : '/v1/emoji';
    const pid = s.child.pid!;
    const spec =
      mode === 'single'
        ? { body: 'single' as const, concurrency: Number(values.connections ?? 100), eventsPerSecond: Number(values.rate) }
        : { body: 'batch' as const, batchSize: Number(values.batch), concurrency: Number(values.connections ?? 8) };
    // warm-up (JIT, connections, producer metadata), not measured
    await runLoad({ url: `http://127.0.0.1:${s.port}`, path, ...spec, durationMs: 2000, warmupMs: 0, matchId: `ab-${run}` });
    const c0 = cpuTicks(pid);
    const l0 = cpuTicks(pid, true);
    const b0 = brokerPid ? cpuTicks(brokerPid) : NaN;
    const t0 = performance.now();
    const r = await runLoad({ url: `http://127.0.0.1:${s.port}`, path, ...spec, durationMs: seconds * 1000, warmupMs: 0, matchId: `ab-${run}` });
    const wall = (performance.now() - t0) / 1000;
    const cpu = (cpuTicks(pid) - c0) * 10;
    const loop = (cpuTicks(pid, true) - l0) * 10;
    const broker = brokerPid ? (cpuTicks(brokerPid) - b0) * 10 : NaN;
    // answered requests for the no-op server (its answers are all 202), durable events for the platform
    const events = Math.max(1, kind === 'noop' ? r.ok : r.events_ok);
    const non2xx = r.requests - r.ok;
    return {
      name,
      value: kind === 'noop' ? r.rps : r.eps,
      p50: r.latency_ms.p50,
      p99: r.latency_ms.p99,
      non2xx: non2xx + r.errors,
      serverCpuPct: Math.round(cpu / wall / 10),
      cpuMsPerK: +((cpu / events) * 1000).toFixed(1),
      loopMsPerK: +((loop / events) * 1000).toFixed(1),
      brokerMsPerK: +((broker / events) * 1000).toFixed(1),
      generator: generatorNote(r.generator),
    };
  } finally {
    const out = await s.stop();
    if (out) process.stderr.write(`${name}: ${out.split('\n').slice(-2).join(' | ')}\n`);
  }
}

const variants = values.variant.map(parseVariant);

const rows: Row[] = [];
for (let round = 0; round < Number(values.rounds); round++) {
  if (mode === 'single') rows.push(await measure('no-op node:http', 'noop', {}));
  for (const v of variants) rows.push(await measure(v.name, 'platform', v.env));
}
const base = rows.find((r) => r.name === 'no-op node:http');
const unit = mode === 'single' ? '2xx/s' : 'durable events/s';
const load =
  mode === 'single'
    ? Number(values.rate) > 0
      ? `paced node:http at ${values.rate} events/s`
      : `autocannon c=${values.connections ?? 100} in ${defaultProcesses()} processes`
    : `loadgen c=${values.connections ?? 8} × ${values.batch} events`;
console.log(`\n${mode} ingest, ${seconds} s each, load ${load}; load average ${loadAverage()}`);
const bh = brokerPid ? ' broker CPU ms / 1k |' : '';
console.log(`| variant | ${unit} | p50 ms | p99 ms | non-2xx | server CPU % | CPU ms / 1k events | event-loop CPU ms / 1k |${bh} generator |${base ? ' ÷ no-op |' : ''}`);
console.log(`| --- | --- | --- | --- | --- | --- | --- | --- |${bh ? ' --- |' : ''} --- |${base ? ' --- |' : ''}`);
for (const r of rows) {
  const b = brokerPid ? ` ${r.brokerMsPerK} |` : '';
  console.log(`| ${r.name} | ${r.value} | ${r.p50} | ${r.p99} | ${r.non2xx} | ${r.serverCpuPct} | ${r.cpuMsPerK} | ${r.loopMsPerK} |${b} ${r.generator} |${base ? ` ${(r.value / base.value).toFixed(2)} |` : ''}`);
}
