// What one POST /v1/emoji costs the server in CPU, steady enough to compare code on a busy machine: the server
// (bench/components/ingest-server.ts, in a child process) gets a fixed number of requests from a cheap
// pipelined raw-TCP client in this process (`--connections` sockets, `--depth` requests in flight on each),
// first `--warmup` requests (JIT), then `--requests` measured; the figure is the server process's CPU time
// (/proc, user + system) per request, not a rate, so other processes competing for the cores change it far
// less than they change requests/s. Variants are environments as in ingest-ab.ts (`name=KEY=VALUE,…`;
// BENCH_ROOT=<checkout> runs another checkout's server, BENCH_SERVER=app the API over an ingest port that
// acknowledges at once); rounds interleave the variants.
//   npx tsx bench/components/api-cost.ts --variant before=BENCH_SERVER=app,BENCH_ROOT=/tmp/main \
//       --variant after=BENCH_SERVER=app [--variant noop=noop] [--requests 60000] [--rounds 3]
// A variant named `noop` (or with KIND=noop) runs the no-op node:http server. `--prof DIR` runs each server under
// `node --cpu-prof` (DIR/<variant>/; read with top-frames.ts --last-s N to leave out start-up and warm-up).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadAverage } from '../lib/proc.ts';
import { parseVariant } from '../lib/variants.ts';

const { values } = parseArgs({
  options: {
    variant: { type: 'string', multiple: true, default: ['app=BENCH_SERVER=app'] },
    requests: { type: 'string', default: '60000' },
    warmup: { type: 'string', default: '30000' },
    connections: { type: 'string', default: '8' },
    depth: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '3' },
    brokers: { type: 'string', default: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092' },
    prof: { type: 'string' },
  },
});

const cpuTicks = (pid: number): number => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(f[11]) + Number(f[12]);
};

function request(i: number): Buffer {
  const body = JSON.stringify({ user_id: `c-${i % 50_000}`, emoji_type: '🔥', timestamp: Date.now(), match_id: 'cost' });
  const len = Buffer.byteLength(body);
  return Buffer.from(`POST /v1/emoji HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${len}\r\n\r\n${body}`);
}

/** Send `n` requests over pipelined sockets; resolves with the statuses seen once every answer arrived. */
function drive(port: number, n: number): Promise<Record<string, number>> {
  const conns = Number(values.connections);
  const depth = Number(values.depth);
  const statuses: Record<string, number> = {};
  let sent = 0;
  let answered = 0;
  // bodies built ahead, rebuilt every 1,024 requests: timestamps stay within TIMESTAMP_SKEW_MS on a slow run
  let pool = Array.from({ length: 1024 }, (_, i) => request(i));
  const sockets: net.Socket[] = [];
  return new Promise<Record<string, number>>((resolve, reject) => {
    for (let k = 0; k < conns; k++) {
      const s = net.connect(port, '127.0.0.1');
      sockets.push(s);
      let inflight = 0;
      let tail = '';
      const top = () => {
        const bufs: Buffer[] = [];
        while (inflight < depth && sent < n) {
          if (sent > 0 && sent % pool.length === 0) pool = pool.map((_, i) => request(sent + i));
          bufs.push(pool[sent++ % pool.length]!);
          inflight++;
        }
        if (bufs.length) s.write(Buffer.concat(bufs));
      };
      s.on('connect', top);
      s.on('data', (d: Buffer) => {
        // count status lines; answers are small, a status line never spans more than two chunks
        const text = tail + d.toString('latin1');
        let i = text.indexOf('HTTP/1.1 ');
        let last = 0;
        while (i >= 0 && i + 12 <= text.length) {
          const st = text.slice(i + 9, i + 12);
          statuses[st] = (statuses[st] ?? 0) + 1;
          inflight--;
          answered++;
          last = i + 12;
          i = text.indexOf('HTTP/1.1 ', last);
        }
        tail = text.slice(Math.max(last, text.length - 12));
        if (answered >= n) {
          resolve(statuses);
          return;
        }
        top();
      });
      s.on('error', reject);
    }
  }).finally(() => sockets.forEach((s) => s.destroy()));
}

async function measure(name: string, env: Record<string, string>): Promise<{ name: string; usPerReq: number; rps: number; statuses: Record<string, number> }> {
  const kind = name === 'noop' || env.KIND === 'noop' ? 'noop' : 'platform';
  const file = env.BENCH_ROOT ? join(env.BENCH_ROOT, 'bench/components/ingest-server.ts') : join(import.meta.dirname, 'ingest-server.ts');
  const prof = values.prof ? ['--cpu-prof', `--cpu-prof-dir=${join(values.prof, name)}`] : [];
  const child = spawn(process.execPath, ['--import', 'tsx', ...prof, file, kind], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, KAFKA_BROKERS: values.brokers, ...env },
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()).length > 1 << 20 && (err = err.slice(-4096)));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout!.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()).port));
      child.once('exit', (code) => reject(new Error(`server exited (${code}): ${err.slice(-2000)}`)));
    });
    await drive(port, Number(values.warmup));
    const c0 = cpuTicks(child.pid!);
    const t0 = performance.now();
    const n = Number(values.requests);
    const statuses = await drive(port, n);
    const wall = (performance.now() - t0) / 1000;
    const cpuMs = (cpuTicks(child.pid!) - c0) * 10;
    return { name, usPerReq: +((cpuMs * 1000) / n).toFixed(1), rps: Math.round(n / wall), statuses };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

const variants = values.variant.map(parseVariant);

const results = new Map<string, number[]>();
for (let r = 0; r < Number(values.rounds); r++) {
  for (const v of variants) {
    const m = await measure(v.name, v.env);
    (results.get(v.name) ?? results.set(v.name, []).get(v.name)!).push(m.usPerReq);
    console.log(`round ${r + 1} ${v.name}: ${m.usPerReq} µs CPU / request, ${m.rps} req/s, statuses ${JSON.stringify(m.statuses)}`);
  }
}
console.log(`\nserver CPU per POST /v1/emoji (${values.requests} requests after ${values.warmup} warm-up, ${values.connections} sockets × ${values.depth} pipelined; load average ${loadAverage()})`);
console.log('| variant | µs CPU / request, each round | lowest |');
console.log('| --- | --- | --- |');
for (const [name, us] of results) console.log(`| ${name} | ${us.join(', ')} | ${Math.min(...us)} |`);
