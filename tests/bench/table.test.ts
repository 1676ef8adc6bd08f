// The README benchmark table that `npm run bench` writes (bench/lib/table.ts): rows merged by id, planned rows
// shown until a scenario emits them, rows kept from an earlier subset run dated, failures shown, no ratio
// against a baseline the load generator capped, and the README rewritten only between its markers.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LoadResult } from '../../bench/lib/loadgen.ts';
import { ratioCell } from '../../bench/lib/rows.ts';
import { BEGIN, END, PLANNED, replaceBetweenMarkers, table, type RunMeta } from '../../bench/lib/table.ts';

const meta: RunMeta = { date: '2026-11-30T17:00:00.000Z', machine: '2 × CPU', seconds: 600, command: 'npm run bench' };
const result = (name: string, rows: { id: string; title: string; whole?: string; ingestOnly?: string }[]) => ({ name, rows, details: {}, seconds: 1 });
const load = (cpu: number, saturated: boolean): LoadResult => ({
  seconds: 10, requests: 1, statuses: {}, ok: 1, events_ok: 1, rps: 1, eps: 1, latency_ms: { p50: 1, p99: 1, max: 1 }, errors: 0, skipped: 0, unanswered: 0,
  generator: { tool: 'autocannon 9.0.0', cpu_ms: cpu * 100, cpu_pct: cpu, connections: 1, saturated },
});

describe('bench table', () => {
  it('merges rows of several scenarios by id, first non-empty cell wins, in first-seen order', () => {
    const md = table(
      [
        ['a', { date: meta.date, seconds: 5, result: result('a', [{ id: 'x/1', title: 'X', ingestOnly: '10 events/s' }, { id: 'y', title: 'Y', whole: 'w' }]) }],
        ['b', { date: meta.date, seconds: 7, result: result('b', [{ id: 'x/1', title: 'X again', whole: '8 events/s', ingestOnly: 'ignored' }]) }],
      ],
      meta,
    );
    const rows = md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| Row') && !l.startsWith('| ---'));
    expect(rows[0]).toBe('| X | 10 events/s | 8 events/s |  |  |  |  |');
    expect(rows[1]).toContain('| Y |');
    expect(md).toContain('whole run 600 s (a 5 s, b 7 s)');
  });

  it('shows every planned row until a scenario emits it (or a row under it)', () => {
    const emitted = PLANNED[0]!.id + '-1k';
    const md = table([['a', { date: meta.date, seconds: 1, result: result('a', [{ id: emitted, title: 'live 1k', whole: 'p99 400 ms' }]) }]], meta);
    expect(md).not.toContain(PLANNED[0]!.title);
    for (const p of PLANNED.slice(1)) expect(md).toContain(`| ${p.title.replace(/\|/g, '\\|')} |`);
    expect(md.match(/not measured yet/g)).toHaveLength(PLANNED.length - 1);
  });

  it('dates rows kept from an earlier run and shows a failed scenario', () => {
    const md = table(
      [
        ['old', { date: '2026-11-29T10:00:00.000Z', seconds: 1, result: result('old', [{ id: 'o', title: 'Old', whole: '1' }]) }],
        ['bad', { date: meta.date, seconds: 1, error: 'broker | gone' }],
      ],
      meta,
    );
    expect(md).toContain('| Old |  | 1 |  |  |  | (measured 2026-11-29 10:00 UTC) |');
    expect(md).toContain('| `bad` |  |  |  |  |  | failed: broker \\| gone |');
  });

  it('prints no ratio against a figure the generator capped', () => {
    expect(ratioCell(50, 100, { measured: load(40, false), baseline: load(40, false) })).toBe('0.5');
    expect(ratioCell(50, 100, { measured: load(40, false), baseline: load(95, true) })).toBe('none: baseline at the generator’s limit');
    expect(ratioCell(50, 100, { measured: load(95, true), baseline: load(40, false) })).toBe('none: generator at its limit');
  });

  it('rewrites README.md only between its markers, and the README has them', () => {
    const readme = `intro\n${BEGIN}\nold table\n${END}\nafter\n`;
    expect(replaceBetweenMarkers(readme, 'new\n')).toBe(`intro\n${BEGIN}\nnew\n${END}\nafter\n`);
    expect(() => replaceBetweenMarkers('no markers', 'x')).toThrow(/markers/);
    const real = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');
    expect(real.indexOf(BEGIN)).toBeGreaterThan(0);
    expect(real.indexOf(END)).toBeGreaterThan(real.indexOf(BEGIN));
  });
});
