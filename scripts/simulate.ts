// `npm run simulate -- --clients 100 --duration 60 [--rate 2] [--matches 1] [--viewers 10]
//                      [--burst 🔥:5000@20s] [--batch 1] [--url http://127.0.0.1:8080] [--settle 30] [--no-verify]`
// A crowd of clients against a running platform (npm start):
//  - emitting clients POST reactions concurrently over keep-alive connections, each at --rate requests/s
//    (--batch N > 1: N events per request to /v1/emoji/batch);
//  - viewer clients register (POST /v1/subscriptions) and read their SSE stream;
//  - --burst EMOJI:COUNT@SECONDs (comma-separated for several): a sudden spike of one emoji (a wicket!),
//    sent as batches to the first match at that second; the summary reports the moment(s) it caused
//    (GET /v1/matches/:id/moments for the windows the burst was sent in, polled up to --settle seconds) and
//    how many `event: moment` the viewers received;
//  - a live progress line; at the end a summary (sent, accepted, refused by status, request latency
//    p50/p99, windows per viewer, window end → viewer latency p50/p99) and a check that every accepted
//    reaction shows up in GET /v1/counts (polled until equal or --settle seconds pass).
// Each run uses match ids of its own (`sim-<run>-<n>`), so the count check is exact.
// Exit code: 0, or 1 when the counts did not match (or nothing was accepted).
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { openSse } from '../tests/support/sse-client.ts';

export interface Burst {
  emoji: string;
  count: number;
  atMs: number;
}

export interface SimulationOptions {
  url: string;
  clients: number;
  durationMs: number;
  /** requests per second per emitting client */
  rate: number;
  matches: number;
  viewers: number;
  /** events per request; 1 → POST /v1/emoji, more → /v1/emoji/batch */
  batch: number;
  bursts: Burst[];
  /** how long to poll /v1/counts for the check; 0 → no check */
  settleMs: number;
  /** progress line every second (to stderr) */
  progress: boolean;
  /** match ids (default sim-<run>-1..matches) */
  matchIds?: string[];
  /** after the last request, how long viewers keep reading (the last windows close after it); default 4000 */
  drainMs?: number;
}

export interface SimulationSummary {
  run: string;
  matchIds: string[];
  durationMs: number;
  sentEvents: number;
  acceptedEvents: number;
  requests: number;
  refusedByStatus: Record<string, number>;
  errors: number;
  requestLatencyMs: { p50: number; p99: number; max: number };
  viewers: { registered: number; failed: number; windowsPerViewer: { min: number; max: number; mean: number }; latencyMs: { p50: number; p99: number; max: number; samples: number } };
  counts: { checked: boolean; ok: boolean; detail: Record<string, { expected: Record<string, number>; got: Record<string, number> }>; waitedMs: number };
  /** Each burst and the moments of its match whose window starts between its first and last request. */
  bursts: BurstReport[];
  /** `event: moment` frames the viewers received (each viewer counts each moment once). */
  momentsToViewers: number;
}

export interface BurstReport extends Burst {
  match: string;
  sentAtMs: number;
  doneAtMs: number;
  accepted: number;
  /** null: the moments route did not answer (no Kafka Streams, or an older API) */
  moments: { window_start: string; peak_emoji: string; peak_count: number; peak_baseline: number; trigger: string; score: number }[] | null;
  waitedMs: number;
}

export function parseBursts(spec: string | undefined): Burst[] {
  if (!spec) return [];
  return spec.split(',').map((part) => {
    const m = /^(.+):(\d+)@(\d+(?:\.\d+)?)(ms|s)?$/u.exec(part.trim());
    if (!m) throw new Error(`--burst "${part}": expected EMOJI:COUNT@SECONDs, e.g. 🔥:5000@20s`);
    return { emoji: m[1]!, count: Number(m[2]), atMs: Number(m[3]) * (m[4] === 'ms' ? 1 : 1000) };
  });
}

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
const sortNum = (a: number[]) => Float64Array.from(a).sort();

interface HttpResult {
  status: number;
  body: string;
}

function request(agent: http.Agent, url: URL, method: string, body?: string, timeoutMs = 10_000): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        agent,
        headers: body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(body);
  });
}


