// The bench's HTTP load: autocannon 9.0.0 in a CHILD PROCESS of its own (bench/lib/generator.mjs, plain
// node), so that it neither shares an event loop with the server it measures nor hides its own CPU: every
// result carries the generator's CPU over the measured run, and a run where the generator itself used
// >= SATURATED_CPU_PCT of a core is marked `generator.saturated` (its figure is the generator's limit, not
// the server's, and the table prints no ratio against it). Loopback only; bounded in time.
//   closed loop: autocannon, `concurrency` connections, each sends its next request when the answer arrives;
//   open loop:   `eventsPerSecond` > 0 → a paced node:http client in the same child (10 ms schedule; autocannon's
//                own rate limit sends each second's quota in one burst), over up to `concurrency` connections;
//                requests due while every connection is busy are `skipped`.
// Bodies: 'single' (one event, POST /v1/emoji), 'batch' (`batchSize` events, POST /v1/emoji/batch),
// 'empty' (POST with a small JSON body to any path, for the no-op baseline).
import { fork } from 'node:child_process';
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
  generator: GeneratorStats;
}

export interface GeneratorStats {
  tool: string;
  /** CPU time of the generator process over the measured run */
  cpu_ms: number;
  /** … as a percentage of one core */
  cpu_pct: number;
  connections: number;
  /** the generator ran at its own limit: its figure says nothing about the server */
  saturated?: boolean;
}

/** At or above this share of one core the generator, not the server, is taken to be the limit. */
export const SATURATED_CPU_PCT = 90;

const GENERATOR = resolvePath(import.meta.dirname, 'generator.mjs');

/** "autocannon 41% CPU" or "autocannon 97% CPU: at its limit" */
export function generatorNote(g: GeneratorStats): string {
  return `${g.tool.split(' ')[0]} ${Math.round(g.cpu_pct)}% CPU${g.saturated ? ' (at its limit)' : ''}`;
}

/** Run one load in a child process; resolves with its result. */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(GENERATOR, [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('load generator did not finish in time'));
    }, spec.durationMs + (spec.warmupMs ?? 1000) + 60_000);
    child.once('message', (m: { result?: LoadResult; error?: string }) => {
      clearTimeout(timer);
      if (m.result) resolve({ ...m.result, generator: { ...m.result.generator, saturated: m.result.generator.cpu_pct >= SATURATED_CPU_PCT } });
      else reject(new Error(m.error ?? 'load generator failed'));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`load generator exited with ${code}`));
    });
    child.send(spec);
  });
}
