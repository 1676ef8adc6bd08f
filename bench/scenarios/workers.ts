// Several API workers on one machine (API_WORKERS=N), each deployment run as an operator runs it: `npm start`
// (scripts/start.mjs: the node:cluster primary and its N workers sharing one port) in a process of its own,
// against the bench's broker. Three rows:
//   workers/ingest  single-event POST /v1/emoji through the shared port (autocannon c=100, in a process of its
//                   own, its CPU reported) with 1, 2 and N workers, ingest-only; each as a ratio to 1 worker.
//   workers/fanout  on the N-worker deployment: V concurrent SSE viewers (POST /v1/subscriptions on one
//                   connection, the stream on another: node:cluster hands them to any worker, the stream token
//                   lets any worker adopt the subscription), load clients in processes of their own (≤ 8,000
//                   viewers each, spread over 127.0.0.x source addresses); windows written to emoji-windows
//                   as Spark writes them, every WINDOW_INTERVAL_MS; per window: written → arrival at every
//                   viewer (p50/p99/max), deliveries missing, streams dropped.
//   workers/rss     the whole deployment (every role: the Spark job in the primary, Kafka Streams in every
//                   worker) after a short load: RSS of the broker, the Spark job, each worker, the primary.
// The hard `ulimit -n` (20,000 here) is per process: every worker holds ~V/N streams, every client process
// ≤ 8,000 sockets. Sizes: BENCH_WORKERS (N, default 4), BENCH_WORKERS_VIEWERS (steps, default 10,000, 20,000 and 50,000:
// the row names the largest step that met the target, and why the others did not).
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig, type Config } from '../../src/config.ts';
import { idOfRecord, makeWindow } from '../../src/domain/window.ts';
import { createKafka, ensureTopics } from '../../src/kafka/client.ts';
import { waitFor } from '../../tests/support/wait.ts';
import { benchEnv, dropTopics, freePort, isMain, quantiles, runStandalone, type BenchContext, type BenchRow, type ScenarioResult } from '../lib/context.ts';
import { runLoad, type LoadResult } from '../lib/loadgen.ts';
import { cmdline, cpuWindow, procSample, processTree } from '../lib/proc.ts';
import { spawnNpmStart } from '../lib/npm-start.ts';
import { fmt, generatorCell, loadCell } from '../lib/rows.ts';
import { startViewers, wallClock, type ViewerReport } from '../lib/sse-viewers.ts';

const N = Number(process.env.BENCH_WORKERS ?? 4);
const VIEWER_STEPS = (process.env.BENCH_WORKERS_VIEWERS ?? '10000,20000,50000').split(',').map(Number).filter((n) => n > 0);
const STRAGGLERS_MS = 10_000; // after the last window: a delivery later than this counts as missing
const INGEST_MS = Number(process.env.BENCH_WORKERS_INGEST_MS ?? 10_000);
const WINDOWS = Number(process.env.BENCH_WORKERS_WINDOWS ?? 6);
const WINDOW_INTERVAL_MS = Number(process.env.BENCH_WORKERS_WINDOW_INTERVAL_MS ?? 2000); // Spark's window length
const PER_PROCESS = 8000;
const now = wallClock; // the viewers' clock (see wallClock)

interface Deployment {
  url: string;
  config: Config;
  child: ChildProcess;
  logFile: string;
  /** pids by part: the primary (this child), its workers (node:cluster), its Spark JVM */
  parts(): { primary: number; workers: number[]; spark: number[] };
  stop(): Promise<void>;
}

