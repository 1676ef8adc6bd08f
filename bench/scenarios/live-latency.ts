// The live swarm's latency at fixed ingest rates, the whole path with the Spark job running, viewers reading SSE:
//   202 → the event's count visible at a viewer in `event: live`: each request's events are numbered in the order
//         their 202s came (the k-th acknowledged event of the match); the viewer's visible count is the sum over
//         the match's windows of the largest total it has seen for each (live or closed). The latency of a request
//         is the time from its 202 to the first moment the visible count reached its last event's number.
//   window end → `event: window` at a viewer (arrival − window_end), as in window-latency.
//   and the split: each live (window) record's broker timestamp on emoji-live (emoji-windows), written by the Spark
//   job, → the frame at a viewer: the part of the path after Spark (live consumer, actors, session, SSE).
//   and the Spark micro-batches of the phase (their progress reports on emoji-metrics): batch duration p50, the live
//   latency in batch durations, and per request (first viewer): 202 → the start of the first batch that started
//   after it (Spark reads Kafka's offsets then), that batch's duration, its end → the frame that made the count
//   visible, and which batch wrote that frame's record (the first one after the 202, or later).
// After the load the scenario waits (at most 60 s) until every viewer's visible count reaches the accepted count;
// request × viewer pairs never made visible are reported as missing (they are not in the quantiles).
// Rates: 1,000 events/s (single POSTs) and 10,000 events/s (batches of 100), open loop, after a warm-up phase; the
// whole platform (Spark job and Kafka Streams). The load comes from the paced node:http client of the other HTTP
// rows (bench/lib/generator.mjs, a process of its own; a request due while every connection is busy is skipped),
// which reports when each 202 came: it used to run in this process, on the event loop of the API it measures.
//   npx tsx bench/scenarios/live-latency.ts        (BENCH_KAFKA_BROKERS=host:port to use a running broker)
import http from 'node:http';
import type { Consumer } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import { openSse } from '../../tests/support/sse-client.ts';
import { waitForOk } from '../../tests/support/wait.ts';
import { createKafka } from '../../src/kafka/client.ts';
import { benchConfig, benchPlatform, dropTopics, isMain, quantiles, runStandalone, type BenchContext, type ScenarioResult } from '../lib/context.ts';
import { fmt, generatorCell } from '../lib/rows.ts';
import { runLoad, type LoadResult } from '../lib/loadgen.ts';
import { cmdline, cpuWindow, processTree, type CpuWindow } from '../lib/proc.ts';
import { batchSummary, splitLive, watchSparkBatches, type Curve } from '../lib/spark-batches.ts';

const PHASE_MS = Number(process.env.BENCH_PHASE_MS ?? 20_000);
const VIEWERS = 4;
// the same load as window-latency's phases: paced node:http client in a process of its own (bench/lib/generator.mjs)
const PHASES = [
  { name: 'warm-up', eps: 1000, batch: 1, concurrency: 128 },
  { name: '1k', eps: 1000, batch: 1, concurrency: 128 },
  { name: '10k', eps: 10_000, batch: 100, concurrency: 32 },
];

interface Phase {
  name: string;
  eps: number;
  accepted: number;
  refused: number;
  /** requests due while every connection was busy (not sent) */
  skipped: number;
  generator: LoadResult['generator'];
  live_ms: ReturnType<typeof quantiles>;
  window_ms: ReturnType<typeof quantiles>;
  /** record on emoji-live / emoji-windows (its broker timestamp) → the frame at a viewer */
  live_hop_ms: ReturnType<typeof quantiles>;
  window_hop_ms: ReturnType<typeof quantiles>;
  lives: number;
  /** request × viewer pairs whose count never became visible within 60 s after the load */
  missing: number;
  batches: ReturnType<typeof batchSummary>;
  /** live p50 ÷ batch p50 */
  live_in_batches: number;
  split: ReturnType<typeof splitLive>;
  /** the phase's batches: [batch id, start − first 202 (ms), duration (ms), input rows] */
  batch_list: number[][];
  /** CPU (% of one core) over the load: this process (the API with its Kafka Streams JVM, the load and the viewers), the Spark job, the broker */
  cpu: Record<string, CpuWindow>;
}

