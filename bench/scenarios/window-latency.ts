// Window end → viewer latency at fixed ingest rates: the whole path (API → Kafka → Spark → emoji-windows →
// main publisher → cluster → SSE) with the whole platform running (Spark job and Kafka Streams), viewers reading SSE. Rates: a near-idle
// baseline (10 events/s), 1,000 and 10,000 events/s (open loop; 10k as batches of 100). Latency per
// delivered window = arrival at the viewer − window_end.
import http from 'node:http';
import { openSse } from '../../tests/support/sse-client.ts';
import { createKafka } from '../../src/kafka/client.ts';
import { runLoad, type LoadResult } from '../lib/loadgen.ts';
import { benchConfig, benchPlatform, dropTopics, isMain, quantiles, runStandalone, type BenchContext, type ScenarioResult } from '../lib/context.ts';
import { fmt, generatorCell } from '../lib/rows.ts';
import { batchSummary, watchSparkBatches } from '../lib/spark-batches.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitForOk } from '../../tests/support/wait.ts';

const PHASE_MS = Number(process.env.BENCH_PHASE_MS ?? 20_000);
const VIEWERS = 10;
const PHASES = [
  // warm-up (not reported): the first windows after the job starts come late (JIT, first state store writes)
  { name: 'warm-up', eps: 1000, body: 'single' as const, batch: 1, concurrency: 128 },
  { name: 'idle', eps: 10, body: 'single' as const, batch: 1, concurrency: 4 },
  { name: '1k', eps: 1000, body: 'single' as const, batch: 1, concurrency: 128 },
  { name: '10k', eps: 10_000, body: 'batch' as const, batch: 100, concurrency: 32 },
];