/** `npm start` with API_WORKERS=workers in a process of its own; resolves once every worker serves. */
async function deploy(ctx: BenchContext, label: string, workers: number, env: Record<string, string>): Promise<Deployment> {
  const port = await freePort();
  const tag = `${label}-${Date.now().toString(36)}`;
  const e = benchEnv(ctx, label, {
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    API_WORKERS: String(workers),
    // the topics every worker shares, of this deployment alone
    TOPIC_LIVE: `${tag}-live`,
    TOPIC_MATCHES: `${tag}-matches`,
    TOPIC_CONTROL: `${tag}-control`,
    ...env,
  });
  const config = loadConfig(e);
  // the topics first (the primary would create them too); a broker still settling the previous deployment's
  // deleted topics may answer UNKNOWN_TOPIC_OR_PARTITION for a moment
  await waitFor(`the topics of ${label}`, async () => {
    const admin = createKafka(config, 'bench-setup').admin();
    await admin.connect();
    try {
      await ensureTopics(admin, config);
      return true;
    } finally {
      await admin.disconnect();
    }
  }, 60_000, 2000);
  const logFile = join(ctx.tmp, `${label}.log`);
  const { KAFKA_BROKERS: _k, ...inherited } = process.env;
  const platform = spawnNpmStart({ ...inherited, ...e }, logFile);
  const { child } = platform;
  const t0 = Date.now();
  const stop = async () => {
    await platform.stop(60_000);
    await dropTopics(config);
  };
  try {
    // the primary prints its banner once every worker serves
    await waitFor(
      () => `${workers} worker(s) serving (log ${logFile})`,
      () => {
        if (platform.exited) throw new Error(`npm start exited: ${readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n')}`);
        return readFileSync(logFile, 'utf8').includes('EmoStream is up');
      },
      300_000,
      500,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  ctx.log(`${label}: API_WORKERS=${workers} serving in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return {
    url: `http://127.0.0.1:${port}`,
    config,
    child,
    logFile,
    parts() {
      const tree = processTree(child.pid!);
      const spark = tree.filter((p) => p !== child.pid && /java/.test(cmdline(p)) && /spark/i.test(cmdline(p)));
      // workers are the primary's node children (node:cluster forks); anything below them (none today) counts with them
      const workerPids = tree.filter((p) => p !== child.pid && !spark.includes(p) && /node/.test(cmdline(p)) && /main\.ts/.test(cmdline(p)));
      return { primary: child.pid!, workers: workerPids, spark };
    },
    stop,
  };
}

const ingestLoad = (url: string, matchId: string): Promise<LoadResult> =>
  runLoad({ url, path: '/v1/emoji', body: 'single', concurrency: 100, durationMs: INGEST_MS, warmupMs: 2000, matchId });

interface FanoutResult {
  viewers: number;
  connected: number;
  failed: number;
  connect_s: number;
  per_worker: number[];
  deliveries: number;
  expected: number;
  missing: number;
  dropped: number;
  latency_ms: ReturnType<typeof quantiles>;
  window_p99_ms: number[];
  workers_cpu_pct: number;
  workers_cpu_us_per_delivery: number;
  deployment_rss_mib: number;
  client_processes: number;
  client_cpu_ms: number;
  /** connects tried again after a failure */
  retried: number;
}

async function fanout(ctx: BenchContext, d: Deployment, viewers: number): Promise<FanoutResult> {
  const match = `wfan-${Date.now().toString(36)}`;
  const groups: ReturnType<typeof startViewers>[] = [];
  const t0 = Date.now();
  for (let i = 0, left = viewers; left > 0; i++, left -= PER_PROCESS) {
    groups.push(startViewers({ base: d.url, viewers: Math.min(PER_PROCESS, left), mode: 'subscribe', match, firstAddress: 2 + i * 8, addresses: 8, connectConcurrency: 100 }));
  }
  const kafka = createKafka(d.config, 'bench-windows');
  const producer = kafka.producer();
  try {
    const ready = await Promise.all(groups.map((g) => g.ready));
    const connected = ready.reduce((a, r) => a + r.connected, 0);
    const failed = ready.reduce((a, r) => a + r.failed, 0);
    const connectS = (Date.now() - t0) / 1000;
    // how the streams spread over the workers (their open sockets, from /proc)
    const perWorker = d.parts().workers.map(countSockets);
    ctx.log(`fan-out: ${connected}/${viewers} viewers connected in ${connectS.toFixed(1)} s${failed ? ` (${failed} failed)` : ''}; sockets per worker ${perWorker.join(', ')}`);
    await producer.connect();
    await sleep(2000);

    const parts = d.parts();
    const w = cpuWindow({ workers: parts.workers });
    let rss = 0;
    const published: Record<string, number> = {};
    const start = Math.floor(Date.now() / 2000) * 2000;
    for (let i = 0; i < WINDOWS; i++) {
      const win = makeWindow(match, start + i * 2000, 2000, { '🔥': 3785 + i, '😀': 12, '👏': 640 }, 1000);
      published[idOfRecord(win)] = now();
      await producer.send({ topic: d.config.topics.windows, acks: -1, messages: [{ key: match, value: JSON.stringify(win) }] });
      const all = [parts.primary, ...parts.workers, ...(ctx.brokerPid ? [ctx.brokerPid] : [])];
      rss = Math.max(rss, all.reduce((a, p) => a + (procSample(p)?.rssMiB ?? 0), 0));
      await sleep(Math.max(0, WINDOW_INTERVAL_MS - (now() - published[idOfRecord(win)]!)));
    }
    await sleep(STRAGGLERS_MS);
    const cpu = w.end().workers;
    const reports: ViewerReport[] = await Promise.all(groups.map((g) => g.finish()));

    const lat: number[] = [];
    const windowP99: number[] = [];
    let deliveries = 0;
    for (const [id, t] of Object.entries(published)) {
      const mine: number[] = [];
      for (const r of reports) for (const a of r.arrivals[id] ?? []) mine.push(a - t);
      deliveries += mine.length;
      lat.push(...mine);
      windowP99.push(quantiles(mine).p99);
    }
    const wallMs = WINDOWS * WINDOW_INTERVAL_MS + STRAGGLERS_MS;
    const cpuMs = (cpu.cpuPct / 100) * wallMs;
    return {
      viewers,
      connected,
      failed,
      connect_s: +connectS.toFixed(1),
      per_worker: perWorker,
      deliveries,
      expected: connected * WINDOWS,
      missing: connected * WINDOWS - deliveries,
      dropped: reports.reduce((a, r) => a + r.closedEarly, 0),
      latency_ms: quantiles(lat),
      window_p99_ms: windowP99,
      workers_cpu_pct: cpu.cpuPct,
      workers_cpu_us_per_delivery: deliveries ? +((cpuMs * 1000) / deliveries).toFixed(2) : NaN,
      deployment_rss_mib: rss,
      client_processes: groups.length,
      client_cpu_ms: Math.round(reports.reduce((a, r) => a + r.cpuMs, 0)),
      retried: reports.reduce((a, r) => a + r.retried, 0),
    };
  } finally {
    for (const g of groups) g.kill();
    await producer.disconnect().catch(() => {});
  }
}

/** TCP sockets a process holds open (its descriptors that are sockets): the streams a worker serves. */
function countSockets(pid: number): number {
  let n = 0;
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return NaN;
  }
  for (const fd of fds) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) n++;
    } catch {
      /* closed meanwhile */
    }
  }
  return n;
}