/** "x% counted by the first batch that started after the 202 (or an earlier one), y% by the one after it" */
function pct(w: ReturnType<typeof splitLive>['written_by']): string {
  const n = w.earlier + w.first + w.second + w.more;
  if (!n) return 'no frame traced to its batch';
  const f = (v: number) => `${Math.round((100 * v) / n)}%`;
  return `${f(w.earlier + w.first)} counted by the first batch that started after the 202 (or an earlier one), ${f(w.second)} by the next, ${f(w.more)} later`;
}

export async function liveLatency(ctx: BenchContext): Promise<ScenarioResult> {
  const t0 = Date.now();
  const config = benchConfig(ctx, 'live-latency');
  const platform = await benchPlatform(config, { spark: true, streams: true, broadcast: true });
  let consumer: Consumer | null = null;
  let sparkBatches: Awaited<ReturnType<typeof watchSparkBatches>> | null = null;
  try {
    await waitForOk(`${platform.url}/status`, 180_000, 500);
    // the split: each record's broker timestamp, by `match:window_start:seq` (live) or `match:window_start:w`
    const recorded = new Map<string, number>();
    sparkBatches = await watchSparkBatches(config);
    consumer = createKafka(config, 'bench-live').consumer({ groupId: `bench-live-${Date.now()}`, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topics: [config.topics.live, config.topics.windows], fromBeginning: false });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        try {
          const w = JSON.parse(message.value!.toString()) as { match_id: string; window_start: string; seq?: number };
          const key = `${w.match_id}:${w.window_start}:${topic === config.topics.live ? w.seq : 'w'}`;
          if (!recorded.has(key)) recorded.set(key, Number(message.timestamp));
        } catch {
          /* not a record */
        }
      },
    });
    await sleep(1000);
    const phases: Phase[] = [];
    for (const ph of PHASES) {
      const match = `live-${ph.name}-${Date.now().toString(36)}`;
      // per viewer: the largest total seen per window; visible = their sum, with the time it changed
      const curves: Curve[] = [];
      const windowLat: number[] = [];
      const frames: { key: string; at: number; live: boolean }[] = [];
      let lives = 0;
      const closers: (() => void)[] = [];
      const agent = new http.Agent({ keepAlive: false });
      for (let v = 0; v < VIEWERS; v++) {
        const res = await fetch(`${platform.url}/v1/subscriptions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ match_id: match }) });
        const sub = (await res.json()) as { stream_url: string };
        const totals = new Map<string, number>();
        let visible = 0;
        const curve: Curve = [];
        curves.push(curve);
        closers.push(
          openSse(new URL(sub.stream_url, platform.url), {
            agent,
            keep: false,
            onEvent: (e) => {
              if (e.event !== 'live' && e.event !== 'window') return;
              const w = JSON.parse(e.data) as { match_id: string; window_start: string; window_end: string; total: number; seq?: number };
              const key = `${w.match_id}:${w.window_start}:${e.event === 'live' ? w.seq : 'w'}`;
              frames.push({ key, at: Date.now(), live: e.event === 'live' });
              if (e.event === 'live') lives++;
              else if (!totals.has(`closed:${w.window_start}`)) {
                totals.set(`closed:${w.window_start}`, 1);
                windowLat.push(Date.now() - Date.parse(w.window_end));
              }
              const before = totals.get(w.window_start) ?? 0;
              if (w.total <= before) return;
              totals.set(w.window_start, w.total);
              visible += w.total - before;
              curve.push({ at: Date.now(), visible, key });
            },
          }).close,
        );
      }
      await sleep(500);
      ctx.log(`phase ${ph.name}: ${ph.eps} events/s for ${PHASE_MS} ms, ${VIEWERS} viewers`);
      const spark = processTree(process.pid).filter((p) => p !== process.pid && /java/.test(cmdline(p)) && /io\.emostream\.spark\.Job/.test(cmdline(p)));
      const cpu = cpuWindow<string>({ bench: [process.pid], spark, ...(ctx.brokerPid ? { broker: [ctx.brokerPid] } : {}) });
      const run = await runLoad({
        url: platform.url,
        path: ph.batch === 1 ? '/v1/emoji' : '/v1/emoji/batch',
        body: ph.batch === 1 ? 'single' : 'batch',
        batchSize: ph.batch,
        concurrency: ph.concurrency,
        durationMs: PHASE_MS,
        warmupMs: 0,
        eventsPerSecond: ph.eps,
        matchId: match,
        ackTimes: true,
      });
      // each 202 with the number of events acknowledged by then (the k-th event of the match, in 202 order)
      const load = { acks: (run.ack_times ?? []).map((at, i) => ({ at, upTo: (i + 1) * ph.batch })), acked: run.events_ok, refused: (run.requests - run.ok) * ph.batch };
      const cpuUsed = cpu.end();
      // every accepted event visible at every viewer (bounded), then the last window closes
      for (const until = Date.now() + 60_000; Date.now() < until && curves.some((c) => (c.at(-1)?.visible ?? 0) < load.acked); ) await sleep(200);
      await sleep(config.windows.windowMs + 4000);
      for (const c of closers) c();
      agent.destroy();
      // 202 → visible at each viewer (requests whose events never became visible count as missing)
      const live: number[] = [];
      for (const curve of curves) {
        let i = 0;
        for (const a of load.acks) {
          while (i < curve.length && curve[i]!.visible < a.upTo) i++;
          if (i === curve.length) break;
          live.push(Math.max(0, curve[i]!.at - a.at));
        }
      }
      const inLoad = sparkBatches!.between(load.acks[0]?.at ?? 0, load.acks.at(-1)?.at ?? 0);
      const batches = batchSummary(inLoad);
      const split = splitLive(load.acks, curves[0]!, sparkBatches!.all(), recorded);
      const hop = (isLive: boolean) => quantiles(frames.filter((f) => f.live === isLive && recorded.has(f.key)).map((f) => f.at - recorded.get(f.key)!));
      const p: Phase = { name: ph.name, eps: ph.eps, accepted: load.acked, refused: load.refused, skipped: run.skipped, generator: run.generator, live_ms: quantiles(live), window_ms: quantiles(windowLat), live_hop_ms: hop(true), window_hop_ms: hop(false), lives, missing: load.acks.length * VIEWERS - live.length, batches, cpu: cpuUsed, batch_list: inLoad.map((b) => [b.id, b.start - load.acks[0]!.at, b.ms, b.rows]), live_in_batches: +(quantiles(live).p50 / batches.ms.p50).toFixed(2), split };
      phases.push(p);
      ctx.log(`  ${ph.name}: ${load.acked} accepted, ${load.refused} refused; 202 → event: live p50 ${p.live_ms.p50} p99 ${p.live_ms.p99} ms (${p.live_ms.n} of ${load.acks.length * VIEWERS}); window end → event: window p50 ${p.window_ms.p50} p99 ${p.window_ms.p99} ms; ${lives} live frames; emoji-live record → viewer p50 ${p.live_hop_ms.p50} p99 ${p.live_hop_ms.p99} ms, emoji-windows record → viewer p50 ${p.window_hop_ms.p50} p99 ${p.window_hop_ms.p99} ms; ${p.missing} pairs never visible`);
      ctx.log(`  ${ph.name}: Spark batch p50 ${batches.ms.p50} p99 ${batches.ms.p99} ms (${batches.n} batches, rows p50 ${batches.rows.p50}): live p50 = ${p.live_in_batches} batch durations; split p50: 202 → next batch start ${split.wait_ms.p50} ms, that batch ${split.batch_ms.p50} ms, its end → visible ${split.after_ms.p50} ms (p99 ${split.after_ms.p99}); record written by ${JSON.stringify(split.written_by)}; slowest 1% (${split.slowest.n}): 202s at ${split.slowest.from_first_202_ms.p50} ms (earliest ${split.slowest.earliest_ms}, latest ${split.slowest.from_first_202_ms.max}) of ${split.slowest.load_ms} ms, next batches ${JSON.stringify(split.slowest.next_batches)}; CPU % of a core: ${Object.entries(cpuUsed).map(([k, v]) => `${k} ${v.cpuPct}`).join(', ')}`);
    }
    phases.shift(); // the warm-up
    return {
      name: 'live-latency',
      rows: phases.flatMap((p) => [
        {
          id: `latency/live-${p.name}`,
          title: `202 → the event's count visible in \`event: live\` at a viewer, ${fmt(p.eps)} events/s`,
          whole: `p50/p99/max ${fmt(p.live_ms.p50)}/${fmt(p.live_ms.p99)}/${fmt(p.live_ms.max)} ms (${p.live_ms.n} request × viewer pairs, ${fmt(p.accepted)} events accepted${p.refused ? `, ${p.refused} refused` : ''}${p.skipped ? `, ${p.skipped} requests skipped` : ''}${p.missing ? `, ${p.missing} pairs never visible` : ''})`,
          generator: generatorCell([['load', { generator: p.generator } as LoadResult]]),
          notes: `target p50 ≤ 500 / p99 ≤ 1,000 ms; Spark batch p50 ${fmt(p.batches.ms.p50)} ms (${fmt(p.batches.rows.p50)} rows), live p50 = ${p.live_in_batches} batch durations: 202 → next batch start p50 ${fmt(p.split.wait_ms.p50)} ms, that batch ${fmt(p.split.batch_ms.p50)} ms, its end → visible ${fmt(p.split.after_ms.p50)} ms; ${pct(p.split.written_by)}; the slowest 1% had their 202 ${fmt(p.split.slowest.earliest_ms)}–${fmt(p.split.slowest.from_first_202_ms.max)} ms into the ${fmt(p.split.slowest.load_ms)} ms load (the longest batch after them ${fmt(p.split.slowest.next_batches[0]?.[2] ?? NaN)} ms); of which emoji-live record → viewer p50/p99 ${fmt(p.live_hop_ms.p50)}/${fmt(p.live_hop_ms.p99)} ms; ${p.lives} live frames; trigger ${config.spark.triggerMs} ms, watermark ${config.spark.watermarkMs} ms; ${VIEWERS} viewers`,
        },
        {
          id: `latency/live-window-${p.name}`,
          title: `Window end → \`event: window\` at a viewer with the live swarm on, ${fmt(p.eps)} events/s`,
          whole: `p50/p99/max ${fmt(p.window_ms.p50)}/${fmt(p.window_ms.p99)}/${fmt(p.window_ms.max)} ms (${p.window_ms.n} deliveries)`,
          generator: generatorCell([['load', { generator: p.generator } as LoadResult]]),
          notes: `target p50 ≤ 800 / p99 ≤ 1,200 ms; Spark batch p50 ${fmt(p.batches.ms.p50)} ms; of which emoji-windows record → viewer p50/p99 ${fmt(p.window_hop_ms.p50)}/${fmt(p.window_hop_ms.p99)} ms; trigger ${config.spark.triggerMs} ms, watermark ${config.spark.watermarkMs} ms`,
        },
      ]),
      details: { phase_ms: PHASE_MS, viewers: VIEWERS, phases },
      seconds: Math.round((Date.now() - t0) / 1000),
    };
  } finally {
    await consumer?.disconnect().catch(() => {});
    await sparkBatches?.stop();
    await Promise.race([platform.stop(), sleep(30_000)]);
    await dropTopics(config);
  }
}

if (isMain(import.meta.url)) await runStandalone('live-latency', liveLatency);
