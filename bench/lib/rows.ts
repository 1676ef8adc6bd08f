// Cells of the benchmark table, written the same way by every scenario: figures, HTTP loads (events/s and
// latency), ratios that refuse to divide by a figure the load generator itself capped, generator CPU.
import type { LoadResult } from './loadgen.ts';

export const fmt = (v: number) =>
  Number.isFinite(v) ? new Intl.NumberFormat('en', { maximumFractionDigits: v < 10 ? 2 : v < 1000 ? 1 : 0 }).format(v) : '–';

/** "12,345 events/s, p50/p99 5/53 ms" */
export function loadCell(r: LoadResult, unit = 'events/s'): string {
  const bad = r.requests - r.ok;
  return `${fmt(unit === 'req/s' ? r.rps : r.eps)} ${unit}, p50/p99 ${fmt(r.latency_ms.p50)}/${fmt(r.latency_ms.p99)} ms${bad > 0 ? ` (${fmt(bad)} not 2xx)` : ''}`;
}

/**
 * measured ÷ baseline as a cell; no ratio when a generator ran at its limit (the figure is the generator's,
 * not the server's): the cell says which side was capped.
 */
export function ratioCell(measured: number, baseline: number, loads: { measured?: LoadResult; baseline?: LoadResult } = {}): string {
  if (loads.baseline?.generator.saturated) return 'none: baseline at the generator’s limit';
  if (loads.measured?.generator.saturated) return 'none: generator at its limit';
  if (!(baseline > 0) || !Number.isFinite(measured)) return '–';
  return fmt(+(measured / baseline).toFixed(3));
}

/**
 * "no-op 48+47%, EmoStream 35+36%": the generator's CPU over each measured HTTP run, % of one core per
 * generator process (a run is at its limit when one process reaches SATURATED_CPU_PCT).
 */
export function generatorCell(loads: [string, LoadResult | undefined][]): string {
  const each = (r: LoadResult) => (r.generator.per_process_pct ?? [r.generator.cpu_pct]).map((p) => Math.round(p)).join('+');
  return loads
    .filter((x): x is [string, LoadResult] => x[1] !== undefined)
    .map(([label, r]) => `${label} ${each(r)}%${r.generator.saturated ? ' (at its limit)' : ''}`)
    .join(', ');
}

export const pipeSafe = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
