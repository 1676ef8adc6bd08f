// Ingest, every figure from the same run and the same load generator (autocannon in GENERATOR_PROCESSES
// processes of its own, 2 by default, bench/lib/loadgen.ts; on a 2-core machine they share the cores with
// the server, and the broker: each row carries every generator process's CPU, and the ratios compare
// servers under the same generator in the same run):
//   single-event POST /v1/emoji (202 only after the broker's ack), c=100, against
//     - a no-op node:http server that reads the body and answers 202 {} (what HTTP alone costs here),
//     - the seed stack (bench/peer/main.py: Flask + kafka-python KafkaProducer(linger_ms=500, acks='all'),
//       answering before the broker acknowledges) as `python3 main.py` and as `gunicorn -w 2` (both answer
//       `Connection: close`, which autocannon handles badly: the load there is the node:http client of the
//       same generator process, far from its limit at the seed stack's rates; its CPU is in the row);
//   batch POST /v1/emoji/batch (1,000 events a request), c=8, against a plain kafkajs producer writing the
//     same records to the same broker (idempotent, acks = all, 1,000 records a send, key = user_id);
// each EmoStream figure twice: ingest-only (SPARK_ENABLED=false STREAMS_ENABLED=false) and with the whole
// platform (Spark job and Kafka Streams running in the same process tree, as `npm start` runs them).
// BENCH_SKIP=peer,whole leaves parts out (quicker runs while tuning; the table then shows them empty).
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createKafka, ensureTopics } from '../../src/kafka/client.ts';
import { waitForOk } from '../../tests/support/wait.ts';
import { benchConfig, benchPlatform, dropTopics, isMain, runStandalone, type BenchContext, type BenchRow, type ScenarioResult } from '../lib/context.ts';
import { generatorNote, runLoad, type LoadResult, type LoadSpec } from '../lib/loadgen.ts';
import { ensureVenv, PEER_COMMAND, startPeer, type PeerKind } from '../lib/peer.ts';
import { cmdline, cpuWindow, processTree, type CpuWindow } from '../lib/proc.ts';
import { fmt, generatorCell, loadCell, ratioCell } from '../lib/rows.ts';

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 10_000);
const SINGLE_C = 100;
const BATCH = 1000;
const BATCH_C = 8;

/** The platform's processes: this one (API, in-process Kafka Streams JVM) and its children but the generator. */
const platformPids = () => processTree(process.pid).filter((p) => !cmdline(p).includes('generator.mjs'));

interface Measured {
  load: LoadResult;
  cpu: Record<'platform' | 'broker', CpuWindow>;
}

/** One load with the server side's CPU over the same window. */
async function measured(spec: LoadSpec, server: number[], brokerPid: number | undefined): Promise<Measured> {
  const w = cpuWindow({ platform: server, broker: brokerPid ? [brokerPid] : [] });
  const load = await runLoad(spec);
  return { load, cpu: w.end() };
}

