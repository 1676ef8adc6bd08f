// The live swarm's latency at fixed ingest rates, the whole path with the Spark job running, viewers reading SSE:
//   202 → the event's count visible at a viewer in `event: live`: each request's events are numbered in the order
//         their 202s came (the k-th acknowledged event of the match); the viewer's visible count is the sum over
//         the match's windows of the largest total it has seen for each (live or closed). The latency of a request
//         is the time from its 202 to the first moment the visible count reached its last event's number.
//   window end → `event: window` at a viewer (arrival − window_end), as in window-latency.
//   and the split: each live (window) record's broker timestamp on emoji-live (emoji-windows), written by the Spark
//   job, → the frame at a viewer: the part of the path after Spark (live consumer, actors, session, SSE).
// Rates: 1,000 events/s (single POSTs) and 10,000 events/s (batches of 100), open loop, after a warm-up phase; the
// whole platform (Spark job and Kafka Streams).
//   npx tsx bench/scenarios/live-latency.ts        (BENCH_KAFKA_BROKERS=host:port to use a running broker)
import http from 'node:http';
import type { Consumer } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import { openSse } from '../../tests/support/sse-client.ts';
import { waitForOk } from '../../tests/support/wait.ts';
import { createKafka } from '../../src/kafka/client.ts';
import { benchConfig, benchPlatform, dropTopics, isMain, quantiles, runStandalone, type BenchContext, type ScenarioResult } from '../lib/context.ts';
import { fmt } from '../lib/rows.ts';

const PHASE_MS = Number(process.env.BENCH_PHASE_MS ?? 20_000);
const VIEWERS = 4;
const PHASES = [
  { name: 'warm-up', eps: 1000, batch: 1 },
  { name: '1k', eps: 1000, batch: 1 },
  { name: '10k', eps: 10_000, batch: 100 },
];

interface Phase {
  name: string;
  eps: number;
  accepted: number;
  refused: number;
  live_ms: ReturnType<typeof quantiles>;
  window_ms: ReturnType<typeof quantiles>;
  /** record on emoji-live / emoji-windows (its broker timestamp) → the frame at a viewer */
  live_hop_ms: ReturnType<typeof quantiles>;
  window_hop_ms: ReturnType<typeof quantiles>;
  lives: number;
}

/** POST `batch` events every 1000·batch/eps ms for `ms`; returns each 202's time and the acknowledged count then. */
async function openLoop(url: string, match: string, eps: number, batch: number, ms: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const acks: { at: number; upTo: number }[] = [];
  let acked = 0;
  let refused = 0;
  const inflight = new Set<Promise<void>>();
  const every = (1000 * batch) / eps;
  const t0 = performance.now();
  for (let i = 0; performance.now() - t0 < ms; i++) {
    const due = t0 + i * every;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const events = Array.from({ length: batch }, (_, j) => ({ user_id: `u-${(i * batch + j) % 5000}`, emoji_type: j % 5 === 0 ? '😀' : '🔥', timestamp: Date.now(), match_id: match }));
    const body = JSON.stringify(batch === 1 ? events[0] : events);
    const p = new Promise<void>((resolve) => {
      const req = http.request(`${url}${batch === 1 ? '/v1/emoji' : '/v1/emoji/batch'}`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 202) acks.push({ at: Date.now(), upTo: (acked += batch) });
          else refused += batch;
          resolve();
        });
      });
      req.on('error', () => ((refused += batch), resolve()));
      req.end(body);
    });
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  }
  await Promise.all(inflight);
  agent.destroy();
  return { acks, acked, refused };
}

