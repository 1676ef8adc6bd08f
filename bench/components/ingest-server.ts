// A server for the ingest component benches, run as a CHILD process (so the load generator never shares its
// event loop). Prints one JSON line `{"port":N}` on stdout once it listens; SIGTERM stops it and prints its
// counters on stderr.
//   npx tsx bench/components/ingest-server.ts noop            # node:http: read the body, answer 202 {}
//   npx tsx bench/components/ingest-server.ts platform        # the platform, ingest-only (no Spark, no Kafka Streams)
//   BENCH_SERVER=app npx tsx bench/components/ingest-server.ts platform   # the API alone (createApi served as
//       the platform serves it: POST /v1/emoji on the fast path, or through Hono's middlewares with
//       API_FAST_PATH=false; the body read and validation) over an ingest port that acknowledges at once, no
//       Kafka: what HTTP and the API cost per request, apart from the write path
// `platform` reads the environment like `npm start` (KAFKA_BROKERS, TOPIC_EVENTS, INGEST_* …), with PORT=0,
// SPARK_ENABLED=false, STREAMS_ENABLED=false unless set. Add `node --cpu-prof` to profile it.
// BENCH_KAFKAJS_GROUPING=original keeps kafkajs' own per-partition grouping (the A/B of src/kafka/kafkajs-grouping.ts).
// BENCH_KAFKAJS_RECORD=original keeps kafkajs' own record encoder, CRC-32C and murmur2 (the A/B of src/kafka/kafkajs-record.ts).
// BENCH_KAFKAJS_PRODUCE=original keeps kafkajs' own produce request encoder and request frame (the A/B of src/kafka/kafkajs-produce.ts).
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';

const mode = process.argv[2] ?? 'platform';
const ready = (port: number) => process.stdout.write(JSON.stringify({ port }) + '\n');

if (mode === 'noop') {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(202, { 'content-type': 'application/json', 'content-length': 2 });
      res.end('{}');
    });
  });
  server.listen(0, '127.0.0.1', () => ready((server.address() as AddressInfo).port));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
  setTimeout(() => server.closeAllConnections(), 0).unref();
} else if (process.env.BENCH_SERVER === 'app') {
  const { loadConfig } = await import('../../src/config.ts');
  const { createApi, serveApi } = await import('../../src/api/app.ts');
  const { createLogger } = await import('../../src/log.ts');
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...process.env });
  let events = 0;
  const ingest = { submit: async (e: unknown[]) => void (events += e.length) };
  const log = createLogger(config.logLevel, 'api', { format: config.logFormat });
  const server = serveApi(createApi({ config, ingest, log }), { port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => ready(info.port));
  process.on('SIGTERM', () => {
    process.stderr.write(`[server] events ${events}\n`);
    server.close(() => process.exit(0));
    (server as unknown as { closeAllConnections(): void }).closeAllConnections();
  });
} else {
  // A/B of src/kafka/kafkajs-grouping.ts: load kafkajs' own (quadratic) grouping first, so that it stays
  if (process.env.BENCH_KAFKAJS_GROUPING === 'original') createRequire(import.meta.url)('kafkajs/src/producer/groupMessagesPerPartition.js');
  // A/B of src/kafka/kafkajs-record.ts: kafkajs' own record encoder and CRC-32C in the require cache first
  if (process.env.BENCH_KAFKAJS_RECORD === 'original') {
    createRequire(import.meta.url)('kafkajs/src/protocol/recordBatch/record/v0/index.js');
    createRequire(import.meta.url)('kafkajs/src/protocol/recordBatch/crc32C/index.js');
    createRequire(import.meta.url)('kafkajs/src/producer/partitioners/default/murmur2.js');
  }
  // A/B of src/kafka/kafkajs-produce.ts: kafkajs' own produce request and request frame in the require cache first
  if (process.env.BENCH_KAFKAJS_PRODUCE === 'original') {
    await import('../../src/kafka/kafkajs-record.ts'); // ours still: only the produce request and frame are kafkajs' own
    createRequire(import.meta.url)('kafkajs/src/protocol/request.js');
    createRequire(import.meta.url)('kafkajs/src/protocol/requests/produce/v3/request.js');
  }
  const { loadConfig } = await import('../../src/config.ts');
  const { startPlatform } = await import('../../src/app/platform.ts');
  const { createKafka, ensureTopics } = await import('../../src/kafka/client.ts');
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', SPARK_ENABLED: 'false', STREAMS_ENABLED: 'false', LOG_LEVEL: 'warn', ...process.env });
  const admin = createKafka(config, 'bench-setup').admin();
  await admin.connect();
  await ensureTopics(admin, config);
  await admin.disconnect();
  const platform = await startPlatform(config, { spark: false, streams: false });
  ready(Number(new URL(platform.url).port));
  process.on('SIGTERM', async () => {
    const s = platform.ingest?.status();
    await platform.stop();
    if (s) {
      process.stderr.write(
        `[server] batches ${s.sentBatches}, events ${s.sentEvents} (${(s.sentEvents / Math.max(1, s.sentBatches)).toFixed(1)} per batch), failed ${s.failedBatches}, refused ${s.refused}\n`,
      );
    }
    process.exit(0);
  });
}
