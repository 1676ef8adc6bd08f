// `npm run bench [-- --scenario a,b]`: the scenarios of bench/scenarios one after another (all of them, or
// the named subset), against one Kafka broker of the bench's own (embedded on 127.0.0.1:39092, data in a
// temp folder; BENCH_KAFKA_BROKERS to use another). After each scenario it writes bench/results/latest.json
// (every scenario's latest record: a subset run keeps the others' from earlier runs), the table
// bench/results/latest.md, and the same table into README.md between its bench:table markers
// (BENCH_README=0 leaves README.md alone). The whole run is bounded (BENCH_BUDGET_MIN, default 30: the nine scenarios take about 21 min on a quiet 2-core machine).
// Each scenario is also runnable alone: `npx tsx bench/scenarios/<name>.ts` (prints its JSON).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
// @ts-expect-error plain JavaScript, no declarations
import { ensureJvmBuild, ensureNodeModules } from '../scripts/prepare.mjs';
import { setTimeout as sleep } from 'node:timers/promises';
import { startBenchBroker, type Scenario } from './lib/context.ts';
import { processTree } from './lib/proc.ts';
import { replaceBetweenMarkers, table, type RunMeta, type ScenarioRecord } from './lib/table.ts';
import { fanout } from './scenarios/fanout.ts';
import { idle } from './scenarios/idle.ts';
import { ingest } from './scenarios/ingest.ts';
import { limits } from './scenarios/limits.ts';
import { liveLatency } from './scenarios/live-latency.ts';
import { producers } from './scenarios/producers.ts';
import { streamsLag } from './scenarios/streams-lag.ts';
import { windowLatency } from './scenarios/window-latency.ts';
import { workers } from './scenarios/workers.ts';

/** Order of the run and of the table. Add a scenario here; its rows appear in the README table. */
const SCENARIOS: [string, Scenario][] = [
  ['ingest', ingest],
  ['producers', producers],
  ['window-latency', windowLatency],
  ['live-latency', liveLatency],
  ['fanout', fanout],
  ['workers', workers],
  ['streams-lag', streamsLag],
  ['idle', idle],
  ['limits', limits],
];
const RESULTS = resolve(import.meta.dirname, 'results');
const README = resolve(import.meta.dirname, '../README.md');
const BUDGET_MS = Number(process.env.BENCH_BUDGET_MIN ?? 30) * 60_000;

function chosenScenarios(argv: string[]): string[] {
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--scenario' || a === '-s') names.push(...(argv[++i] ?? '').split(','));
    else if (a.startsWith('--scenario=')) names.push(...a.slice('--scenario='.length).split(','));
    else names.push(...a.split(','));
  }
  return names.map((n) => n.trim()).filter(Boolean);
}

function previous(): Record<string, ScenarioRecord> {
  try {
    const j = JSON.parse(readFileSync(join(RESULTS, 'latest.json'), 'utf8')) as { scenarios?: Record<string, ScenarioRecord> };
    return j.scenarios ?? {};
  } catch {
    return {};
  }
}

async function main() {
  const only = chosenScenarios(process.argv.slice(2));
  const known = SCENARIOS.map(([n]) => n);
  const unknown = only.filter((n) => !known.includes(n));
  if (unknown.length) {
    process.stderr.write(`unknown scenario ${unknown.join(', ')}; choose from: ${known.join(', ')}\n`);
    process.exit(2);
  }
  const chosen = only.length ? SCENARIOS.filter(([n]) => only.includes(n)) : SCENARIOS;
  // what `npm start` prepares: npm dependencies (autocannon among them) and the JVM build
  ensureNodeModules();
  ensureJvmBuild();
  const t0 = Date.now();
  const stamp = () => {
    const s = Math.round((Date.now() - t0) / 1000);
    return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  };
  const log = (m: string) => process.stderr.write(`[bench ${stamp()}] ${m}\n`);
  const meta: RunMeta = {
    date: new Date(t0).toISOString(),
    machine: `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    seconds: 0,
    command: `npm run bench${only.length ? ` -- --scenario ${only.join(',')}` : ''}`,
  };
  const records = previous();
  const write = () => {
    meta.seconds = (Date.now() - t0) / 1000;
    const order = [...known.filter((n) => records[n]), ...Object.keys(records).filter((n) => !known.includes(n))];
    // scenarios removed from the list are not shown any more
    const shown = order.filter((n) => known.includes(n)).map((n): [string, ScenarioRecord] => [n, records[n]!]);
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(join(RESULTS, 'latest.json'), JSON.stringify({ ...meta, scenarios: Object.fromEntries(shown) }, null, 2) + '\n');
    const md = table(shown, meta);
    writeFileSync(join(RESULTS, 'latest.md'), md);
    if (process.env.BENCH_README !== '0' && existsSync(README)) writeFileSync(README, replaceBetweenMarkers(readFileSync(README, 'utf8'), md));
    return md;
  };

  const tmp = mkdtempSync(join(tmpdir(), 'emostream-bench-'));
  let broker: Awaited<ReturnType<typeof startBenchBroker>> | null = null;
  const hard = setTimeout(() => {
    log(`the run passed its budget of ${BUDGET_MS / 60_000} minutes: stopping (results so far are written)`);
    // leave nothing behind: the scenario's children (platform JVMs, npm start, generators, the seed stack), then the broker
    for (const pid of processTree(process.pid).slice(1).reverse()) {
      if (pid === broker?.pid) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    void Promise.race([broker?.stop(), sleep(20_000)]).finally(() => {
      rmSync(tmp, { recursive: true, force: true });
      process.exit(3);
    });
  }, BUDGET_MS);
  hard.unref();
  log(`scenarios: ${chosen.map(([n]) => n).join(', ')} (budget ${BUDGET_MS / 60_000} min)`);
  broker = await startBenchBroker(log);
  let failed = false;
  try {
    for (const [i, [name, run]] of chosen.entries()) {
      const s0 = Date.now();
      log(`── (${i + 1}/${chosen.length}) ${name}`);
      try {
        const result = await run({ brokers: broker!.brokers, brokerPid: broker!.pid, tmp, log: (m) => log(`${name}: ${m}`) });
        records[name] = { date: new Date(s0).toISOString(), seconds: (Date.now() - s0) / 1000, result };
        log(`${name}: done in ${Math.round((Date.now() - s0) / 1000)} s, ${result.rows.length} row(s)`);
      } catch (err) {
        failed = true;
        log(`${name} FAILED: ${err instanceof Error ? err.stack : String(err)}`);
        records[name] = { date: new Date(s0).toISOString(), seconds: (Date.now() - s0) / 1000, error: err instanceof Error ? err.message : String(err) };
      }
      write();
    }
  } finally {
    await broker.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
  const md = write();
  process.stdout.write('\n' + md);
  log(`done in ${Math.round(meta.seconds)} s: bench/results/latest.json, bench/results/latest.md${process.env.BENCH_README !== '0' ? ', README.md' : ''}`);
  process.exit(failed ? 1 : 0);
}

await main();
