// Rough ingest throughput against a real broker: the API (startIngest + createApp on @hono/node-server)
// runs in a child process; this process is the load generator (node:http, keep-alive, C concurrent loops).
//   KAFKA_BROKERS=127.0.0.1:9092 npx tsx bench/ingest-http.ts single 100 10       # mode, concurrency, seconds
//   KAFKA_BROKERS=127.0.0.1:9092 npx tsx bench/ingest-http.ts batch 20 10 100     # … , events per batch
// Every event uses match_id "bench"; 202 counts only after the broker acknowledged.
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';

const [mode = 'single', cArg = '100', sArg = '10', bArg = '100'] = process.argv.slice(2);

if (mode === 'server') {
  const { serve } = await import('@hono/node-server');
  const { createApp } = await import('../src/api/app.ts');
  const { loadConfig } = await import('../src/config.ts');
  const { createKafka } = await import('../src/kafka/client.ts');
  const { startIngest } = await import('../src/kafka/producer.ts');
  const config = loadConfig({ ...process.env, KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092' });
  const ingest = await startIngest(config, createKafka(config, 'bench'));
  const server = serve({ fetch: createApp({ config, ingest }).fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) =>
    process.stdout.write(JSON.stringify({ port: info.port }) + '\n'),
  );
  process.on('SIGTERM', async () => {
    server.close();
    const s = ingest.status();
    await ingest.stop();
    process.stderr.write(`[server] batches ${s.sentBatches}, events ${s.sentEvents} (${(s.sentEvents / Math.max(1, s.sentBatches)).toFixed(1)} per batch), failed ${s.failedBatches}, refused ${s.refused}, rss ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB\n`);
    process.exit(0);
  });
} else {
  const conc = Number(cArg);
  const seconds = Number(sArg);
  const perBatch = mode === 'batch' ? Number(bArg) : 1;
  const child = spawn(process.execPath, [...process.execArgv, import.meta.filename, 'server'], { stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
  const port: number = await new Promise((res) => child.stdout!.once('data', (d: Buffer) => res(JSON.parse(d.toString()).port)));
  const agent = new Agent({ keepAlive: true, maxSockets: conc });
  const path = mode === 'batch' ? '/v1/emoji/batch' : '/v1/emoji';
  const emojis = ['🔥', '😀', '👏', '🏏', '❤️', '👍🏽'];
  let n = 0;
  const body = () => {
    const ev = () => ({ user_id: `u-${n++ % 50_000}`, emoji_type: emojis[n % emojis.length], timestamp: Date.now(), match_id: 'bench' });
    return Buffer.from(JSON.stringify(mode === 'batch' ? Array.from({ length: perBatch }, ev) : ev()));
  };
  const post = (buf: Buffer) =>
    new Promise<number>((res, rej) => {
      const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': buf.length } }, (r) => {
        r.resume();
        r.on('end', () => res(r.statusCode!));
      });
      req.on('error', rej);
      req.end(buf);
    });
  const lat: number[] = [];
  const statuses = new Map<number, number>();
  // warm-up: connections, producer metadata, JIT
  await Promise.all(Array.from({ length: conc }, () => post(body())));
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: conc }, async () => {
      while (performance.now() < end) {
        const b = body();
        const s = performance.now();
        const st = await post(b);
        lat.push(performance.now() - s);
        statuses.set(st, (statuses.get(st) ?? 0) + 1);
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!.toFixed(1);
  const ok = statuses.get(202) ?? 0;
  console.log(
    `${mode} c=${conc} ${seconds}s${mode === 'batch' ? ` ${perBatch}/batch` : ''}: ${(lat.length / secs).toFixed(0)} req/s, ` +
      `${((ok * perBatch) / secs).toFixed(0)} events/s acknowledged, p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms, statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
  );
  agent.destroy();
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}
