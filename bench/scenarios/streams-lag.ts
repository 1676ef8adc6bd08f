// Exact counts keeping up: Kafka Streams (exactly-once, in the API process through java-bridge) lag on
// emoji-events, the whole platform running (the Spark job too), while the API takes single events as fast as the load generator can post them (the same
// load as the single-event ingest scenario). Reports the lag (records behind, sampled every 500 ms), the
// catch-up time after the load stops, and whether GET /v1/counts then equals the accepted events.
// Ratio: Kafka Streams' throughput over the whole run ÷ the ingest rate (≥ 1: it keeps up).
import { runLoad } from '../lib/loadgen.ts';
import { benchConfig, benchPlatform, dropTopics, isMain, measureProcess, quantiles, runStandalone, type BenchContext, type ScenarioResult } from '../lib/context.ts';
import { fmt, generatorCell, loadCell, ratioCell } from '../lib/rows.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { createKafka } from '../../src/kafka/client.ts';
import { groupLag } from '../../src/metrics/lag.ts';
import { waitForOk } from '../../tests/support/wait.ts';

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 20_000);
const CONCURRENCY = 100;

export async function streamsLag(ctx: BenchContext): Promise<ScenarioResult> {
  const t0 = Date.now();
  const config = benchConfig(ctx, 'streams-lag');
  const platform = await benchPlatform(config, { spark: true, streams: true, broadcast: true });
  const admin = createKafka(config, 'bench-lag').admin();
  await admin.connect();
  try {
    const ready0 = Date.now();
    await waitForOk(`${platform.url}/status`, 300_000, 250); // every part, Spark and Kafka Streams included (minutes under load)
    ctx.log(`Kafka Streams queryable in ${((Date.now() - ready0) / 1000).toFixed(1)} s`);
    const lag = () => groupLag(admin, config.streams.appId, config.topics.events);
    // ticks alone keep a small lag (records between commits): note it before the load
    const idleLag = await lag();

    const match = `lag-${Date.now().toString(36)}`;
    const samples: { t: number; lag: number }[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        try {
          samples.push({ t: Date.now(), lag: await lag() });
        } catch {
          /* next */
        }
        await sleep(500);
      }
    })();
    ctx.log(`single-event load c=${CONCURRENCY} for ${DURATION_MS} ms`);
    const loadStart = Date.now();
    const m = await measureProcess(() =>
      runLoad({ url: platform.url, path: '/v1/emoji', body: 'single', concurrency: CONCURRENCY, durationMs: DURATION_MS, warmupMs: 0, matchId: match }),
    );
    const loadEnd = Date.now();
    const load = m.value;
    // catch-up: until the lag is back to its idle level (or 60 s)
    let caughtUpMs = NaN;
    while (Date.now() - loadEnd < 60_000) {
      const l = samples.at(-1)?.lag ?? Infinity;
      if (samples.at(-1)!.t > loadEnd && l <= Math.max(idleLag, 50)) {
        caughtUpMs = samples.at(-1)!.t - loadEnd;
        break;
      }
      await sleep(250);
    }
    sampling = false;
    await sampler;

    // exact counts equal the accepted events (the warm-up is off: every accepted event is in this match), plus those
    // of the requests autocannon dropped unanswered when it stopped (the server may have accepted them: at most one
    // per connection). So: accepted <= counted <= accepted + unanswered, read once the count stops moving.
    const lo = load.events_ok;
    const hi = load.events_ok + load.unanswered;
    let counted = -1;
    let previous = -2;
    const c0 = Date.now();
    while (Date.now() - c0 < 30_000) {
      const r = await fetch(`${platform.url}/v1/counts?match=${match}`);
      if (r.status === 200) {
        counted = ((await r.json()) as { total: number }).total;
        if (counted === previous && counted >= lo && counted <= hi) break;
        previous = counted;
      }
      await sleep(1000);
    }
    const exact = counted >= lo && counted <= hi;
    const during = samples.filter((s) => s.t >= loadStart && s.t <= loadEnd).map((s) => s.lag);
    const q = quantiles(during);
    const totalS = (loadEnd - loadStart + (Number.isFinite(caughtUpMs) ? caughtUpMs : 60_000)) / 1000;
    const streamsEps = Math.round(load.events_ok / totalS);
    ctx.log(`  ingest ${load.eps} events/s; lag p50 ${q.p50} p99 ${q.p99} max ${q.max}; caught up ${caughtUpMs} ms after; counts ${counted} (accepted ${lo}, + ${load.unanswered} unanswered at the generator's stop)`);
    return {
      name: 'streams-lag',
      rows: [
        {
          id: 'streams/lag',
          title: `Exact counts keeping up: Kafka Streams at the single-event ingest rate (c=${CONCURRENCY}, ${DURATION_MS / 1000} s)`,
          whole: `${fmt(streamsEps)} events/s counted (load + catch-up); ingest ${loadCell(load)}`,
          baseline: `the ingest rate: ${fmt(load.eps)} events/s`,
          ratio: ratioCell(streamsEps, load.eps, { baseline: load }),
          generator: generatorCell([['load', load]]),
          notes: `lag during load p50/p99/max ${fmt(q.p50)}/${fmt(q.p99)}/${fmt(q.max)} records (idle ${idleLag}); caught up ${Number.isFinite(caughtUpMs) ? `${(caughtUpMs / 1000).toFixed(1)} s` : 'not within 60 s'} after the load; /v1/counts ${fmt(counted)}: ${exact ? 'within' : 'OUTSIDE'} [${fmt(lo)} accepted, + ${load.unanswered} requests the generator dropped unanswered at its stop]${exact ? ` (${counted - lo} of them counted)` : ''}; API process CPU ${m.cpuPct}%, RSS ${m.rssPeakMiB} MiB`,
        },
      ],
      details: { load, lag_records: q, idle_lag: idleLag, caught_up_ms: caughtUpMs, counted, accepted: load.events_ok, unanswered: load.unanswered, counts_exact: exact, samples: samples.length, server: { cpu_pct: m.cpuPct, rss_peak_mib: m.rssPeakMiB } },
      seconds: Math.round((Date.now() - t0) / 1000),
    };
  } finally {
    await admin.disconnect().catch(() => {});
    await Promise.race([platform.stop(), sleep(30_000)]);
    await dropTopics(config);
  }
}

if (isMain(import.meta.url)) await runStandalone('streams-lag', streamsLag);