interface WholeRss {
  rss: { broker: number | null; spark: number; workers: number[]; primary: number; total: number };
  warm: LoadResult;
  heap: string;
}

/** `API_WORKERS=N npm start` with every role, a short load, then each part's RSS once the Spark job's windows reach the workers. */
async function wholeDeployment(ctx: BenchContext): Promise<WholeRss> {
  const whole = await deploy(ctx, `workers-whole-${N}`, N, {});
  try {
    const w0 = Date.now();
    const warm = await runLoad({ url: whole.url, path: '/v1/emoji', body: 'single', concurrency: 32, durationMs: 10_000, warmupMs: 0, eventsPerSecond: 1000, matchId: 'wrss' });
    // every part working: the Spark job has written windows of this load and a worker read them
    await waitFor('a window from the Spark job at a worker (emostream_publisher_windows_total{outcome="new"})', async () => {
      const m = /emostream_publisher_windows_total\{outcome="new"\} (\d+)/.exec(await (await fetch(`${whole.url}/metrics`)).text());
      return Number(m?.[1] ?? 0) > 0;
    }, 300_000, 1000);
    ctx.log(`whole deployment: Spark windows at the workers ${((Date.now() - w0) / 1000).toFixed(0)} s after the load began`);
    await sleep(5000);
    const p = whole.parts();
    const of = (pid: number) => procSample(pid)?.rssMiB ?? 0;
    const broker = ctx.brokerPid ? of(ctx.brokerPid) : null;
    const spark = p.spark.reduce((a, x) => a + of(x), 0);
    const workers = p.workers.map(of);
    const primary = of(p.primary);
    const rss = { broker, spark, workers, primary, total: (broker ?? 0) + spark + workers.reduce((a, x) => a + x, 0) + primary };
    ctx.log(`whole deployment RSS ${rss.total} MiB: broker ${broker ?? '–'}, Spark ${spark}, workers ${workers.join(' / ')}, primary ${primary}`);
    return { rss, warm, heap: whole.config.streams.heap };
  } finally {
    await whole.stop();
  }
}