export async function windowLatency(ctx: BenchContext): Promise<ScenarioResult> {
  const t0 = Date.now();
  // BENCH_SPARK_TICK_LIVENESS_MS=0: windows close on watermark − delay only (the A/B of the instances' ticks)
  const liveness = process.env.BENCH_SPARK_TICK_LIVENESS_MS;
  const config = benchConfig(ctx, 'window-latency', liveness === undefined ? {} : { SPARK_TICK_LIVENESS_MS: liveness });
  const platform = await benchPlatform(config, { spark: true, streams: true, broadcast: true });
  try {
    const ready0 = Date.now();
    await waitForOk(`${platform.url}/status`, 300_000, 500); // every part, Spark and Kafka Streams included (minutes under load)
    ctx.log(`platform ready (Spark job running) in ${((Date.now() - ready0) / 1000).toFixed(1)} s`);
    // the split: window end → record on emoji-windows (Spark), from each record's broker timestamp
    const recorded = new Map<string, number>(); // window id → record timestamp − window_end (ms)
    const consumer = createKafka(config, 'bench-windows').consumer({ groupId: `bench-windows-${Date.now()}`, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: config.topics.windows, fromBeginning: false });
    await consumer.run({
      eachMessage: async ({ message }) => {
        try {
          const w = JSON.parse(message.value!.toString()) as { match_id: string; window_start: string; window_end: string };
          const id = `${w.match_id}:${Date.parse(w.window_start)}`;
          if (!recorded.has(id)) recorded.set(id, Number(message.timestamp) - Date.parse(w.window_end));
        } catch {
          /* not a window */
        }
      },
    });
    const sparkBatches = await watchSparkBatches(config);
    await sleep(1000);

    const phases: {
      name: string;
      eps: number;
      load: LoadResult;
      latency_ms: ReturnType<typeof quantiles>;
      spark_ms: ReturnType<typeof quantiles>;
      windows: number;
      batches: ReturnType<typeof batchSummary>;
      /** windows Spark wrote during the phase (every match), those closed on the instances' ticks, corrections so far */
      closed: { windows: number; on_ticks: number; corrected: number };
    }[] = [];
    for (const ph of PHASES) {
      const match = `lat-${ph.name}-${Date.now().toString(36)}`;
      const arrivals: { start: number; latency: number }[] = [];
      const agent = new http.Agent({ keepAlive: false });
      const closers: (() => void)[] = [];
      for (let i = 0; i < VIEWERS; i++) {
        const res = await fetch(`${platform.url}/v1/subscriptions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ match_id: match }) });
        const sub = (await res.json()) as { stream_url: string };
        const seen = new Set<string>();
        closers.push(
          openSse(new URL(sub.stream_url, platform.url), {
            agent,
            keep: false,
            onEvent: (e) => {
              if (e.event !== 'window' || e.id === undefined || seen.has(e.id)) return;
              seen.add(e.id);
              const w = JSON.parse(e.data) as { window_start: string; window_end: string };
              arrivals.push({ start: Date.parse(w.window_start), latency: Date.now() - Date.parse(w.window_end) });
            },
          }).close,
        );
      }
      await sleep(500);
      const loadStart = Date.now();
      ctx.log(`phase ${ph.name}: ${ph.eps} events/s for ${PHASE_MS} ms, ${VIEWERS} viewers`);
      const load = await runLoad({
        url: platform.url,
        path: ph.body === 'batch' ? '/v1/emoji/batch' : '/v1/emoji',
        body: ph.body,
        batchSize: ph.batch,
        concurrency: ph.concurrency,
        durationMs: PHASE_MS,
        warmupMs: 0,
        eventsPerSecond: ph.eps,
        matchId: match,
      });
      const loadEnd = Date.now();
      await sleep(config.windows.windowMs + 3000); // the last window closes after the load ends
      for (const c of closers) c();
      agent.destroy();
      // steady state only: windows that started at least one window after the load began and ended before it stopped
      const steady = arrivals.filter((a) => a.start >= loadStart + config.windows.windowMs && a.start + config.windows.windowMs <= loadEnd);
      const q = quantiles(steady.map((a) => a.latency));
      const starts = new Set(steady.map((a) => a.start));
      const sq = quantiles([...starts].map((st) => recorded.get(`${match}:${st}`)).filter((v): v is number => v !== undefined));
      const inPhase = sparkBatches.between(loadStart, loadEnd);
      const batches = batchSummary(inPhase);
      const closed = {
        windows: inPhase.reduce((n, b) => n + b.windows, 0),
        on_ticks: inPhase.reduce((n, b) => n + b.onTicks, 0),
        corrected: Math.max(0, ...sparkBatches.all().map((b) => b.corrected)),
      };
      phases.push({ name: ph.name, eps: ph.eps, load, latency_ms: q, spark_ms: sq, windows: starts.size, batches, closed });
      ctx.log(`  ${ph.name}: ${load.eps} events/s accepted (${load.skipped} skipped), window end → viewer p50 ${q.p50} p99 ${q.p99} max ${q.max} ms over ${q.n} deliveries; window end → emoji-windows record p50 ${sq.p50} p99 ${sq.p99} ms; Spark batch p50 ${batches.ms.p50} ms (${batches.n} batches, rows p50 ${batches.rows.p50}); windows written ${closed.windows}, ${closed.on_ticks} closed on the instances' ticks, ${closed.corrected} corrected`);
    }
    phases.shift(); // the warm-up
    await consumer.disconnect();
    await sparkBatches.stop();
    const idle = phases[0]!;
    return {
      name: 'window-latency',
      rows: phases.map((p) => ({
        id: `latency/window-${p.name}`,
        title: `Window end → \`event: window\` at a viewer, ${p.name === 'idle' ? `near idle (${p.eps} events/s)` : `${fmt(p.eps)} events/s`}`,
        whole: `p50/p99/max ${fmt(p.latency_ms.p50)}/${fmt(p.latency_ms.p99)}/${fmt(p.latency_ms.max)} ms (${p.latency_ms.n} deliveries, ${fmt(p.load.eps)} events/s accepted${p.load.skipped ? `, ${p.load.skipped} requests skipped` : ''})`,
        baseline: p === idle ? '' : `near idle: p99 ${fmt(idle.latency_ms.p99)} ms`,
        ratio: p === idle || !(idle.latency_ms.p99 > 0) ? '' : fmt(+(p.latency_ms.p99 / idle.latency_ms.p99).toFixed(2)),
        generator: generatorCell([['load', p.load]]),
        notes: `of which window end → emoji-windows record (Spark) p50/p99 ${fmt(p.spark_ms.p50)}/${fmt(p.spark_ms.p99)} ms; Spark batch p50 ${fmt(p.batches.ms.p50)} ms (${fmt(p.batches.rows.p50)} rows); ${p.closed.on_ticks} of ${p.closed.windows} windows closed on the instances' ticks, ${p.closed.corrected} corrected; trigger ${config.spark.triggerMs} ms, watermark ${config.spark.watermarkMs} ms; ${VIEWERS} viewers`,
      })),
      details: { phase_ms: PHASE_MS, viewers: VIEWERS, phases, trigger_ms: config.spark.triggerMs, watermark_ms: config.spark.watermarkMs },
      seconds: Math.round((Date.now() - t0) / 1000),
    };
  } finally {
    await Promise.race([platform.stop(), sleep(30_000)]);
    await dropTopics(config);
  }
}

if (isMain(import.meta.url)) await runStandalone('window-latency', windowLatency);