export async function runSimulation(o: SimulationOptions): Promise<SimulationSummary> {
  const base = new URL(o.url);
  const run = randomUUID().slice(0, 6);
  const matchIds = o.matchIds ?? Array.from({ length: Math.max(1, o.matches) }, (_, i) => `sim-${run}-${i + 1}`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.clients + 8 });
  const sseAgent = new http.Agent({ keepAlive: false, maxSockets: Infinity });

  let palette = ['🔥', '😀', '😡', '😂', '👏'];
  let maxBatch = 1000;
  try {
    const p = JSON.parse((await request(agent, new URL('/v1/palette', base), 'GET')).body) as { palette: string[]; max_batch_events: number };
    palette = p.palette;
    maxBatch = p.max_batch_events;
  } catch {
    /* an API without the dashboard routes: use the defaults */
  }
  // a skewed crowd: earlier palette entries are more popular
  const weights = palette.map((_, i) => 1 / (i + 1));
  const totalW = weights.reduce((a, b) => a + b, 0);
  const pick = () => {
    let r = Math.random() * totalW;
    for (let i = 0; i < palette.length; i++) if ((r -= weights[i]!) <= 0) return palette[i]!;
    return palette[0]!;
  };

  // bookkeeping
  const accepted = new Map<string, Record<string, number>>(matchIds.map((m) => [m, {}]));
  let sentEvents = 0;
  let acceptedEvents = 0;
  let requests = 0;
  let errors = 0;
  const refusedByStatus: Record<string, number> = {};
  const latencies: number[] = [];
  const addAccepted = (match: string, events: { emoji_type: string }[]) => {
    const rec = accepted.get(match)!;
    for (const e of events) rec[e.emoji_type] = (rec[e.emoji_type] ?? 0) + 1;
    acceptedEvents += events.length;
  };

  /** true when the request was answered 202 */
  const post = async (match: string, events: { user_id: string; emoji_type: string; timestamp: number; match_id: string }[]): Promise<boolean> => {
    const single = events.length === 1;
    const body = JSON.stringify(single ? events[0] : events);
    sentEvents += events.length;
    requests++;
    const t0 = performance.now();
    try {
      const r = await request(agent, new URL(single ? '/v1/emoji' : '/v1/emoji/batch', base), 'POST', body);
      latencies.push(performance.now() - t0);
      if (r.status === 202) {
        addAccepted(match, events);
        return true;
      }
      refusedByStatus[r.status] = (refusedByStatus[r.status] ?? 0) + 1;
    } catch {
      errors++;
    }
    return false;
  };

  // viewers
  interface Viewer {
    subscriptionId: string | null;
    windows: number;
    moments: number;
    seen: Set<string>;
    close: () => void;
    ended: string | null;
  }
  const viewerList: Viewer[] = [];
  const windowLatencies: number[] = [];
  let viewerFailures = 0;
  await Promise.all(
    Array.from({ length: o.viewers }, async (_, i) => {
      const match = matchIds[i % matchIds.length]!;
      try {
        const r = await request(agent, new URL('/v1/subscriptions', base), 'POST', JSON.stringify({ match_id: match }));
        if (r.status !== 201) throw new Error(`HTTP ${r.status}`);
        const sub = JSON.parse(r.body) as { subscription_id: string; stream_url: string };
        const v: Viewer = { subscriptionId: sub.subscription_id, windows: 0, moments: 0, seen: new Set(), close: () => {}, ended: null };
        v.close = openSse(new URL(sub.stream_url, base), {
          agent: sseAgent,
          keep: false,
          onEvent: (e) => {
            if (e.id === undefined) return;
            if (e.event === 'moment' && !v.seen.has(e.id)) {
              v.seen.add(e.id);
              v.moments++;
            }
            if (e.event !== 'window' || v.seen.has(e.id)) return;
            v.seen.add(e.id);
            v.windows++;
            try {
              const w = JSON.parse(e.data) as { window_end: string };
              windowLatencies.push(Date.now() - Date.parse(w.window_end));
            } catch {
              /* not a window */
            }
          },
          onEnd: (why) => (v.ended = why),
        }).close;
        viewerList.push(v);
      } catch {
        viewerFailures++;
      }
    }),
  );

  const t0 = Date.now();
  const deadline = t0 + o.durationMs;
  let stopProgress = () => {};
  if (o.progress) {
    let lastSent = 0;
    const timer = setInterval(() => {
      const s = sortNum(latencies.slice(-5000));
      const w = sortNum(windowLatencies.slice(-2000));
      const refused = Object.values(refusedByStatus).reduce((a, b) => a + b, 0);
      const line =
        `t=${((Date.now() - t0) / 1000).toFixed(0).padStart(3)}s  sent ${sentEvents} (${sentEvents - lastSent}/s)  accepted ${acceptedEvents}  refused ${refused}  errors ${errors}` +
        `  req p50 ${percentile(s, 50).toFixed(1)} p99 ${percentile(s, 99).toFixed(1)} ms` +
        `  | viewers ${viewerList.filter((v) => !v.ended).length}/${o.viewers}  windows ${viewerList.reduce((a, v) => a + v.windows, 0)}  win→viewer p50 ${w.length ? percentile(w, 50).toFixed(0) : '–'} ms`;
      lastSent = sentEvents;
      process.stderr.write(process.stderr.isTTY ? `\r\x1b[2K${line}` : `${line}\n`);
    }, 1000);
    stopProgress = () => {
      clearInterval(timer);
      if (process.stderr.isTTY) process.stderr.write('\n');
    };
  }

  // emitting clients: paced closed loops (the next request goes out after the answer, at the next tick)
  const intervalMs = 1000 / Math.max(0.001, o.rate);
  const emitters = Array.from({ length: o.clients }, async (_, c) => {
    const user = `sim-${run}-u${c}`;
    await sleep(Math.random() * intervalMs); // spread the start
    let next = Date.now();
    while (Date.now() < deadline) {
      const match = matchIds[c % matchIds.length]!;
      const events = Array.from({ length: o.batch }, () => ({ user_id: user, emoji_type: pick(), timestamp: Date.now(), match_id: match }));
      await post(match, events);
      next += intervalMs;
      const wait = next - Date.now();
      if (wait > 0) await sleep(Math.min(wait, deadline - Date.now()));
      else next = Date.now(); // fell behind: do not try to catch up in a rush
    }
  });
  const burstReports: BurstReport[] = [];
  const bursts = o.bursts.map(async (b) => {
    await sleep(Math.max(0, b.atMs - (Date.now() - t0)));
    if (Date.now() >= deadline) return;
    const match = matchIds[0]!;
    const report: BurstReport = { ...b, match, sentAtMs: Date.now(), doneAtMs: 0, accepted: 0, moments: null, waitedMs: 0 };
    burstReports.push(report);
    const chunks: Promise<void>[] = [];
    for (let left = b.count; left > 0; left -= maxBatch) {
      const n = Math.min(maxBatch, left);
      const events = Array.from({ length: n }, (_, i) => ({ user_id: `sim-${run}-burst${i % 97}`, emoji_type: b.emoji, timestamp: Date.now(), match_id: match }));
      chunks.push(post(match, events).then((ok) => void (report.accepted += ok ? n : 0)));
      if (chunks.length >= 4) await Promise.all(chunks.splice(0));
    }
    await Promise.all(chunks);
    report.doneAtMs = Date.now();
  });
  await Promise.all([...emitters, ...bursts]);
  const elapsed = Date.now() - t0;

  // the last windows: give them a window, plus the close delay, to reach the viewers
  await sleep(o.drainMs ?? 4000);
  stopProgress();
  for (const v of viewerList) {
    v.close();
    if (v.subscriptionId) await request(agent, new URL(`/v1/subscriptions/${v.subscriptionId}`, base), 'DELETE').catch(() => {});
  }

  // exact counts: every accepted reaction, per match and emoji
  const counts: SimulationSummary['counts'] = { checked: o.settleMs > 0, ok: false, detail: {}, waitedMs: 0 };
  if (o.settleMs > 0) {
    const c0 = Date.now();
    for (;;) {
      let all = true;
      for (const m of matchIds) {
        let got: Record<string, number> = {};
        try {
          const r = await request(agent, new URL(`/v1/counts?match=${encodeURIComponent(m)}`, base), 'GET');
          if (r.status === 200) got = (JSON.parse(r.body) as { totals: Record<string, number> }).totals ?? {};
        } catch {
          /* retry */
        }
        const expected = accepted.get(m)!;
        counts.detail[m] = { expected, got };
        const keys = new Set([...Object.keys(expected), ...Object.keys(got)]);
        for (const k of keys) if ((expected[k] ?? 0) !== (got[k] ?? 0)) all = false;
      }
      counts.waitedMs = Date.now() - c0;
      if (all) {
        counts.ok = true;
        break;
      }
      if (Date.now() - c0 > o.settleMs) break;
      await sleep(500);
    }
  }
  // the moments each burst caused: windows starting from the burst's first request's window to its last request
  for (const r of burstReports) {
    const c0 = Date.now();
    const from = r.sentAtMs - (r.sentAtMs % 100) - 2000; // the window holding the first request (windows ≤ 2 s here, a multiple of 100 ms)
    for (;;) {
      try {
        const q = new URL(`/v1/matches/${encodeURIComponent(r.match)}/moments?from=${Math.max(0, from)}&to=${r.doneAtMs + 1}`, base);
        const res = await request(agent, q, 'GET');
        if (res.status === 200) {
          const all = (JSON.parse(res.body) as { moments: (NonNullable<BurstReport['moments']>[number] & { window_end: string })[] }).moments;
          // only windows that hold part of the burst: they end after its first request
          r.moments = all.filter((m) => Date.parse(m.window_end) > r.sentAtMs).reverse();
        }
      } catch {
        /* retry */
      }
      r.waitedMs = Date.now() - c0;
      if ((r.moments && r.moments.length > 0) || Date.now() - c0 > Math.max(o.settleMs, 5000)) break;
      await sleep(500);
    }
  }
  agent.destroy();
  sseAgent.destroy();

  const lat = sortNum(latencies);
  const wl = sortNum(windowLatencies);
  const perViewer = viewerList.map((v) => v.windows);
  return {
    run,
    matchIds,
    durationMs: elapsed,
    sentEvents,
    acceptedEvents,
    requests,
    refusedByStatus,
    errors,
    requestLatencyMs: { p50: percentile(lat, 50), p99: percentile(lat, 99), max: lat.length ? lat[lat.length - 1]! : NaN },
    viewers: {
      registered: viewerList.length,
      failed: viewerFailures,
      windowsPerViewer: {
        min: perViewer.length ? Math.min(...perViewer) : 0,
        max: perViewer.length ? Math.max(...perViewer) : 0,
        mean: perViewer.length ? perViewer.reduce((a, b) => a + b, 0) / perViewer.length : 0,
      },
      latencyMs: { p50: percentile(wl, 50), p99: percentile(wl, 99), max: wl.length ? wl[wl.length - 1]! : NaN, samples: wl.length },
    },
    counts,
    bursts: burstReports,
    momentsToViewers: viewerList.reduce((a, v) => a + v.moments, 0),
  };
}