export async function workers(ctx: BenchContext): Promise<ScenarioResult> {
  const t0 = Date.now();
  // BENCH_WORKERS_ONLY=fanout: the N-worker deployment's viewers alone (while tuning; the rows then say so)
  const onlyFanout = process.env.BENCH_WORKERS_ONLY === 'fanout';
  const counts = onlyFanout ? [N] : [...new Set([1, 2, N])];
  const ingestOnly = { SPARK_ENABLED: 'false', STREAMS_ENABLED: 'false' };

  // 1. ingest through the shared port with 1, 2 and N workers; the N-worker deployment then serves the viewers
  const ingest: Record<number, LoadResult & { deployment_cpu_pct: number; broker_cpu_pct: number }> = {};
  const fans: FanoutResult[] = [];
  let fanError: string | null = null;
  for (const n of counts) {
    const d = await deploy(ctx, `workers-${n}`, n, ingestOnly);
    try {
      if (!onlyFanout) {
        const p = d.parts();
        const w = cpuWindow({ deployment: [p.primary, ...p.workers], broker: ctx.brokerPid ? [ctx.brokerPid] : [] });
        const r = await ingestLoad(d.url, `wing-${n}`);
        const c = w.end();
        ingest[n] = { ...r, deployment_cpu_pct: c.deployment.cpuPct, broker_cpu_pct: c.broker.cpuPct };
        ctx.log(`ingest, ${n} worker(s): ${loadCell(r)}; deployment ${c.deployment.cpuPct}% CPU, broker ${c.broker.cpuPct}%, autocannon ${r.generator.cpu_pct}%`);
      }
      if (n === N) {
        try {
          for (const v of VIEWER_STEPS) {
            const fan = await fanout(ctx, d, v);
            fans.push(fan);
            ctx.log(`fan-out ${fan.connected} viewers: p50/p99/max ${fan.latency_ms.p50}/${fan.latency_ms.p99}/${fan.latency_ms.max} ms, missing ${fan.missing}, dropped ${fan.dropped}`);
            await sleep(2000); // the previous step's streams closed
          }
        } catch (err) {
          fanError = err instanceof Error ? err.message : String(err);
          ctx.log(`fan-out failed: ${fanError}`);
        }
      }
    } finally {
      await d.stop();
    }
  }

  // 2. the whole deployment at rest after a short load: every part's RSS
  const whole = onlyFanout ? null : await wholeDeployment(ctx);

  const rows: BenchRow[] = [];
  if (!onlyFanout) {
    const one = ingest[1]!;
    const ratioOf = (n: number) => (ingest[n]!.generator.saturated || one.generator.saturated ? 'none (generator at its limit)' : fmt(+(ingest[n]!.eps / one.eps).toFixed(2)));
    rows.push({
      id: 'workers/ingest',
      title: `Ingest with 1 / 2 / ${N} API workers (\`API_WORKERS\`, one shared port), POST /v1/emoji c=100, ratio to 1 worker`,
      ingestOnly: counts.map((n) => `${n}: ${loadCell(ingest[n]!)}`).join('; '),
      baseline: `1 worker: ${fmt(one.eps)} events/s`,
      ratio: counts.map((n) => `${n}: ${ratioOf(n)}`).join(', '),
      generator: generatorCell(counts.map((n) => [`${n} worker${n > 1 ? 's' : ''}`, ingest[n]])),
      notes:
        counts.map((n) => `${n}: deployment ${fmt(ingest[n]!.deployment_cpu_pct)}% CPU, broker ${fmt(ingest[n]!.broker_cpu_pct)}%`).join('; ') +
        `; one machine of ${cpus().length} cores shared by the workers, the broker and the generator: more workers add no cores`,
    });
  }
  // the target: every viewer connected, each window reaching all of them with p99 ≤ 500 ms, none dropped
  const met = (f: FanoutResult) => f.connected === f.viewers && f.missing === 0 && f.dropped === 0 && f.window_p99_ms.every((p) => p <= 500);
  const largest = [...fans].reverse().find(met);
  const top = Math.max(...VIEWER_STEPS);
  const stepNote = (f: FanoutResult) =>
    `${fmt(f.viewers)}: ${met(f) ? 'met' : 'NOT met'}, per-window p99 ${f.window_p99_ms.map((x) => fmt(x)).join(' / ')} ms, sockets per worker ${f.per_worker.join(' / ')}, ` +
    `workers ${fmt(f.workers_cpu_pct)}% CPU (${f.workers_cpu_us_per_delivery} µs/delivery), viewers' ${f.client_processes} processes ${fmt(f.client_cpu_ms)} ms CPU, RSS of the primary, workers and broker ${fmt(f.deployment_rss_mib)} MiB, ` +
    `connect ${f.connect_s} s${f.retried ? ` (${f.retried} tried again)` : ''}${f.failed ? `, ${f.failed} failed` : ''}`;
  rows.push({
    id: 'workers/fanout',
    title: `Fan-out to ${fmt(top)} SSE viewers across ${N} workers, window written to emoji-windows → viewer (steps ${VIEWER_STEPS.map(fmt).join(' / ')})`,
    ingestOnly: fans
      .map((f) => `${fmt(f.connected)} connected: p50/p99/max ${fmt(f.latency_ms.p50)}/${fmt(f.latency_ms.p99)}/${fmt(f.latency_ms.max)} ms, missing ${fmt(f.missing)} of ${fmt(f.expected)}, dropped ${f.dropped}`)
      .join('; '),
    notes: fans.length
      ? `target (all connected, every window's p99 ≤ 500 ms, none missing after ${STRAGGLERS_MS / 1000} s or dropped): ${largest ? `largest step that met it ${fmt(largest.viewers)}` : 'no step met it'}` +
        `${largest?.viewers === top ? '' : `; the viewers' client processes share the machine's ${cpus().length} cores with the workers and the broker`}; ` +
        `${WINDOWS} windows every ${WINDOW_INTERVAL_MS} ms; ${fans.map(stepNote).join('; ')}${fanError ? `; failed: ${fanError}` : ''}`
      : `failed: ${fanError}`,
  });
  if (whole) {
    const { rss, warm, heap } = whole;
    rows.push({
      id: 'workers/rss',
      title: `RSS of the whole deployment: \`API_WORKERS=${N} npm start\`, every role`,
      whole: `${fmt(rss.total)} MiB`,
      generator: generatorCell([['warm-up load', warm]]),
      notes: `broker ${rss.broker === null ? 'not measured (BENCH_KAFKA_BROKERS)' : `${fmt(rss.broker)} MiB`}; Spark job ${fmt(rss.spark)} MiB; workers (each with its Kafka Streams JVM, STREAMS_HEAP ${heap}) ${rss.workers.map((x) => fmt(x)).join(' / ')} MiB; primary ${fmt(rss.primary)} MiB; after 10 s at 1,000 events/s, once the Spark job's windows reached the workers, and 5 s quiet`,
    });
  }
  return {
    name: 'workers',
    rows,
    details: { workers: N, ingest, fanout: fans, fanout_error: fanError, whole },
    seconds: Math.round((Date.now() - t0) / 1000),
  };
}

if (isMain(import.meta.url)) await runStandalone('workers', workers);
