// The bench's HTTP load: autocannon 9.0.0 in CHILD PROCESSES of its own (bench/lib/generator.mjs, plain
// node), so that it neither shares an event loop with the server it measures nor hides its own CPU: every
// result carries the generator's CPU over the measured run, and a run where a generator process used
// >= SATURATED_CPU_PCT of a core is marked `generator.saturated` (its figure is the generator's limit, not
// the server's, and the table prints no ratio against it). Loopback only; bounded in time.
//   closed loop: autocannon in `processes` processes (default GENERATOR_PROCESSES, 2), the `concurrency`
//                connections shared among them, each sends its next request when the answer arrives; the
//                processes warm up, then start their measured runs together, and their histograms are
//                merged (autocannon.aggregateResult): one result, latency percentiles over every request.
//                One autocannon process ran at 96% of a core against the no-op server: it was the limit.
//                On a 2-core machine the generator, the server (and the broker) share the cores: every
//                row therefore carries the generator's CPU, and the ratios compare servers under the same
//                generator in the same run, not a server alone on the machine;
//   open loop:   `eventsPerSecond` > 0 → a paced node:http client in the same child (10 ms schedule; autocannon's
//                own rate limit sends each second's quota in one burst), over up to `concurrency` connections;
//                requests due while every connection is busy are `skipped`.
// Bodies: 'single' (one event, POST /v1/emoji), 'batch' (`batchSize` events, POST /v1/emoji/batch),
// 'empty' (POST with a small JSON body to any path, for the no-op baseline).
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { resolve as resolvePath } from 'node:path';

export interface LoadSpec {
  url: string; // base, e.g. http://127.0.0.1:8080
  path: string;
  body: 'single' | 'batch' | 'empty';
  batchSize?: number;
  concurrency: number;
  durationMs: number;
  warmupMs?: number;
  /** open loop at this many events per second (0/undefined: closed loop as fast as possible) */
  eventsPerSecond?: number;
  matchId: string;
  palette?: string[];
  /** closed loop through node:http instead of autocannon: for servers that close every connection */
  client?: 'autocannon' | 'node:http';
  /** node:http client only: the source address of its connections (e.g. 127.0.0.2, another client on loopback) */
  localAddress?: string;
  /** user_id prefix of the generated events (default lg: lg-0 … lg-49999) */
  userPrefix?: string;
  /** autocannon (closed loop) processes sharing `concurrency`; default GENERATOR_PROCESSES or 2. The node:http client runs in one. */
  processes?: number;
  /** node:http client: return `ack_times`, the epoch ms of each 2xx answer in arrival order */
  ackTimes?: boolean;
}

export interface LoadResult {
  seconds: number;
  requests: number;
  statuses: Record<string, number>;
  /** requests answered 2xx */
  ok: number;
  /** events in 2xx answers */
  events_ok: number;
  rps: number;
  eps: number;
  latency_ms: { p50: number; p99: number; max: number };
  errors: number;
  /** open loop: requests that could not go out on time because every connection was busy */
  skipped: number;
  /**
   * Requests sent whose answer never came back to the generator: autocannon stops at the end of its duration
   * with one request in flight on each connection and drops them (the server may still accept them: they count
   * on the server's side, not in `ok`). The node:http client waits for its last answers: 0 there.
   */
  unanswered: number;
  generator: GeneratorStats;
  /** with `ackTimes`: the epoch ms at which each 2xx answer ended, in arrival order */
  ack_times?: number[];
}

export interface GeneratorStats {
  tool: string;
  /** CPU time of the generator processes over the measured run, summed */
  cpu_ms: number;
  /** … as a percentage of one core: the busiest process (the saturation test) */
  cpu_pct: number;
  /** generator processes, and each one's CPU (% of one core) */
  processes?: number;
  per_process_pct?: number[];
  /** all processes together, % of one core */
  total_pct?: number;
  connections: number;
  /** the generator ran at its own limit: its figure says nothing about the server */
  saturated?: boolean;
}

/** At or above this share of one core the generator, not the server, is taken to be the limit. */
export const SATURATED_CPU_PCT = 90;

const GENERATOR = resolvePath(import.meta.dirname, 'generator.mjs');
const require = createRequire(import.meta.url);

