// The limits of a public port (README "Limits"), ingest-only (SPARK_ENABLED=false STREAMS_ENABLED=false),
// every figure from this run and the same load generator (bench/lib/loadgen.ts):
//   limits/ingest:  what the rate limiter costs on the ingest hot path. Two platforms up at once, one with
//     RATE_LIMITS on (the defaults), one with RATE_LIMITS=false; the same closed-loop loads as the ingest rows
//     (single events c=100, batches of 1,000 events c=8) go to each in turn, on → off → off → on, so that a
//     drift of the shared machine weighs on both sides alike. Ratio = events/s with limits ÷ without.
//   limits/abusive-client: one client floods from 127.0.0.1 (autocannon, c=100, as fast as it is answered)
//     while a calm client in a process of its own posts 100 events/s from 127.0.0.2 (node:http, paced, users
//     of its own), against a platform whose per-address ingest limit is one setting stricter than the default
//     (RATE_LIMIT_ADDRESS_PER_S=ABUSE_ADDRESS_RATE). Ratio = the calm client's p99 while flooded ÷ its p99
//     alone (measured just before, same platform); the row also says how many of the flooder's requests got
//     429 and what the calm client got.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Platform } from '../../src/app/platform.ts';
import type { Config } from '../../src/config.ts';
import { benchConfig, benchPlatform, dropTopics, isMain, runStandalone, type BenchContext, type BenchRow, type ScenarioResult } from '../lib/context.ts';
import { runLoad, type LoadResult, type LoadSpec } from '../lib/loadgen.ts';
import { fmt, generatorCell, loadCell, ratioCell } from '../lib/rows.ts';

const DURATION_MS = Number(process.env.BENCH_LIMITS_DURATION_MS ?? 6_000);
const SINGLE_C = 100;
const BATCH = 1000;
const BATCH_C = 8;
const CALM_EPS = 100;
const CALM_ADDRESS = '127.0.0.2';
const ABUSE_ADDRESS_RATE = 1_000;
const ABUSE_MS = Number(process.env.BENCH_ABUSE_DURATION_MS ?? 10_000);

const INGEST_ENV = { SPARK_ENABLED: 'false', STREAMS_ENABLED: 'false', MAX_BATCH_EVENTS: String(BATCH), MAX_BODY_BYTES: String(4 * 1048576) };
const INGEST_PARTS = { spark: false, streams: false, broadcast: false } as const;

