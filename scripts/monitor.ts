// `npm run monitor [-- --url http://127.0.0.1:8080 --interval 1000 --once]`
// The Spark job's progress and the platform's key figures, live in the terminal: polls GET /metrics and
// GET /v1/clusters of a running API and redraws the screen. Rates are computed between two polls.
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.ts';
import { Metrics } from '../tests/support/prom-text.ts';
import { setTimeout as sleep } from 'node:timers/promises';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string' },
    interval: { type: 'string', default: '1000' },
    once: { type: 'boolean', default: false },
  },
});
const base = (args.url ?? (() => {
  const c = loadConfig();
  return `http://${c.host}:${c.port}`;
})()).replace(/\/$/, '');
const intervalMs = Math.max(200, Number(args.interval));

const B = '\x1b[1m', D = '\x1b[2m', R = '\x1b[0m', G = '\x1b[32m', Y = '\x1b[33m', RED = '\x1b[31m', C = '\x1b[36m';
const n0 = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });
const n1 = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });
const f = (v: number | undefined, fmt = n0) => (v === undefined || !Number.isFinite(v) ? '–' : fmt.format(v));
const ms = (s: number | undefined) => (s === undefined ? '–' : `${n0.format(s * 1000)} ms`);
const mib = (b: number | undefined) => (b === undefined ? '–' : `${n0.format(b / 1048576)} MiB`);
const pad = (s: string, w: number) => s + ' '.repeat(Math.max(0, w - s.replace(/\x1b\[[0-9;]*m/g, '').length));

interface Prev {
  at: number;
  m: Metrics;
}
let prev: Prev | null = null;

function rate(m: Metrics, p: Prev | null, now: number, name: string, match: Record<string, string> = {}): number | undefined {
  const cur = m.sum(name, match);
  if (!p || cur === undefined) return undefined;
  const before = p.m.sum(name, match) ?? 0;
  return Math.max(0, (cur - before) / ((now - p.at) / 1000));
}

interface ClusterView {
  id: string;
  viewers: number;
  capacity: number;
  subscribers: number;
  state: string;
}
function clustersOf(body: unknown): ClusterView[] {
  const list = Array.isArray(body) ? body : Array.isArray((body as { clusters?: unknown[] })?.clusters) ? (body as { clusters: unknown[] }).clusters : [];
  return list.map((raw, i) => {
    const c = raw as Record<string, unknown>;
    const subs = Array.isArray(c.subscribers) ? (c.subscribers as Record<string, unknown>[]) : [];
    const sum = (k: string) => subs.reduce((a, s) => a + (Number(s[k]) || 0), 0);
    return {
      id: String(c.cluster_id ?? c.id ?? i),
      viewers: Number(c.viewers ?? sum('viewers')) || 0,
      capacity: Number(c.capacity ?? sum('capacity')) || 0,
      subscribers: subs.length,
      state: String(c.state ?? c.status ?? ''),
    };
  });
}

async function frame(): Promise<string> {
  const now = Date.now();
  let m: Metrics;
  try {
    // /metrics is an admin route (README "Security"): the token from the environment, when one is set
    const token = process.env.ADMIN_TOKEN;
    const res = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(3000), headers: token ? { authorization: `Bearer ${token}` } : {} });
    if (!res.ok) throw new Error(`HTTP ${res.status}${res.status === 401 || res.status === 403 ? ' (set ADMIN_TOKEN)' : ''}`);
    m = Metrics.parse(await res.text());
  } catch (err) {
    return `${RED}cannot reach ${base}/metrics: ${(err as Error).message}${R}\n(start the platform with npm start, or pass --url)`;
  }
  let clusters: ClusterView[] = [];
  try {
    clusters = clustersOf(await (await fetch(`${base}/v1/clusters`, { signal: AbortSignal.timeout(3000) })).json());
  } catch {
    /* broadcast not mounted */
  }
  const p = prev;
  prev = { at: now, m };
  const L: string[] = [];
  L.push(`${B}EmoStream monitor${R}  ${D}${base} · ${new Date(now).toLocaleTimeString()} · every ${intervalMs} ms · Ctrl-C to quit${R}`);
  L.push('');

  // Spark
  const last = m.sum('emostream_spark_last_progress_seconds');
  const age = last ? now / 1000 - last : undefined;
  const wm = m.sum('emostream_spark_watermark_seconds');
  const sparkState = !last ? `${Y}no progress report yet${R}` : age! > 10 ? `${RED}stale (${n0.format(age!)} s ago)${R}` : `${G}running${R}`;
  L.push(`${B}${C}Spark job${R}  ${sparkState}`);
  L.push(`  batch ${f(m.sum('emostream_spark_batch_id'))}   input ${f(m.sum('emostream_spark_input_rows_per_second'), n1)} rows/s   processed ${f(m.sum('emostream_spark_processed_rows_per_second'), n1)} rows/s   rows ${f(m.sum('emostream_spark_batch_input_rows'))}`);
  L.push(`  batch duration ${ms(m.sum('emostream_spark_batch_duration_seconds'))}   watermark ${wm ? `${n1.format(now / 1000 - wm)} s behind now` : '–'}   state rows ${f(m.sum('emostream_spark_state_rows'))}   late dropped ${f(m.sum('emostream_spark_late_rows_dropped'))}   invalid ${f(m.sum('emostream_spark_invalid_records'))}`);
  L.push('');

  // Ingest
  const refused = m.by('emostream_ingest_refused_total', 'status');
  L.push(`${B}${C}Ingest${R}`);
  L.push(`  accepted ${B}${f(rate(m, p, now, 'emostream_ingest_events_accepted_total'))}${R} events/s (total ${f(m.sum('emostream_ingest_events_accepted_total'))})   refused ${Object.keys(refused).length ? Object.entries(refused).map(([s, v]) => `${s}: ${n0.format(v)}`).join(', ') : '0'}`);
  L.push(`  requests ${f(rate(m, p, now, 'emostream_http_requests_total'))}/s   buffer ${f(m.sum('emostream_producer_buffer_events'))} events   batch p50 ${f(m.histogramQuantile('emostream_producer_batch_records', 0.5))} records   producer ack p50 ${ms(m.histogramQuantile('emostream_producer_send_seconds', 0.5))} p99 ${ms(m.histogramQuantile('emostream_producer_send_seconds', 0.99))}   Kafka errors ${f(m.sum('emostream_kafka_errors_total') ?? 0)}`);
  L.push('');

  // Broadcast
  const disc = m.by('emostream_broadcast_disconnects_total', 'reason');
  L.push(`${B}${C}Broadcast${R}  viewers ${B}${f(m.sum('emostream_broadcast_viewers') ?? clusters.reduce((a, c) => a + c.viewers, 0))}${R}   windows in ${f(m.sum('emostream_publisher_windows_total', { outcome: 'new' }))}   writes ${f(rate(m, p, now, 'emostream_broadcast_session_writes_total'))}/s`);
  L.push(`  window end → viewer p50 ${ms(m.histogramQuantile('emostream_broadcast_delivery_latency_seconds', 0.5))} p99 ${ms(m.histogramQuantile('emostream_broadcast_delivery_latency_seconds', 0.99))}   disconnects ${Object.keys(disc).length ? Object.entries(disc).map(([r, v]) => `${r}: ${n0.format(v)}`).join(', ') : '0'}`);
  for (const c of clusters) {
    const width = 30;
    const fill = c.capacity ? Math.min(width, Math.round((c.viewers / c.capacity) * width)) : 0;
    L.push(`  ${pad(c.id, 12)} ${G}${'█'.repeat(fill)}${D}${'·'.repeat(width - fill)}${R} ${pad(n0.format(c.viewers), 7)} / ${n0.format(c.capacity)}  ${c.subscribers} subscribers ${c.state && c.state !== 'up' && c.state !== 'running' ? `${Y}${c.state}${R}` : ''}`);
  }
  L.push('');

  // Lag and process
  const lag = m.by('emostream_consumer_lag_records', 'consumer');
  L.push(`${B}${C}Consumers${R}  ${Object.keys(lag).length ? Object.entries(lag).map(([k, v]) => `${k} lag ${n0.format(v)}`).join('   ') : 'lag –'}`);
  const cpu = rate(m, p, now, 'process_cpu_seconds_total');
  L.push(`${B}${C}API process${R}  RSS ${mib(m.sum('process_resident_memory_bytes'))}   CPU ${cpu === undefined ? '–' : `${n0.format(cpu * 100)} %`}   event-loop lag p99 ${ms(m.sum('nodejs_eventloop_lag_p99_seconds'))}`);
  return L.join('\n');
}

if (args.once) {
  await frame(); // first poll sets the baseline for rates
  await sleep(intervalMs);
  process.stdout.write((await frame()) + '\n');
} else {
  const tty = process.stdout.isTTY;
  process.on('SIGINT', () => {
    if (tty) process.stdout.write('\x1b[?25h\n');
    process.exit(0);
  });
  if (tty) process.stdout.write('\x1b[?25l');
  for (;;) {
    const text = await frame();
    process.stdout.write(tty ? `\x1b[H\x1b[2J${text}\n` : `${text}\n\n`);
    await sleep(intervalMs);
  }
}
