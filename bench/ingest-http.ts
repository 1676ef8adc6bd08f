// Rough ingest throughput against a real broker: the API (startIngest + createApi, served by serveApi)
// runs in a child process; the load comes from the bench's generator (autocannon in a process of its own).
//   KAFKA_BROKERS=127.0.0.1:9092 npx tsx bench/ingest-http.ts single 100 10       # mode, concurrency, seconds
//   KAFKA_BROKERS=127.0.0.1:9092 npx tsx bench/ingest-http.ts batch 20 10 100     # … , events per batch
// Every event uses match_id "bench"; 202 counts only after the broker acknowledged.
import { spawn } from 'node:child_process';
import { generatorNote, runLoad } from './lib/loadgen.ts';
import type { AddressInfo } from 'node:net';

const [mode = 'single', cArg = '100', sArg = '10', bArg = '100'] = process.argv.slice(2);

if (mode === 'server') {
  const { createApi, serveApi } = await import('../src/api/app.ts');
  const { loadConfig } = await import('../src/config.ts');
  const { createKafka } = await import('../src/kafka/client.ts');
  const { startIngest } = await import('../src/kafka/producer.ts');
  const config = loadConfig({ ...process.env, KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092' });
  const ingest = await startIngest(config, createKafka(config, 'bench'));
  const server = serveApi(createApi({ config, ingest }), { port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) =>
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
  const r = await runLoad({
    url: `http://127.0.0.1:${port}`,
    path: mode === 'batch' ? '/v1/emoji/batch' : '/v1/emoji',
    body: mode === 'batch' ? 'batch' : 'single',
    batchSize: perBatch,
    concurrency: conc,
    durationMs: seconds * 1000,
    warmupMs: 1000,
    matchId: 'bench',
  });
  console.log(
    `${mode} c=${conc} ${seconds}s${mode === 'batch' ? ` ${perBatch}/batch` : ''}: ${r.rps} req/s, ${r.eps} events/s acknowledged, ` +
      `p50 ${r.latency_ms.p50} ms, p99 ${r.latency_ms.p99} ms, statuses ${JSON.stringify(r.statuses)}; ${generatorNote(r.generator)}`,
  );
  child.kill('SIGTERM');
  await new Promise((res) => child.once('exit', res));
}