export function formatSummary(s: SimulationSummary): string {
  const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '–');
  const refused = Object.entries(s.refusedByStatus);
  const L = [
    `simulation ${s.run}: ${s.matchIds.length} match(es) ${s.matchIds.join(', ')}, ${(s.durationMs / 1000).toFixed(1)} s`,
    `  sent       ${s.sentEvents} events in ${s.requests} requests (${f(s.sentEvents / (s.durationMs / 1000), 0)} events/s)`,
    `  accepted   ${s.acceptedEvents} (202)`,
    `  refused    ${refused.length ? refused.map(([k, v]) => `${k}: ${v}`).join(', ') : 'none'}${s.errors ? `; ${s.errors} connection errors` : ''}`,
    `  latency    request p50 ${f(s.requestLatencyMs.p50)} ms, p99 ${f(s.requestLatencyMs.p99)} ms, max ${f(s.requestLatencyMs.max)} ms`,
    `  viewers    ${s.viewers.registered} registered${s.viewers.failed ? `, ${s.viewers.failed} failed` : ''}; windows per viewer min ${s.viewers.windowsPerViewer.min}, mean ${f(s.viewers.windowsPerViewer.mean)}, max ${s.viewers.windowsPerViewer.max}`,
    `  windows    window end → viewer p50 ${f(s.viewers.latencyMs.p50, 0)} ms, p99 ${f(s.viewers.latencyMs.p99, 0)} ms, max ${f(s.viewers.latencyMs.max, 0)} ms (${s.viewers.latencyMs.samples} deliveries)`,
  ];
  if (!s.counts.checked) L.push('  counts     not checked (--no-verify)');
  else if (s.counts.ok) L.push(`  counts     OK: every accepted reaction is in /v1/counts (after ${(s.counts.waitedMs / 1000).toFixed(1)} s)`);
  else {
    L.push(`  counts     MISMATCH after ${(s.counts.waitedMs / 1000).toFixed(1)} s:`);
    for (const [m, d] of Object.entries(s.counts.detail)) L.push(`    ${m}: expected ${JSON.stringify(d.expected)} got ${JSON.stringify(d.got)}`);
  }
  for (const b of s.bursts) {
    const head = `  burst      ${b.emoji}×${b.count} at ${(b.atMs / 1000).toFixed(1)} s to ${b.match} (${b.accepted} accepted in ${((b.doneAtMs - b.sentAtMs) / 1000).toFixed(2)} s)`;
    if (b.moments === null) L.push(`${head}: no moments route (Kafka Streams off?)`);
    else if (b.moments.length === 0) L.push(`${head}: NO moment after ${(b.waitedMs / 1000).toFixed(1)} s`);
    else {
      L.push(`${head}: ${b.moments.length} moment${b.moments.length > 1 ? 's' : ''}`);
      for (const m of b.moments) {
        L.push(`    moment   window ${m.window_start}: peak ${m.peak_emoji} ${m.peak_count} (baseline ${m.peak_baseline}), trigger ${m.trigger}, score ${m.score}`);
      }
    }
  }
  if (s.bursts.length) L.push(`  moments    ${s.momentsToViewers} \`event: moment\` received by the ${s.viewers.registered} viewers`);
  return L.join('\n');
}

