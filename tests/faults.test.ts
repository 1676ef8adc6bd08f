// The fast fault scenarios (tests/faults/scenarios.ts) in `npm test`, against the real platform started as an
// operator starts it (src/main.ts as a child process with its own broker, Spark job and Kafka Streams, own
// ports and data folder): a Kafka Streams thread failing three times, a slow upload during steady load, and
// the wedge (broker frozen 10 s, fresh posts and a retry of an acknowledged id). For each: every 202 counted
// exactly once in the exact counts and in Spark's windows, nothing counted that was not sent, every part
// back without a manual restart. Then the last-resort handler: an uncaught error stops every part and the
// process exits 1 with no child JVM left. The slow scenarios run with `npm run faults`.
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWindowCollector, type WindowCollector } from './faults/counts.ts';
import { PlatformProcess } from './faults/platform.ts';
import { runScenario, SCENARIOS, table, type Ctx, type ScenarioResult } from './faults/scenarios.ts';

const run = `t${Date.now().toString(36)}`;
const dataDir = resolve(join('test-data', `faults-${run}`));
let p: PlatformProcess;
let collector: WindowCollector;
let ctx: Ctx;
const results: ScenarioResult[] = [];
const log = (m: string) => process.stderr.write(`[faults] ${m}\n`);

beforeAll(async () => {
  p = await PlatformProcess.create(dataDir);
  const ms = await p.start(300_000);
  log(`platform ready in ${(ms / 1000).toFixed(1)} s`);
  collector = await startWindowCollector(`127.0.0.1:${p.env.KAFKA_PORT}`);
  ctx = { p, collector, run, log };
}, 360_000);

afterAll(async () => {
  if (results.length) log(`\n${table(results)}`);
  await collector?.stop();
  p?.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

describe('fault suite (fast scenarios)', () => {
  for (const sc of SCENARIOS.filter((s) => s.fast)) {
    it(`${sc.name}: ${sc.what}`, async () => {
      const r = await runScenario(ctx, sc, { ratePerS: 50, beforeMs: 3000, afterMs: 3000 });
      results.push(r);
      expect(r.accepted).toBeGreaterThan(0);
      expect(r.healMs, 'every part back, a probe answered 202').not.toBeNull();
      const notes = r.notes.length ? ` (${r.notes.join('; ')})` : '';
      expect(r.lost, `every 202 counted${notes}`).toEqual({ exact: 0, spark: 0 });
      expect(r.doubled, `nothing counted twice or unsent${notes}`).toEqual({ exact: 0, spark: 0 });
    }, 400_000);
  }

  it('last resort: an uncaught error stops every part and exits 1, leaving no child JVM', async () => {
    expect(p.leftovers().length).toBeGreaterThan(0); // the broker and the Spark job run
    const res = await p.post('/faults/crash');
    expect(res.status).toBe(202);
    expect(await p.exitWithin(60_000)).toBe(1);
    expect(p.leftovers()).toEqual([]);
  }, 90_000);
});