/** "autocannon 2×45% CPU" or "autocannon 97% CPU (at its limit)" */
export function generatorNote(g: GeneratorStats): string {
  const each = g.per_process_pct && g.per_process_pct.length > 1 ? `${g.per_process_pct.map((p) => Math.round(p)).join('+')}%` : `${Math.round(g.cpu_pct)}%`;
  return `${g.tool.split(' ')[0]} ${each} CPU${g.saturated ? ' (at its limit)' : ''}`;
}

export const defaultProcesses = (): number => Math.max(1, Number(process.env.GENERATOR_PROCESSES ?? 2) || 2);

interface ChildResult {
  autocannon?: AutocannonRaw;
  perRequest?: number;
  generator: GeneratorStats;
}
// autocannon's raw result with skipAggregateResult (histograms encoded): what aggregateResult merges
type AutocannonRaw = Record<string, unknown> & { statusCodeStats: Record<string, { count: number }> };

/** Run one load in child processes; resolves with their merged result. */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const closed = !(spec.eventsPerSecond! > 0) && spec.client !== 'node:http';
  const n = closed ? Math.max(1, Math.min(spec.processes ?? defaultProcesses(), spec.concurrency)) : 1;
  const share = (i: number) => Math.floor(spec.concurrency / n) + (i < spec.concurrency % n ? 1 : 0);
  const children = Array.from({ length: n }, () => fork(GENERATOR, [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const deadline = spec.durationMs + (spec.warmupMs ?? 1000) + 60_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    const warm: Promise<void>[] = [];
    const done = children.map(
      (child, i) =>
        new Promise<ChildResult>((resolve, reject) => {
          let warmed: () => void = () => {};
          warm.push(new Promise<void>((r) => (warmed = r)));
          child.on('message', (m: { warm?: boolean; result?: ChildResult; error?: string }) => {
            if (m.warm) return warmed();
            if (m.result) resolve(m.result);
            else reject(new Error(m.error ?? 'load generator failed'));
          });
          child.once('exit', (code) => (code !== 0 ? reject(new Error(`load generator exited with ${code}`)) : undefined));
          child.send({ ...spec, concurrency: share(i), worker: i });
        }),
    );
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('load generator did not finish in time')), deadline);
    });
    await Promise.race([Promise.all(warm), timeout]);
    for (const child of children) child.send('go');
    const results = await Promise.race([Promise.all(done), timeout]);
    return merge(results, spec);
  } finally {
    clearTimeout(timer);
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  }
}

function merge(results: ChildResult[], spec: LoadSpec): LoadResult {
  const per = results.map((r) => r.generator.cpu_pct);
  const cpuMs = results.reduce((a, r) => a + r.generator.cpu_ms, 0);
  const generator: GeneratorStats = {
    ...results[0]!.generator,
    cpu_ms: cpuMs,
    cpu_pct: Math.max(...per),
    processes: results.length,
    per_process_pct: per,
    total_pct: +per.reduce((a, b) => a + b, 0).toFixed(1),
    connections: spec.concurrency,
  };
  generator.saturated = generator.cpu_pct >= SATURATED_CPU_PCT;
  if (!results[0]!.autocannon) return { ...(results[0] as unknown as LoadResult), generator };
  const autocannon = require('autocannon') as { aggregateResult(r: unknown[], o: object): AutocannonResult };
  const res = autocannon.aggregateResult(
    results.map((r) => r.autocannon),
    { url: new URL(spec.path, spec.url).href, connections: spec.concurrency },
  );
  const statuses: Record<string, number> = {};
  for (const [code, s] of Object.entries(res.statusCodeStats ?? {})) statuses[code] = s.count;
  const perRequest = results[0]!.perRequest ?? 1;
  const seconds = res.duration;
  const ok = res['2xx'];
  return {
    seconds: +seconds.toFixed(2),
    requests: res.requests.total,
    statuses,
    ok,
    events_ok: ok * perRequest,
    rps: Math.round(res.requests.total / seconds),
    eps: Math.round((ok * perRequest) / seconds),
    latency_ms: { p50: res.latency.p50, p99: res.latency.p99, max: res.latency.max },
    errors: res.errors + res.timeouts,
    skipped: 0,
    unanswered: Math.max(0, res.requests.sent - res.requests.total),
    generator,
  };
}

interface AutocannonResult {
  duration: number;
  /** total: answered (completed) requests; sent: every request written, answered or not */
  requests: { total: number; sent: number };
  latency: { p50: number; p99: number; max: number };
  statusCodeStats: Record<string, { count: number }>;
  '2xx': number;
  errors: number;
  timeouts: number;
}