async function main() {
  const { values: a } = parseArgs({
    options: {
      url: { type: 'string' },
      clients: { type: 'string', default: '100' },
      duration: { type: 'string', default: '60' },
      rate: { type: 'string', default: '2' },
      matches: { type: 'string', default: '1' },
      viewers: { type: 'string', default: '10' },
      batch: { type: 'string', default: '1' },
      burst: { type: 'string' },
      settle: { type: 'string', default: '30' },
      'no-verify': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  let url = a.url;
  if (!url) {
    const { loadConfig } = await import('../src/config.ts');
    const c = loadConfig();
    url = `http://${c.host}:${c.port}`;
  }
  const num = (k: string, v: string | undefined, min: number) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${k} must be a number ≥ ${min}, got ${v}`);
    return n;
  };
  const opts: SimulationOptions = {
    url,
    clients: num('clients', a.clients, 0),
    durationMs: num('duration', a.duration, 0.1) * 1000,
    rate: num('rate', a.rate, 0.001),
    matches: num('matches', a.matches, 1),
    viewers: num('viewers', a.viewers, 0),
    batch: num('batch', a.batch, 1),
    bursts: parseBursts(a.burst),
    settleMs: a['no-verify'] ? 0 : num('settle', a.settle, 0) * 1000,
    progress: !a.json,
  };
  process.stderr.write(
    `simulating ${opts.clients} clients × ${opts.rate} req/s × ${opts.batch} event(s) for ${opts.durationMs / 1000} s against ${url}, ${opts.viewers} viewers` +
      `${opts.bursts.length ? `, bursts ${opts.bursts.map((b) => `${b.emoji}×${b.count}@${b.atMs / 1000}s`).join(' ')}` : ''}\n`,
  );
  const s = await runSimulation(opts);
  process.stdout.write((a.json ? JSON.stringify(s, null, 2) : formatSummary(s)) + '\n');
  process.exit((s.counts.checked && !s.counts.ok) || s.acceptedEvents === 0 ? 1 : 0);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    process.stderr.write(`simulate: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  });
}
