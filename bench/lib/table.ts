// The README's benchmark table, built from the scenarios' rows (pure: bench/lib/table.test.ts). Rows of
// several scenarios that share an id are merged cell by cell; rows still planned (no scenario emits them
// yet) show as placeholders; rows kept from an earlier run (a `--scenario` subset) say when they were
// measured. `replaceBetweenMarkers` swaps the table into README.md between its two HTML comment markers.
import type { BenchRow, ScenarioResult } from './context.ts';
import { pipeSafe } from './rows.ts';

export const BEGIN = '<!-- bench:table:begin (npm run bench writes this part) -->';
export const END = '<!-- bench:table:end -->';

/** Rows the table shows as "not measured yet" until a scenario emits a row with this id (or `id-…`, `id/…`). */
export const PLANNED: { id: string; title: string }[] = [
  { id: 'latency/live', title: '202 → the event’s count in `event: live` at a viewer, 1k and 10k events/s' },
  { id: 'limits/ingest', title: 'Ingest with rate limiting on' },
  { id: 'limits/abusive-client', title: 'A well-behaved client’s p99 while one client floods, ÷ its p99 alone' },
  { id: 'workers/ingest', title: 'Ingest with 1 / 2 / N API workers, ratio to 1 worker' },
  { id: 'workers/fanout', title: 'Fan-out to 50,000 viewers across workers' },
  { id: 'workers/rss', title: 'RSS of the whole deployment' },
  { id: 'ingest/alternatives', title: 'Ingest alternatives on the same records (kafkajs settings, many events a record, Java KafkaProducer)' },
  { id: 'idle/parts', title: 'Idle: CPU and RSS per part after 60 s without traffic' },
];

export interface ScenarioRecord {
  /** when this scenario started (ISO) */
  date: string;
  seconds: number;
  result?: ScenarioResult;
  error?: string;
}

export interface RunMeta {
  /** when this run started (ISO); scenario records older than it come from an earlier run */
  date: string;
  machine: string;
  seconds: number;
  command: string;
}

const COLS: (keyof BenchRow)[] = ['ingestOnly', 'whole', 'baseline', 'ratio', 'generator', 'notes'];
const minute = (iso: string) => iso.slice(0, 16).replace('T', ' ') + ' UTC';

const covered = (planned: string, ids: string[]) => ids.some((id) => id === planned || id.startsWith(`${planned}-`) || id.startsWith(`${planned}/`));

/** Merge rows by id in first-seen order; the first non-empty cell wins. */
export function mergeRows(rows: BenchRow[]): BenchRow[] {
  const out = new Map<string, BenchRow>();
  for (const r of rows) {
    const m = out.get(r.id);
    if (!m) out.set(r.id, { ...r });
    else for (const c of COLS) if (!m[c] && r[c]) (m as unknown as Record<string, string>)[c] = r[c] as string;
  }
  return [...out.values()];
}

export function table(scenarios: [string, ScenarioRecord][], meta: RunMeta): string {
  const rows: BenchRow[] = [];
  for (const [name, rec] of scenarios) {
    const earlier = Date.parse(rec.date) < Date.parse(meta.date); // kept from an earlier run
    if (rec.error !== undefined || !rec.result) {
      rows.push({ id: `${name}/failed`, title: `\`${name}\``, notes: `failed${earlier ? ` (run of ${minute(rec.date)})` : ''}: ${rec.error ?? 'no result'}`.slice(0, 300) });
      continue;
    }
    for (const r of rec.result.rows) rows.push(earlier ? { ...r, notes: `(measured ${minute(rec.date)}) ${r.notes ?? ''}`.trim() } : r);
  }
  const merged = mergeRows(rows);
  const ids = merged.map((r) => r.id);
  for (const p of PLANNED) if (!covered(p.id, ids)) merged.push({ id: p.id, title: p.title, notes: 'not measured yet: no scenario in bench/scenarios/ emits this row' });

  const durations = scenarios.map(([n, r]) => `${n} ${Math.round(r.seconds)} s`).join(', ');
  const L = [
    `Run of ${minute(meta.date)} on ${meta.machine} with \`${meta.command}\`: whole run ${Math.round(meta.seconds)} s (${durations}).`,
    'Every ratio divides by a baseline measured in the same run on the same machine. HTTP load comes from processes',
    'of its own: autocannon 9.0.0 in two processes sharing the connections for closed-loop rows, a node:http client',
    'for fixed rates (10 ms schedule) and for the seed stack (which closes every connection); "Generator CPU" is each',
    'generator process\'s CPU over the measured run in % of one core (they share the machine\'s cores with the server',
    'and the broker), and no ratio is printed against a figure whose generator reached ≥ 90% in a process. Ingest-only:',
    '`SPARK_ENABLED=false STREAMS_ENABLED=false`; whole platform: the Spark job and Kafka Streams running as',
    '`npm start` runs them.',
    '',
    '| Row | Ingest-only | Whole platform | Baseline (same run) | Ratio | Generator CPU | Notes |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of merged) L.push(`| ${[r.title, ...COLS.map((c) => r[c] ?? '')].map((x) => pipeSafe(String(x))).join(' | ')} |`);
  return L.join('\n') + '\n';
}

/** README text with the part between the markers replaced; throws when the markers are missing. */
export function replaceBetweenMarkers(readme: string, inner: string): string {
  const a = readme.indexOf(BEGIN);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README.md has no "${BEGIN}" … "${END}" markers`);
  return readme.slice(0, a + BEGIN.length) + '\n' + inner + readme.slice(b);
}