/** Sum of two runs of the same load (events, requests, statuses), latency quantiles of the worse run. */
function combine(a: LoadResult, b: LoadResult): LoadResult {
  const seconds = a.seconds + b.seconds;
  const statuses: Record<string, number> = { ...a.statuses };
  for (const [k, v] of Object.entries(b.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
  const worse = a.latency_ms.p99 >= b.latency_ms.p99 ? a : b;
  return {
    seconds,
    requests: a.requests + b.requests,
    statuses,
    ok: a.ok + b.ok,
    events_ok: a.events_ok + b.events_ok,
    rps: Math.round((a.requests + b.requests) / seconds),
    eps: Math.round((a.events_ok + b.events_ok) / seconds),
    latency_ms: { p50: Math.max(a.latency_ms.p50, b.latency_ms.p50), p99: worse.latency_ms.p99, max: Math.max(a.latency_ms.max, b.latency_ms.max) },
    errors: a.errors + b.errors,
    skipped: a.skipped + b.skipped,
    unanswered: a.unanswered + b.unanswered,
    generator: { ...worse.generator, cpu_pct: Math.max(a.generator.cpu_pct, b.generator.cpu_pct), saturated: !!(a.generator.saturated || b.generator.saturated) },
  };
}

const statusList = (r: LoadResult) =>
  Object.entries(r.statuses)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([st, n]) => `${fmt(n)} × ${st}`)
    .join(', ') || 'none';

/** Platforms up for `fn`, stopped after (their topics are dropped at the end of the scenario: deleting
 * topics while the next platform creates its own made the broker answer UNKNOWN_TOPIC_OR_PARTITION). */
async function withPlatforms<T>(configs: Config[], fn: (p: Platform[]) => Promise<T>): Promise<T> {
  const started: Platform[] = [];
  try {
    for (const c of configs) started.push(await benchPlatform(c, INGEST_PARTS));
    return await fn(started);
  } finally {
    for (const p of started.reverse()) await Promise.race([p.stop(), sleep(30_000)]);
  }
}

/** limits on vs off: the same load to each in turn, on → off → off → on. */
async function onVsOff(ctx: BenchContext, spec: Omit<LoadSpec, 'url'>, on: string, off: string): Promise<{ on: LoadResult; off: LoadResult }> {
  const r: Record<'on' | 'off', LoadResult[]> = { on: [], off: [] };
  for (const side of ['on', 'off', 'off', 'on'] as const) {
    const load = await runLoad({ ...spec, url: side === 'on' ? on : off, warmupMs: 1000 });
    ctx.log(`  limits ${side}: ${loadCell(load)}; generator ${load.generator.cpu_pct}%`);
    r[side].push(load);
  }
  return { on: combine(r.on[0]!, r.on[1]!), off: combine(r.off[0]!, r.off[1]!) };
}

export async function limits(ctx: BenchContext): Promise<ScenarioResult> {
  const t0 = Date.now();
  const configs: Config[] = [];
  try {
    return await measure(ctx, t0, configs);
  } finally {
    for (const c of configs) await dropTopics(c);
  }
}

async function measure(ctx: BenchContext, t0: number, configs: Config[]): Promise<ScenarioResult> {
  // 1. the limiter's cost: limits on (defaults) and off, side by side
  const onConfig = benchConfig(ctx, 'limits-on', INGEST_ENV);
  const offConfig = benchConfig(ctx, 'limits-off', { ...INGEST_ENV, RATE_LIMITS: 'false' });
  configs.push(onConfig, offConfig);
  const cost = await withPlatforms([onConfig, offConfig], async ([on, off]) => {
    ctx.log(`POST /v1/emoji c=${SINGLE_C}, ${DURATION_MS} ms a run, limits on → off → off → on`);
    const single = await onVsOff(ctx, { path: '/v1/emoji', body: 'single', concurrency: SINGLE_C, durationMs: DURATION_MS, matchId: 'bench-limits' }, on!.url, off!.url);
    ctx.log(`POST /v1/emoji/batch ${BATCH} events a request c=${BATCH_C}, ${DURATION_MS} ms a run, limits on → off → off → on`);
    const batch = await onVsOff(
      ctx,
      { path: '/v1/emoji/batch', body: 'batch', batchSize: BATCH, concurrency: BATCH_C, durationMs: DURATION_MS, matchId: 'bench-limits' },
      on!.url,
      off!.url,
    );
    return { single, batch };
  });

  // 2. one abusive client, one calm client
  const abuseConfig = benchConfig(ctx, 'limits-abuse', { ...INGEST_ENV, RATE_LIMIT_ADDRESS_PER_S: String(ABUSE_ADDRESS_RATE), RATE_LIMIT_ADDRESS_BURST: String(ABUSE_ADDRESS_RATE) });
  configs.push(abuseConfig);
  const calmSpec = (url: string): LoadSpec => ({
    url,
    path: '/v1/emoji',
    body: 'single',
    concurrency: 50,
    eventsPerSecond: CALM_EPS,
    durationMs: ABUSE_MS,
    warmupMs: 1000,
    matchId: 'bench-calm',
    localAddress: CALM_ADDRESS,
    userPrefix: 'calm',
  });
  const abuse = await withPlatforms([abuseConfig], async ([p]) => {
    ctx.log(`calm client alone: ${CALM_EPS} events/s from ${CALM_ADDRESS}, ${ABUSE_MS} ms`);
    const alone = await runLoad(calmSpec(p!.url));
    ctx.log(`  ${loadCell(alone)}; ${statusList(alone)}`);
    ctx.log(`flooder (autocannon c=${SINGLE_C} from 127.0.0.1) and the calm client together, per-address limit ${ABUSE_ADDRESS_RATE} events/s`);
    // the flooder starts first and ends last: the calm client's whole measured run is flooded
    const flood = runLoad({ url: p!.url, path: '/v1/emoji', body: 'single', concurrency: SINGLE_C, durationMs: ABUSE_MS + 3000, warmupMs: 1000, matchId: 'bench-flood' });
    await sleep(1500);
    const flooded = await runLoad(calmSpec(p!.url));
    const flooder = await flood;
    ctx.log(`  calm: ${loadCell(flooded)}; ${statusList(flooded)}`);
    ctx.log(`  flooder: ${fmt(flooder.rps)} req/s; ${statusList(flooder)}; generator ${flooder.generator.cpu_pct}%`);
    return { alone, flooded, flooder };
  });

  const { single, batch } = cost;
  const refused = (r: LoadResult) => r.statuses['429'] ?? 0;
  const calmOther = (r: LoadResult) => r.requests - (r.statuses['202'] ?? 0);
  const rows: BenchRow[] = [
    {
      id: 'limits/ingest-single',
      title: `Ingest with rate limiting on, single events (POST /v1/emoji, c=${SINGLE_C}), ratio to limits off`,
      ingestOnly: `limits on: ${loadCell(single.on)}`,
      baseline: `RATE_LIMITS=false: ${loadCell(single.off)}`,
      ratio: ratioCell(single.on.eps, single.off.eps, { measured: single.on, baseline: single.off }),
      generator: generatorCell([['on', single.on], ['off', single.off]]),
      notes: `two platforms up at once, ${DURATION_MS / 1000} s runs in the order on, off, off, on (sums of the two runs; p99 of the worse)`,
    },
    {
      id: 'limits/ingest-batch',
      title: `Ingest with rate limiting on, batches (POST /v1/emoji/batch, ${BATCH} events a request, c=${BATCH_C}), ratio to limits off`,
      ingestOnly: `limits on: ${loadCell(batch.on)}`,
      baseline: `RATE_LIMITS=false: ${loadCell(batch.off)}`,
      ratio: ratioCell(batch.on.eps, batch.off.eps, { measured: batch.on, baseline: batch.off }),
      generator: generatorCell([['on', batch.on], ['off', batch.off]]),
      notes: 'each batch is charged 1,000 events to its address and to each of its user_ids',
    },
    {
      id: 'limits/abusive-client',
      title: `A calm client's p99 (${CALM_EPS} events/s from ${CALM_ADDRESS}) while one address floods (autocannon c=${SINGLE_C}), ÷ its p99 alone`,
      ingestOnly: `flooded: calm p50/p99 ${fmt(abuse.flooded.latency_ms.p50)}/${fmt(abuse.flooded.latency_ms.p99)} ms, ${statusList(abuse.flooded)}; flooder ${fmt(abuse.flooder.rps)} req/s, ${fmt(refused(abuse.flooder))} of ${fmt(abuse.flooder.requests)} answered 429`,
      baseline: `alone: calm p50/p99 ${fmt(abuse.alone.latency_ms.p50)}/${fmt(abuse.alone.latency_ms.p99)} ms, ${statusList(abuse.alone)}`,
      ratio: abuse.alone.latency_ms.p99 > 0 ? fmt(+(abuse.flooded.latency_ms.p99 / abuse.alone.latency_ms.p99).toFixed(2)) : '–',
      generator: generatorCell([['flooder', abuse.flooder], ['calm', abuse.flooded]]),
      notes:
        `RATE_LIMIT_ADDRESS_PER_S=${ABUSE_ADDRESS_RATE} (burst ${ABUSE_ADDRESS_RATE}), other limits default; calm client: ${calmOther(abuse.flooded) === 0 ? 'every request 202' : `${fmt(calmOther(abuse.flooded))} requests not 202`}` +
        `${abuse.flooded.skipped ? `, ${fmt(abuse.flooded.skipped)} not sent on time` : ''}; the server, the broker and both generators share the machine's cores`,
    },
  ];
  return {
    name: 'limits',
    rows,
    details: { duration_ms: DURATION_MS, abuse_ms: ABUSE_MS, single, batch, abuse, abuse_address_rate: ABUSE_ADDRESS_RATE, calm_eps: CALM_EPS },
    seconds: Math.round((Date.now() - t0) / 1000),
  };
}

if (isMain(import.meta.url)) await runStandalone('limits', limits);