async function noopServer(): Promise<{ url: string; close(): void }> {
  const noop = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(202, { 'content-type': 'application/json', 'content-length': 2 });
      res.end('{}');
    });
  });
  await new Promise<void>((r) => noop.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(noop.address() as AddressInfo).port}`, close: () => noop.close() };
}

async function plainProducer(ctx: BenchContext, topicOf: ReturnType<typeof benchConfig>): Promise<number> {
  const kafka = createKafka(topicOf, 'bench-plain');
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const now = new Date().toISOString();
    const record = (i: number) => ({
      key: `u-${i % 50_000}`,
      value: JSON.stringify({ event_id: randomUUID(), user_id: `u-${i % 50_000}`, emoji_type: '🔥', timestamp: now, match_id: 'bench-plain', received_at: now }),
    });
    let n = 0;
    const batch = () => Array.from({ length: BATCH }, () => record(n++));
    await producer.send({ topic: topicOf.topics.events, acks: -1, messages: batch() }); // warm-up
    ctx.log(`baseline: plain kafkajs producer, ${BATCH} records a send, ${BATCH_C} concurrent sends, ${DURATION_MS} ms`);
    let events = 0;
    const p0 = performance.now();
    const end = p0 + DURATION_MS;
    await Promise.all(
      Array.from({ length: BATCH_C }, async () => {
        while (performance.now() < end) {
          const m = batch(); // built outside the timed send, as the API builds its records before the batcher
          await producer.send({ topic: topicOf.topics.events, acks: -1, messages: m });
          events += m.length;
        }
      }),
    );
    return Math.round(events / ((performance.now() - p0) / 1000));
  } finally {
    await producer.disconnect();
  }
}

/** single + batch against one running platform */
async function emostream(ctx: BenchContext, label: string, url: string): Promise<{ single: Measured; batch: Measured }> {
  ctx.log(`${label}: POST /v1/emoji c=${SINGLE_C}, ${DURATION_MS} ms`);
  const single = await measured({ url, path: '/v1/emoji', body: 'single', concurrency: SINGLE_C, durationMs: DURATION_MS, warmupMs: 2000, matchId: 'bench-single' }, platformPids(), ctx.brokerPid);
  ctx.log(`  ${loadCell(single.load)}; ${generatorNote(single.load.generator)}, platform ${single.cpu.platform.cpuPct}%, broker ${single.cpu.broker.cpuPct}%`);
  ctx.log(`${label}: POST /v1/emoji/batch ${BATCH} events a request, c=${BATCH_C}, ${DURATION_MS} ms`);
  const batch = await measured({ url, path: '/v1/emoji/batch', body: 'batch', batchSize: BATCH, concurrency: BATCH_C, durationMs: DURATION_MS, warmupMs: 2000, matchId: 'bench-batch' }, platformPids(), ctx.brokerPid);
  ctx.log(`  ${loadCell(batch.load)}; ${generatorNote(batch.load.generator)}, platform ${batch.cpu.platform.cpuPct}%, broker ${batch.cpu.broker.cpuPct}%`);
  return { single, batch };
}

const brokerNote = (m: Measured, ctx: BenchContext) => (ctx.brokerPid ? `, broker ${fmt(m.cpu.broker.cpuPct)}%` : '');
const cpuNote = (ctx: BenchContext, m: Measured | undefined, what: string) =>
  m ? `${what}: platform ${fmt(m.cpu.platform.cpuPct)}% CPU, RSS ${m.cpu.platform.rssMiB} MiB${brokerNote(m, ctx)}` : '';

export async function ingest(ctx: BenchContext): Promise<ScenarioResult> {
  const t0 = Date.now();
  const skip = new Set((process.env.BENCH_SKIP ?? '').split(',').map((s) => s.trim()));
  const env = { MAX_BATCH_EVENTS: String(BATCH), MAX_BODY_BYTES: String(4 * 1048576) };

  // 1. no-op HTTP
  const noop = await noopServer();
  ctx.log(`baseline: no-op node:http, c=${SINGLE_C}, ${DURATION_MS} ms`);
  const noopLoad = await runLoad({ url: noop.url, path: '/v1/emoji', body: 'single', concurrency: SINGLE_C, durationMs: DURATION_MS, matchId: 'bench' });
  noop.close();
  ctx.log(`  ${loadCell(noopLoad, 'req/s')}; ${generatorNote(noopLoad.generator)}`);

  // 2. ingest-only platform, and the plain producer on its topic
  const onlyConfig = benchConfig(ctx, 'ingest', { ...env, SPARK_ENABLED: 'false', STREAMS_ENABLED: 'false' });
  const admin = createKafka(onlyConfig, 'bench-setup').admin();
  await admin.connect();
  await ensureTopics(admin, onlyConfig);
  const plainEps = await plainProducer(ctx, onlyConfig);
  ctx.log(`  plain producer ${fmt(plainEps)} events/s`);
  let only: { single: Measured; batch: Measured };
  const platform = await benchPlatform(onlyConfig, { spark: false, streams: false, broadcast: false });
  try {
    only = await emostream(ctx, 'ingest-only', platform.url);
  } finally {
    await platform.stop();
  }

  // 3. the seed stack, same broker, a topic of its own
  const peers: Partial<Record<PeerKind, Measured>> = {};
  let peerNote = '';
  if (skip.has('peer')) peerNote = 'left out (BENCH_SKIP=peer)';
  else {
    const venv = ensureVenv(ctx.log);
    if ('unavailable' in venv) {
      peerNote = venv.unavailable;
      ctx.log(peerNote);
    } else {
      const topic = `${onlyConfig.topics.events}-peer`;
      await admin.createTopics({ topics: [{ topic, numPartitions: onlyConfig.topics.eventsPartitions, replicationFactor: 1 }] });
      for (const kind of ['flask', 'gunicorn'] as const) {
        ctx.log(`seed stack: ${PEER_COMMAND[kind]}, c=${SINGLE_C}, ${DURATION_MS} ms`);
        const peer = await startPeer(kind, { bin: venv.bin, brokers: ctx.brokers, topic, logFile: join(ctx.tmp, `peer-${kind}.log`) });
        try {
          peers[kind] = await measured({ url: peer.url, path: '/emoji', body: 'single', client: 'node:http', concurrency: SINGLE_C, durationMs: DURATION_MS, warmupMs: 2000, matchId: 'bench-peer' }, peer.pids(), ctx.brokerPid);
          ctx.log(`  ${loadCell(peers[kind]!.load)}; ${generatorNote(peers[kind]!.load.generator)}, ${kind} ${peers[kind]!.cpu.platform.cpuPct}% CPU`);
        } finally {
          await peer.stop();
        }
      }
      await admin.deleteTopics({ topics: [topic], timeout: 10_000 }).catch(() => {});
    }
  }
  await admin.disconnect();
  await dropTopics(onlyConfig);

  // 4. the whole platform
  let whole: { single: Measured; batch: Measured } | undefined;
  let wholeNote = '';
  if (skip.has('whole')) wholeNote = 'left out (BENCH_SKIP=whole)';
  else {
    const config = benchConfig(ctx, 'ingest-whole', env);
    const p = await benchPlatform(config, { spark: true, streams: true, broadcast: true });
    try {
      const r0 = Date.now();
      await waitForOk(`${p.url}/status`, 300_000, 500); // minutes for Spark under load
      ctx.log(`whole platform ready (Spark job and Kafka Streams running) in ${((Date.now() - r0) / 1000).toFixed(1)} s`);
      await sleep(2000);
      whole = await emostream(ctx, 'whole platform', p.url);
    } finally {
      await Promise.race([p.stop(), sleep(30_000)]);
      await dropTopics(config);
    }
  }

  const both = (f: (m: { single: Measured; batch: Measured }) => string) => [`${f(only)} ingest-only`, whole ? `${f(whole)} whole` : ''].filter(Boolean).join(', ');
  const rows: BenchRow[] = [
    {
      id: 'ingest/single',
      title: `Single-event ingest (POST /v1/emoji, 202 after the broker's ack, c=${SINGLE_C})`,
      ingestOnly: loadCell(only.single.load),
      whole: whole ? loadCell(whole.single.load) : wholeNote,
      baseline: `no-op node:http: ${loadCell(noopLoad, 'req/s')}`,
      ratio: both((m) => ratioCell(m.single.load.eps, noopLoad.rps, { measured: m.single.load, baseline: noopLoad })),
      generator: generatorCell([['no-op', noopLoad], ['ingest-only', only.single.load], ['whole', whole?.single.load]]),
      notes: [cpuNote(ctx, only.single, 'ingest-only'), cpuNote(ctx, whole?.single, 'whole')].filter(Boolean).join('; '),
    },
    {
      id: 'ingest/batch',
      title: `Batch ingest (POST /v1/emoji/batch, ${BATCH} events a request, c=${BATCH_C})`,
      ingestOnly: loadCell(only.batch.load),
      whole: whole ? loadCell(whole.batch.load) : wholeNote,
      baseline: `plain kafkajs producer: ${fmt(plainEps)} events/s`,
      ratio: both((m) => ratioCell(m.batch.load.eps, plainEps, { measured: m.batch.load })),
      generator: generatorCell([['ingest-only', only.batch.load], ['whole', whole?.batch.load]]),
      notes: [cpuNote(ctx, only.batch, 'ingest-only'), cpuNote(ctx, whole?.batch, 'whole')].filter(Boolean).join('; '),
    },
    ...(['flask', 'gunicorn'] as const).map((kind): BenchRow => {
      const p = peers[kind];
      return {
        id: `ingest/seed-${kind}`,
        title: `Single-event ingest vs the seed stack: Flask + kafka-python, \`${PEER_COMMAND[kind]}\``,
        ingestOnly: loadCell(only.single.load),
        whole: whole ? loadCell(whole.single.load) : wholeNote,
        baseline: p ? `${loadCell(p.load)} (200 before the broker's ack)` : peerNote,
        ratio: p ? both((m) => ratioCell(m.single.load.eps, p.load.eps, { measured: m.single.load, baseline: p.load })) : '',
        generator: p ? generatorCell([[`${kind} (node:http client)`, p.load]]) : '',
        notes: p ? `${kind}: ${fmt(p.cpu.platform.cpuPct)}% CPU, RSS ${p.cpu.platform.rssMiB} MiB${brokerNote(p, ctx)}` : '',
      };
    }),
  ];
  return {
    name: 'ingest',
    rows,
    details: { duration_ms: DURATION_MS, noop: noopLoad, plain_producer_eps: plainEps, ingest_only: only, whole, peers, peer_note: peerNote },
    seconds: Math.round((Date.now() - t0) / 1000),
  };
}

if (isMain(import.meta.url)) await runStandalone('ingest', ingest);
