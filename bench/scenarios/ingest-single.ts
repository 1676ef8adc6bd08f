// Single-event ingest: durable 202s per second (POST /v1/emoji, answered only after the broker's ack)
// against a no-op node:http server's requests per second, same load generator, same machine, same run.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { runLoad } from '../lib/loadgen.ts';
import { benchConfig, benchPlatform, dropTopics, isMain, measureProcess, runStandalone, type BenchContext, type ScenarioResult } from '../lib/context.ts';

const CONCURRENCY = 100;
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 10_000);

export async function ingestSingle(ctx: BenchContext): Promise<ScenarioResult> {
  const t0 = Date.now();
  // baseline: a node:http server that reads the body and answers 202 {}
  const noop = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(202, { 'content-type': 'application/json', 'content-length': 2 });
      res.end('{}');
    });
  });
  await new Promise<void>((r) => noop.listen(0, '127.0.0.1', r));
  const noopUrl = `http://127.0.0.1:${(noop.address() as AddressInfo).port}`;
  ctx.log(`baseline: no-op node:http, c=${CONCURRENCY}, ${DURATION_MS} ms`);
  const base = await runLoad({ url: noopUrl, path: '/v1/emoji', body: 'single', concurrency: CONCURRENCY, durationMs: DURATION_MS, matchId: 'bench' });
  noop.close();

  const config = benchConfig(ctx, 'ingest-single', { SPARK_ENABLED: 'false', STREAMS_ENABLED: 'false' });
  const platform = await benchPlatform(config, { spark: false, streams: false, broadcast: false });
  try {
    ctx.log(`EmoStream POST /v1/emoji, c=${CONCURRENCY}, ${DURATION_MS} ms`);
    const m = await measureProcess(() =>
      runLoad({ url: platform.url, path: '/v1/emoji', body: 'single', concurrency: CONCURRENCY, durationMs: DURATION_MS, warmupMs: 2000, matchId: 'bench-single' }),
    );
    const r = m.value;
    const status = platform.ingest.status();
    const ratio = +(r.eps / base.rps).toFixed(3);
    return {
      name: 'ingest-single',
      title: 'Single-event ingest (POST /v1/emoji, 202 after broker ack)',
      measured: { value: r.eps, unit: 'events/s', label: 'durable 202/s' },
      baseline: { value: base.rps, unit: 'req/s', label: 'no-op node:http' },
      ratio,
      summary: `p50 ${r.latency_ms.p50} ms, p99 ${r.latency_ms.p99} ms (no-op: p50 ${base.latency_ms.p50}, p99 ${base.latency_ms.p99}); ${(status.sentEvents / Math.max(1, status.sentBatches)).toFixed(0)} events/batch; server CPU ${m.cpuPct}%, RSS ${m.rssPeakMiB} MiB`,
      details: { concurrency: CONCURRENCY, platform: r, baseline: base, server: { cpu_pct: m.cpuPct, rss_peak_mib: m.rssPeakMiB, batches: status.sentBatches, events: status.sentEvents } },
      seconds: Math.round((Date.now() - t0) / 1000),
    };
  } finally {
    await platform.stop();
    await dropTopics(config);
  }
}

if (isMain(import.meta.url)) await runStandalone('ingest-single', ingestSingle);
