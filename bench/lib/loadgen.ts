// A small keep-alive HTTP load generator, run as a CHILD PROCESS so that it does not share an event loop
// with the server it measures (`runLoad(spec)` forks this file). Loopback only; bounded in time.
//   closed loop: `concurrency` connections, each sends its next request when the answer arrives;
//   open loop:   `eventsPerSecond` > 0 → requests go out on a 10 ms schedule whatever the answers do
//                (latency scenarios at fixed ingest rates), over up to `concurrency` connections.
// Bodies: 'single' (one event, POST /v1/emoji), 'batch' (`batchSize` events, POST /v1/emoji/batch),
// 'empty' (POST with a small JSON body to any path, for the no-op baseline).
import { fork } from 'node:child_process';
import http from 'node:http';

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
  localAddress?: string;
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
}

const PALETTE = ['🔥', '😀', '😡', '😂', '😮', '😢', '👏', '🏏', '🎉', '❤️'];

async function generate(spec: LoadSpec): Promise<LoadResult> {
  const u = new URL(spec.path, spec.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: spec.concurrency, localAddress: spec.localAddress });
  const palette = spec.palette ?? PALETTE;
  const perRequest = spec.body === 'batch' ? (spec.batchSize ?? 100) : 1;
  let n = 0;
  const ev = () => {
    n++;
    return { user_id: `lg-${n % 50_000}`, emoji_type: palette[n % palette.length]!, timestamp: Date.now(), match_id: spec.matchId };
  };
  const body = (): Buffer =>
    Buffer.from(spec.body === 'batch' ? JSON.stringify(Array.from({ length: perRequest }, ev)) : spec.body === 'single' ? JSON.stringify(ev()) : '{"x":1}');

  const post = (buf: Buffer) =>
    new Promise<number>((resolve) => {
      const req = http.request(
        { host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': buf.length } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', () => resolve(-1));
        },
      );
      req.setTimeout(15_000, () => req.destroy());
      req.on('error', () => resolve(-1));
      req.end(buf);
    });

  const lat: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let skipped = 0;
  let measuring = false;
  const one = async () => {
    const b = body();
    const t = performance.now();
    const st = await post(b);
    if (!measuring) return;
    if (st < 0) errors++;
    else {
      statuses[st] = (statuses[st] ?? 0) + 1;
      lat.push(performance.now() - t);
    }
  };

  // warm-up: connections, JIT, the producer's metadata
  const warmEnd = performance.now() + (spec.warmupMs ?? 1000);
  await Promise.all(Array.from({ length: Math.min(spec.concurrency, 64) }, async () => {
    while (performance.now() < warmEnd) await one();
  }));
  measuring = true;
  const t0 = performance.now();
  const end = t0 + spec.durationMs;
  if (spec.eventsPerSecond && spec.eventsPerSecond > 0) {
    const reqPerSec = spec.eventsPerSecond / perRequest;
    let inFlight = 0;
    let sent = 0;
    await new Promise<void>((resolve) => {
      const tick = () => {
        const now = performance.now();
        if (now >= end) {
          clearInterval(timer);
          const wait = setInterval(() => {
            if (inFlight === 0) {
              clearInterval(wait);
              resolve();
            }
          }, 5);
          return;
        }
        const due = Math.floor(((now - t0) / 1000) * reqPerSec);
        while (sent < due) {
          sent++;
          if (inFlight >= spec.concurrency) {
            skipped++;
            continue;
          }
          inFlight++;
          void one().finally(() => inFlight--);
        }
      };
      const timer = setInterval(tick, 10);
    });
  } else {
    await Promise.all(Array.from({ length: spec.concurrency }, async () => {
      while (performance.now() < end) await one();
    }));
  }
  const seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  lat.sort((a, b) => a - b);
  const q = (p: number) => (lat.length ? +lat[Math.min(lat.length - 1, Math.ceil(p * lat.length) - 1)]!.toFixed(2) : NaN);
  const ok = Object.entries(statuses).reduce((a, [s, c]) => a + (s.startsWith('2') ? c : 0), 0);
  const requests = lat.length + errors;
  return {
    seconds: +seconds.toFixed(2),
    requests,
    statuses,
    ok,
    events_ok: ok * perRequest,
    rps: Math.round(requests / seconds),
    eps: Math.round((ok * perRequest) / seconds),
    latency_ms: { p50: q(0.5), p99: q(0.99), max: lat.length ? +lat[lat.length - 1]!.toFixed(2) : NaN },
    errors,
    skipped,
  };
}

/** Run one load in a child process; resolves with its result. */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(import.meta.filename, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('load generator did not finish in time'));
    }, spec.durationMs + (spec.warmupMs ?? 1000) + 60_000);
    child.once('message', (m: { result?: LoadResult; error?: string }) => {
      clearTimeout(timer);
      if (m.result) resolve(m.result);
      else reject(new Error(m.error ?? 'load generator failed'));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`load generator exited with ${code}`));
    });
    child.send(spec);
  });
}

if (process.send && process.argv[1] === import.meta.filename) {
  process.once('message', (spec: LoadSpec) => {
    generate(spec).then(
      (result) => process.send!({ result }, undefined, {}, () => process.exit(0)),
      (err: unknown) => process.send!({ error: String(err) }, undefined, {}, () => process.exit(1)),
    );
  });
}
