// Fan-out: N concurrent SSE viewers of one API process (registered through POST /v1/subscriptions, spread
// over clusters and subscribers), windows handed to the broadcast as the main publisher does. Per step:
// delivery latency (publish → viewer) p50/p99/max, delivery spread per window (first → last viewer)
// p50/p99/max, server CPU and RSS, viewers dropped. Baseline, same run: a plain node:http SSE server
// writing the same Buffer to the same number of viewers. Viewers run in child processes over 127.0.0.x.
// The per-process open-file limit (`ulimit -n`) caps N: each viewer is one descriptor on each side.
import { execSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SSE_HEADERS, windowFrame } from '../../src/push/frames.ts';
import { idOfRecord, makeWindow, type WindowRecord } from '../../src/domain/window.ts';
import { benchConfig, benchPlatform, dropTopics, isMain, quantiles, runStandalone, type BenchContext, type ScenarioResult } from '../lib/context.ts';
import { fmt } from '../lib/rows.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { startViewers, wallClock, type ViewerReport } from '../lib/sse-viewers.ts';

const WINDOWS = 10;
const INTERVAL_MS = 500;
const PER_PROCESS = 8000; // viewers per client process (each holds one descriptor per viewer)
const now = wallClock; // the viewers' clock (see wallClock)

function openFileLimit(): number {
  try {
    return Number(execSync('ulimit -n', { shell: '/bin/sh' }).toString().trim()) || 1024;
  } catch {
    return 1024;
  }
}

interface StepResult {
  viewers: number;
  connected: number;
  failed: number;
  connect_s: number;
  deliveries: number;
  expected: number;
  dropped: number;
  latency_ms: ReturnType<typeof quantiles>;
  spread_ms: ReturnType<typeof quantiles>;
  server_cpu_pct: number;
  server_cpu_us_per_delivery: number;
  server_rss_mib: number;
  client_cpu_ms: number;
}

/** Connect `n` viewers, publish WINDOWS windows, collect arrivals. `publish` hands one window to the server. */
async function step(n: number, base: string, mode: 'subscribe' | 'plain', match: string, publish: (w: WindowRecord) => void, log: (m: string) => void): Promise<StepResult> {
  const groups = [];
  const t0 = Date.now();
  for (let i = 0, left = n; left > 0; i++, left -= PER_PROCESS) {
    groups.push(startViewers({ base, viewers: Math.min(PER_PROCESS, left), mode, path: '/stream', match, firstAddress: 2 + i * 8, addresses: 8, connectConcurrency: 100 }));
  }
  const ready = await Promise.all(groups.map((g) => g.ready));
  const connected = ready.reduce((a, r) => a + r.connected, 0);
  const failed = ready.reduce((a, r) => a + r.failed, 0);
  const connectS = (Date.now() - t0) / 1000;
  log(`  ${mode}: ${connected}/${n} viewers connected in ${connectS.toFixed(1)} s${failed ? ` (${failed} failed)` : ''}`);
  await sleep(1000);

  const published: Record<string, number> = {};
  const cpu0 = process.cpuUsage();
  const w0 = performance.now();
  let rss = process.memoryUsage.rss();
  const start = Math.floor(Date.now() / 2000) * 2000 - 3_600_000; // an hour back: no clash with live ids
  for (let i = 0; i < WINDOWS; i++) {
    const w = makeWindow(match, start + i * 2000, 2000, { '🔥': 3785 + i, '😀': 12, '👏': 640 }, 1000);
    published[idOfRecord(w)] = now();
    publish(w);
    rss = Math.max(rss, process.memoryUsage.rss());
    await sleep(INTERVAL_MS);
  }
  await sleep(1500); // stragglers
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - w0;
  rss = Math.max(rss, process.memoryUsage.rss());
  const reports: ViewerReport[] = await Promise.all(groups.map((g) => g.finish()));

  const lat: number[] = [];
  const spread: number[] = [];
  let deliveries = 0;
  for (const [id, t] of Object.entries(published)) {
    let first = Infinity;
    let last = -Infinity;
    for (const r of reports) {
      for (const a of r.arrivals[id] ?? []) {
        lat.push(a - t);
        first = Math.min(first, a);
        last = Math.max(last, a);
        deliveries++;
      }
    }
    if (Number.isFinite(first)) spread.push(last - first);
  }
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const expected = connected * WINDOWS;
  return {
    viewers: n,
    connected,
    failed,
    connect_s: +connectS.toFixed(1),
    deliveries,
    expected,
    dropped: reports.reduce((a, r) => a + r.closedEarly, 0),
    latency_ms: quantiles(lat),
    spread_ms: quantiles(spread),
    server_cpu_pct: +((cpuMs / wallMs) * 100).toFixed(1),
    server_cpu_us_per_delivery: deliveries ? +((cpuMs * 1000) / deliveries).toFixed(2) : NaN,
    server_rss_mib: Math.round(rss / 1048576),
    client_cpu_ms: Math.round(reports.reduce((a, r) => a + r.cpuMs, 0)),
  };
}

