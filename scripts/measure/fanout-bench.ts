// Fan-out measurement: how many concurrent SSE viewers one API process holds, and how long a window takes
// to reach them. The server (broadcast actors + HTTP routes) runs here; the viewers run in a forked process
// (fanout-clients.ts) spread over 127.0.0.x source addresses. Loopback only; bounded in count and time.
//
//   ulimit -n 200000   # both processes hold one descriptor per viewer
//   npx tsx scripts/measure/fanout-bench.ts --viewers 10000 --windows 20 --interval-ms 500 [--via kafka]
//
// --via facade (default): windows are handed to the supervisor in-process (what the Kafka consumer does),
//   latency = publish → viewer.
// --via kafka: windows are produced to emoji-windows (KAFKA_BROKERS, default 127.0.0.1:9092) and reach the
//   server through its window consumer; latency = record sent to Kafka → viewer.
import { fork } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { serve, type ServerType } from '@hono/node-server';
import { startBroadcast } from '../../src/app/broadcast.ts';
import { createApp } from '../../src/api/app.ts';
import { loadConfig } from '../../src/config.ts';
import { idOfRecord, makeWindow } from '../../src/domain/window.ts';
import { createKafka } from '../../src/kafka/client.ts';

const { values: a } = parseArgs({
  options: {
    viewers: { type: 'string', default: '1000' },
    windows: { type: 'string', default: '20' },
    'interval-ms': { type: 'string', default: '500' },
    via: { type: 'string', default: 'facade' },
    'source-addresses': { type: 'string', default: '8' },
    'connect-concurrency': { type: 'string', default: '200' },
    'timeout-s': { type: 'string', default: '300' },
  },
});
const VIEWERS = Math.min(60_000, Number(a.viewers));
const WINDOWS = Math.min(1000, Number(a.windows));
const INTERVAL = Math.max(10, Number(a['interval-ms']));
const VIA = a.via === 'kafka' ? 'kafka' : 'facade';
const now = () => performance.timeOrigin + performance.now();
const mb = (b: number) => Math.round(b / 1048576);

const config = loadConfig({
  ...process.env,
  KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
  HEARTBEAT_MS: process.env.HEARTBEAT_MS ?? '15000',
  SUBSCRIBER_CAPACITY: process.env.SUBSCRIBER_CAPACITY ?? '10000',
});
const kafka = VIA === 'kafka' ? createKafka(config, 'fanout-bench') : null;

const hardStop = setTimeout(() => {
  process.stderr.write(`timed out after ${a['timeout-s']} s\n`);
  process.exit(2);
}, Number(a['timeout-s']) * 1000);
hardStop.unref();

const broadcast = await startBroadcast(config, kafka);
const app = createApp({ config, ingest: { submit: async () => {} }, broadcast: broadcast.facade, log: () => {} });
const server: ServerType = await new Promise((res) => {
  const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1', serverOptions: { keepAliveTimeout: 60_000 } }, () => res(s));
});
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const producer = kafka?.producer({ allowAutoTopicCreation: false }) ?? null;
await producer?.connect();

const match = `bench-${Date.now().toString(36)}`;
const child = fork(resolve(import.meta.dirname, 'fanout-clients.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const fromChild = <T>(type: string) =>
  new Promise<T>((res) => {
    const on = (m: { type: string }) => {
      if (m.type === 'progress') process.stderr.write(`  connected ${(m as unknown as { connected: number }).connected}\n`);
      if (m.type === type) {
        child.off('message', on);
        res(m as T);
      }
    };
    child.on('message', on);
  });

const t0 = Date.now();
child.send({ type: 'start', base, viewers: VIEWERS, sourceAddresses: Number(a['source-addresses']), match, connectConcurrency: Number(a['connect-concurrency']) });
const ready = await fromChild<{ connected: number; failed: number }>('ready');
const connectS = (Date.now() - t0) / 1000;
await new Promise((r) => setTimeout(r, 1000)); // let the last streams settle
const held = broadcast.facade.stats().viewers;
const rssIdle = process.memoryUsage().rss;
process.stderr.write(`connected ${ready.connected} (failed ${ready.failed}) in ${connectS.toFixed(1)} s; server holds ${held}; RSS ${mb(rssIdle)} MB\n`);

const published: Record<string, number> = {};
const fanout: number[] = [];
const cpu0 = process.cpuUsage();
const wall0 = now();
let rssPeak = rssIdle;
const startMs = Math.floor(Date.now() / 2000) * 2000;
for (let i = 0; i < WINDOWS; i++) {
  const w = makeWindow(match, startMs + i * 2000, 2000, { '🔥': 3785 + i, '😀': 12, '👏': 640 }, config.windows.scaleFactor);
  const id = idOfRecord(w);
  published[id] = now();
  if (producer) await producer.send({ topic: config.topics.windows, messages: [{ key: match, value: JSON.stringify(w) }] });
  else {
    const f0 = now();
    broadcast.facade.publish(w); // synchronous: every viewer's write has been issued when it returns
    fanout.push(now() - f0);
  }
  rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  await new Promise((r) => setTimeout(r, INTERVAL));
}
await new Promise((r) => setTimeout(r, 1500)); // stragglers
const cpu = process.cpuUsage(cpu0);
const wallMs = now() - wall0;
const stats = broadcast.facade.stats();
child.send({ type: 'finish', published });
const r = await fromChild<{ connected: number; delivered: number; p50: number; p90: number; p99: number; max: number; clientCpuMs: number; closedEarly: number }>('result');

const expected = ready.connected * WINDOWS;
const serverCpuMs = (cpu.user + cpu.system) / 1000;
const result = {
  via: VIA,
  viewers_requested: VIEWERS,
  viewers_held: held,
  connect_s: connectS,
  windows: WINDOWS,
  interval_ms: INTERVAL,
  delivered: r.delivered,
  expected,
  latency_ms: { p50: +r.p50.toFixed(2), p90: +r.p90.toFixed(2), p99: +r.p99.toFixed(2), max: +r.max.toFixed(2) },
  server_fanout_ms_per_window: fanout.length ? +(fanout.reduce((x, y) => x + y, 0) / fanout.length).toFixed(2) : null,
  server_cpu_pct: +((serverCpuMs / wallMs) * 100).toFixed(1),
  server_cpu_us_per_delivery: r.delivered ? +((serverCpuMs * 1000) / r.delivered).toFixed(2) : null,
  server_rss_mb: { idle: mb(rssIdle), peak: mb(Math.max(rssPeak, process.memoryUsage().rss)) },
  client_cpu_ms: Math.round(r.clientCpuMs),
  slow_disconnects: stats.slow_disconnects,
  streams_closed_early: r.closedEarly,
  consumer: broadcast.consumer?.current() ? { ...broadcast.consumer.current()!.stats } : null,
};
console.log(JSON.stringify(result));

await producer?.disconnect();
await broadcast.stop();
(server as unknown as { closeAllConnections(): void }).closeAllConnections();
server.close();
child.kill();
process.exit(0);