export async function liveLatency(ctx: BenchContext): Promise<ScenarioResult> {
  const t0 = Date.now();
  const config = benchConfig(ctx, 'live-latency');
  const platform = await benchPlatform(config, { spark: true, streams: true, broadcast: true });
  let consumer: Consumer | null = null;
  try {
    await waitForOk(`${platform.url}/status`, 180_000, 500);
    // the split: each record's broker timestamp, by `match:window_start:seq` (live) or `match:window_start:w`
    const recorded = new Map<string, number>();
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
      const curves: { at: number; visible: number }[][] = [];
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
        const curve: { at: number; visible: number }[] = [];
        curves.push(curve);
        closers.push(
          openSse(new URL(sub.stream_url, platform.url), {
            agent,
            keep: false,
            onEvent: (e) => {
              if (e.event !== 'live' && e.event !== 'window') return;
              const w = JSON.parse(e.data) as { match_id: string; window_start: string; window_end: string; total: number; seq?: number };
              frames.push({ key: `${w.match_id}:${w.window_start}:${e.event === 'live' ? w.seq : 'w'}`, at: Date.now(), live: e.event === 'live' });
              if (e.event === 'live') lives++;
              else if (!totals.has(`closed:${w.window_start}`)) {
                totals.set(`closed:${w.window_start}`, 1);
                windowLat.push(Date.now() - Date.parse(w.window_end));
              }
              const before = totals.get(w.window_start) ?? 0;
              if (w.total <= before) return;
              totals.set(w.window_start, w.total);
              visible += w.total - before;
              curve.push({ at: Date.now(), visible });
            },
          }).close,
        );
      }
      await sleep(500);
      ctx.log(`phase ${ph.name}: ${ph.eps} events/s for ${PHASE_MS} ms, ${VIEWERS} viewers`);
      const load = await openLoop(platform.url, match, ph.eps, ph.batch, PHASE_MS);
      await sleep(config.windows.windowMs + 4000); // the last window closes after the load ends
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
      const hop = (isLive: boolean) => quantiles(frames.filter((f) => f.live === isLive && recorded.has(f.key)).map((f) => f.at - recorded.get(f.key)!));
      const p: Phase = { name: ph.name, eps: ph.eps, accepted: load.acked, refused: load.refused, live_ms: quantiles(live), window_ms: quantiles(windowLat), live_hop_ms: hop(true), window_hop_ms: hop(false), lives };
      phases.push(p);
      ctx.log(`  ${ph.name}: ${load.acked} accepted, ${load.refused} refused; 202 → event: live p50 ${p.live_ms.p50} p99 ${p.live_ms.p99} ms (${p.live_ms.n} of ${load.acks.length * VIEWERS}); window end → event: window p50 ${p.window_ms.p50} p99 ${p.window_ms.p99} ms; ${lives} live frames; emoji-live record → viewer p50 ${p.live_hop_ms.p50} p99 ${p.live_hop_ms.p99} ms, emoji-windows record → viewer p50 ${p.window_hop_ms.p50} p99 ${p.window_hop_ms.p99} ms`);
    }
    phases.shift(); // the warm-up
    return {
      name: 'live-latency',
      rows: phases.flatMap((p) => [
        {
          id: `latency/live-${p.name}`,
          title: `202 → the event's count visible in \`event: live\` at a viewer, ${fmt(p.eps)} events/s`,
          whole: `p50/p99/max ${fmt(p.live_ms.p50)}/${fmt(p.live_ms.p99)}/${fmt(p.live_ms.max)} ms (${p.live_ms.n} request × viewer pairs, ${fmt(p.accepted)} events accepted${p.refused ? `, ${p.refused} refused` : ''})`,
          generator: 'open loop in the bench process (node:http)',
          notes: `target p50 ≤ 500 / p99 ≤ 1,000 ms; of which emoji-live record → viewer p50/p99 ${fmt(p.live_hop_ms.p50)}/${fmt(p.live_hop_ms.p99)} ms; ${p.lives} live frames; trigger ${config.spark.triggerMs} ms, watermark ${config.spark.watermarkMs} ms; ${VIEWERS} viewers`,
        },
        {
          id: `latency/live-window-${p.name}`,
          title: `Window end → \`event: window\` at a viewer with the live swarm on, ${fmt(p.eps)} events/s`,
          whole: `p50/p99/max ${fmt(p.window_ms.p50)}/${fmt(p.window_ms.p99)}/${fmt(p.window_ms.max)} ms (${p.window_ms.n} deliveries)`,
          generator: 'open loop in the bench process (node:http)',
          notes: `target p50 ≤ 800 / p99 ≤ 1,200 ms; of which emoji-windows record → viewer p50/p99 ${fmt(p.window_hop_ms.p50)}/${fmt(p.window_hop_ms.p99)} ms; trigger ${config.spark.triggerMs} ms, watermark ${config.spark.watermarkMs} ms`,
        },
      ]),
      details: { phase_ms: PHASE_MS, viewers: VIEWERS, phases },
      seconds: Math.round((Date.now() - t0) / 1000),
    };
  } finally {
    await consumer?.disconnect().catch(() => {});
    await Promise.race([platform.stop(), sleep(30_000)]);
    await dropTopics(config);
  }
}

if (isMain(import.meta.url)) await runStandalone('live-latency', liveLatency);