async function plainServer(): Promise<{ base: string; publish: (w: WindowRecord) => void; close: () => Promise<void> }> {
  const clients = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, SSE_HEADERS);
    res.flushHeaders();
    clients.add(res);
    res.on('close', () => clients.delete(res));
  });
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', 4096, r));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    publish: (w) => {
      const frame = windowFrame(idOfRecord(w), w);
      for (const res of clients) res.write(frame);
    },
    close: () =>
      new Promise<void>((r) => {
        for (const res of clients) res.destroy();
        server.close(() => r());
      }),
  };
}

export async function fanout(ctx: BenchContext): Promise<ScenarioResult> {
  const t0 = Date.now();
  const limit = openFileLimit();
  const maxViewers = Math.max(1000, Math.floor((limit - 1000) / 1000) * 1000); // keep ~1,000 descriptors for the rest
  const wanted = (process.env.BENCH_FANOUT_STEPS ?? '1000,10000,25000,50000').split(',').map(Number);
  const steps = [...new Set(wanted.map((n) => Math.min(n, maxViewers)))];
  const baselineN = steps.includes(10_000) ? 10_000 : steps[steps.length - 1]!;
  ctx.log(`fan-out steps ${steps.join(', ')} (requested ${wanted.join(', ')}; ulimit -n ${limit})`);

  const results: StepResult[] = [];
  for (const n of steps) {
    // a fresh API per step: the previous step's subscriptions do not linger
    const config = benchConfig(ctx, 'fanout', {
      SPARK_ENABLED: 'false',
      STREAMS_ENABLED: 'false',
      SUBSCRIBER_CAPACITY: '10000',
      HEARTBEAT_MS: '15000',
      SUBSCRIPTION_GRACE_MS: '60000',
    });
    const platform = await benchPlatform(config, { spark: false, streams: false, broadcast: true });
    try {
      const match = `fanout-${n}`;
      results.push(await step(n, platform.url, 'subscribe', match, (w) => platform.broadcast!.publish(w), ctx.log));
      const r = results[results.length - 1]!;
      ctx.log(`  ${n} viewers: latency p50 ${r.latency_ms.p50} p99 ${r.latency_ms.p99} max ${r.latency_ms.max} ms; spread p99 ${r.spread_ms.p99} ms; CPU ${r.server_cpu_us_per_delivery} µs/delivery; RSS ${r.server_rss_mib} MiB; dropped ${r.dropped}`);
    } finally {
      await platform.stop();
      await dropTopics(config);
    }
    await sleep(1000);
  }

  const plain = await plainServer();
  let baseline: StepResult;
  try {
    baseline = await step(baselineN, plain.base, 'plain', 'plain', plain.publish, ctx.log);
  } finally {
    await plain.close();
  }
  ctx.log(`  baseline ${baselineN} viewers: latency p50 ${baseline.latency_ms.p50} p99 ${baseline.latency_ms.p99} ms; CPU ${baseline.server_cpu_us_per_delivery} µs/delivery`);

  const at = results.find((r) => r.viewers === baselineN)!;
  const top = results[results.length - 1]!;
  const ratio = at.latency_ms.p99 / baseline.latency_ms.p99;
  return {
    name: 'fanout',
    rows: [
      {
        id: 'fanout/sse',
        title: `Fan-out to N SSE viewers of one API process (${steps.join(' / ')}), publish → viewer`,
        ingestOnly: results.map((r) => `${fmt(r.connected)}: p50/p99 ${fmt(r.latency_ms.p50)}/${fmt(r.latency_ms.p99)} ms, dropped ${r.dropped}`).join('; '),
        baseline: `plain node:http SSE, ${fmt(baselineN)} viewers: p99 ${fmt(baseline.latency_ms.p99)} ms, ${baseline.server_cpu_us_per_delivery} µs/delivery`,
        ratio: `${fmt(+ratio.toFixed(2))} (p99 at ${fmt(baselineN)}), CPU/delivery ${(at.server_cpu_us_per_delivery / baseline.server_cpu_us_per_delivery).toFixed(2)}`,
        notes:
          results.map((r) => `${fmt(r.connected)}: max ${fmt(r.latency_ms.max)} ms, spread p99 ${fmt(r.spread_ms.p99)} ms, ${r.server_cpu_us_per_delivery} µs/delivery, RSS ${r.server_rss_mib} MiB`).join('; ') +
          `; largest step ${fmt(top.connected)} (ulimit -n ${limit}); viewers in child processes over 127.0.0.x`,
      },
    ],
    details: { steps: results, baseline, open_file_limit: limit, windows_per_step: WINDOWS, interval_ms: INTERVAL_MS },
    seconds: Math.round((Date.now() - t0) / 1000),
  };
}

if (isMain(import.meta.url)) await runStandalone('fanout', fanout);
