// `npm run bench [-- scenario …]`: every scenario in bench/scenarios, one after another, against one Kafka
// broker of the bench's own (embedded on 127.0.0.1:39092, data in a temp folder; BENCH_KAFKA_BROKERS to use
// another). Writes bench/results/latest.json and the markdown table bench/results/latest.md.
// Each scenario is also runnable alone: `npx tsx bench/scenarios/<name>.ts`.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { startBenchBroker, type Scenario, type ScenarioResult } from './lib/context.ts';
import { fanout } from './scenarios/fanout.ts';
import { ingestBatch } from './scenarios/ingest-batch.ts';
import { ingestSingle } from './scenarios/ingest-single.ts';
import { streamsLag } from './scenarios/streams-lag.ts';
import { windowLatency } from './scenarios/window-latency.ts';

const SCENARIOS: [string, Scenario][] = [
  ['ingest-single', ingestSingle],
  ['ingest-batch', ingestBatch],
  ['window-latency', windowLatency],
  ['fanout', fanout],
  ['streams-lag', streamsLag],
];
const RESULTS = resolve(import.meta.dirname, 'results');
const BUDGET_MS = 15 * 60_000;

const fmt = (v: number) => (Number.isFinite(v) ? new Intl.NumberFormat('en', { maximumFractionDigits: v < 10 ? 2 : v < 1000 ? 1 : 0 }).format(v) : '–');

export function markdown(results: (ScenarioResult | { name: string; error: string })[], meta: { date: string; machine: string; seconds: number; command: string }): string {
  const L = [
    `Measured ${meta.date} on ${meta.machine}, whole run ${Math.round(meta.seconds)} s, with \`${meta.command}\`.`,
    'Ratio = measured ÷ baseline, both measured in the same run on the same machine.',
    '',
    '| Scenario | Measured | Baseline (same run) | Ratio | Details |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const r of results) {
    if ('error' in r) {
      L.push(`| ${r.name} | failed | | | ${r.error.replace(/\|/g, '\\|').slice(0, 200)} |`);
      continue;
    }
    L.push(
      `| ${r.title} | ${fmt(r.measured.value)} ${r.measured.unit} (${r.measured.label}) | ${fmt(r.baseline.value)} ${r.baseline.unit} (${r.baseline.label}) | ${fmt(r.ratio)} | ${r.summary.replace(/\|/g, '\\|')} |`,
    );
  }
  return L.join('\n') + '\n';
}

async function main() {
  const only = process.argv.slice(2);
  const chosen = only.length ? SCENARIOS.filter(([n]) => only.includes(n)) : SCENARIOS;
  if (only.length && chosen.length !== only.length) {
    process.stderr.write(`unknown scenario; choose from: ${SCENARIOS.map(([n]) => n).join(', ')}\n`);
    process.exit(2);
  }
  const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);
  const t0 = Date.now();
  const hard = setTimeout(() => {
    log(`the run passed ${BUDGET_MS / 60_000} minutes: stopping`);
    process.exit(3);
  }, BUDGET_MS + 60_000);
  hard.unref();
  const broker = await startBenchBroker(log);
  const tmp = mkdtempSync(join(tmpdir(), 'emostream-bench-'));
  const results: (ScenarioResult | { name: string; error: string })[] = [];
  try {
    for (const [name, run] of chosen) {
      const s0 = Date.now();
      log(`── ${name}`);
      try {
        const r = await run({ brokers: broker.brokers, tmp, log: (m) => log(`${name}: ${m}`) });
        results.push(r);
        log(`${name}: ${fmt(r.measured.value)} ${r.measured.unit} vs ${fmt(r.baseline.value)} ${r.baseline.unit} → ratio ${fmt(r.ratio)} (${Math.round((Date.now() - s0) / 1000)} s)`);
      } catch (err) {
        log(`${name} FAILED: ${err instanceof Error ? err.stack : String(err)}`);
        results.push({ name, error: err instanceof Error ? err.message : String(err) });
      }
    }
  } finally {
    await broker.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
  const seconds = (Date.now() - t0) / 1000;
  const meta = {
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    machine: `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    seconds,
    command: `npm run bench${only.length ? ` -- ${only.join(' ')}` : ''}`,
  };
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'latest.json'), JSON.stringify({ ...meta, results }, null, 2) + '\n');
  const md = markdown(results, meta);
  writeFileSync(join(RESULTS, 'latest.md'), md);
  process.stdout.write('\n' + md);
  log(`done in ${Math.round(seconds)} s: bench/results/latest.json, bench/results/latest.md`);
  process.exit(results.some((r) => 'error' in r) ? 1 : 0);
}

await main();
