// `npm run faults`: the fault suite against the real platform (src/main.ts with its broker, Spark job and Kafka
// Streams), one scenario after another on one platform, each on its own match; prints the table.
//   npm run faults                              every scenario
//   npm run faults -- --scenario spark-kill     one (or a comma-separated list)
//   npm run faults -- --list
//   npm run faults -- --scenario wedge --repeat 10    each scenario 10 times, each time on a match of its own
// Writes build/faults.json. Exit code 1 when a scenario lost or doubled a 202, or a part did not heal.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startWindowCollector } from './counts.ts';
import { PlatformProcess } from './platform.ts';
import { runScenario, SCENARIOS, table, type ScenarioResult } from './scenarios.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const { values } = parseArgs({ options: { scenario: { type: 'string' }, list: { type: 'boolean' }, rate: { type: 'string' }, keep: { type: 'boolean' }, repeat: { type: 'string' } } });
if (values.list) {
  for (const s of SCENARIOS) process.stdout.write(`${s.name.padEnd(16)} ${s.fast ? '(fast) ' : ''}${s.what}\n`);
  process.exit(0);
}
const wanted = values.scenario ? values.scenario.split(',') : SCENARIOS.map((s) => s.name);
const unknownNames = wanted.filter((n) => !SCENARIOS.some((s) => s.name === n));
if (unknownNames.length) {
  process.stderr.write(`unknown scenario(s): ${unknownNames.join(', ')}; --list shows them\n`);
  process.exit(2);
}
const log = (m: string) => process.stderr.write(`[faults ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const run = Date.now().toString(36);
const dataDir = join(ROOT, 'test-data', `faults-${run}`);
const p = await PlatformProcess.create(dataDir);
const stopAll = async () => {
  await p.stop().catch(() => p.cleanup());
  if (!values.keep) rmSync(dataDir, { recursive: true, force: true });
};
process.on('SIGINT', () => void stopAll().then(() => process.exit(130)));

const results: ScenarioResult[] = [];
const t0 = Date.now();
try {
  log(`starting the platform (data ${dataDir}, API ${p.url})`);
  const ms = await p.start();
  log(`platform ready in ${(ms / 1000).toFixed(1)} s`);
  const collector = await startWindowCollector(`127.0.0.1:${p.env.KAFKA_PORT}`);
  const repeat = Math.max(1, Number(values.repeat ?? 1));
  for (let i = 0; i < repeat * wanted.length; i++) {
    const name = wanted[i % wanted.length]!;
    const sc = SCENARIOS.find((s) => s.name === name)!;
    const r = await runScenario({ p, collector, run: repeat > 1 ? `${run}r${Math.floor(i / wanted.length)}` : run, log }, sc, { ratePerS: values.rate ? Number(values.rate) : undefined });
    results.push(r);
    log(`${name}: ${JSON.stringify(r)}`);
    // the next scenario needs a whole platform: if this one did not heal, start it again
    if (r.healMs === null) {
      log('restarting the platform for the next scenario');
      await p.stop().catch(() => p.cleanup());
      await p.start();
    }
  }
  await collector.stop();
} finally {
  await stopAll();
}
const out = table(results);
process.stdout.write(`\n${out}\n\n${results.length} scenario(s) in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
for (const r of results) for (const n of r.notes) process.stdout.write(`  ${r.scenario}: ${n}\n`);
mkdirSync(join(ROOT, 'build'), { recursive: true });
writeFileSync(join(ROOT, 'build', 'faults.json'), JSON.stringify(results, null, 2));
process.exit(results.every((r) => r.ok) ? 0 : 1);
