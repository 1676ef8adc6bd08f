// Idle A/B in one sitting: `npm start` in one or more configurations (variants), each warmed like the bench's idle
// scenario (BENCH_IDLE_WARM_MS-style: --warm-s at 1,000 events/s), left --quiet-s without traffic, then the CPU of
// each part by thread over --measure-s (the broker, the Spark job, the API with its in-process Kafka Streams JVM;
// threads grouped by name with the digits folded, as bench/components/threads.ts). A machine shared with other work
// makes single figures noisy: compare variants of one run, alternated over --rounds.
//   npx tsx bench/components/idle-ab.ts --broker 127.0.0.1:29902=<pid> [--broker 127.0.0.1:29904=<pid>] \
//       --variant base= --variant wait5s=KAFKA_CONSUMER_MAX_WAIT_MS=5000 [--rounds 2] [--quiet-s 60] [--measure-s 60]
// Each broker (started by scripts/dev/start-broker.ts; `=<pid>` its JVM, for its CPU) serves one variant at a time:
// with as many brokers as variants they run side by side (same minute, same load), and each round rotates which
// broker serves which variant. A variant is `name=KEY=VALUE,KEY=VALUE` (its platform's environment; BENCH_ROOT=<dir>
// runs `npm start` of another checkout, which builds that checkout's JVM parts if its sources are newer, as `npm start`
// does here: do not edit jvm/ or spark/ while a run is going). Prints one line per variant and round, the thread
// groups above 0.05% of a core, and how long each `npm start` took to stop after SIGTERM.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { createKafka, ensureTopics } from '../../src/kafka/client.ts';
import { loadConfig } from '../../src/config.ts';
import { waitForOk } from '../../tests/support/wait.ts';
import { benchEnv, freePort, dropTopics } from '../lib/context.ts';
import { runLoad } from '../lib/loadgen.ts';
import { spawnNpmStart } from '../lib/npm-start.ts';
import { loadAverage, platformParts, threadCpu } from '../lib/proc.ts';
import { parseVariant } from '../lib/variants.ts';

const { values } = parseArgs({
  options: {
    broker: { type: 'string', multiple: true, default: [] },
    variant: { type: 'string', multiple: true, default: ['base='] },
    rounds: { type: 'string', default: '1' },
    'warm-s': { type: 'string', default: '10' },
    'quiet-s': { type: 'string', default: '60' },
    'measure-s': { type: 'string', default: '60' },
    keep: { type: 'boolean', default: false },
  },
});
const brokers = values.broker.map((b) => {
  const [addr, pid] = b.split('=');
  return { addr: addr!, pid: pid ? Number(pid) : undefined };
});
if (brokers.length === 0) throw new Error('--broker host:port[=pid] at least once');
const variants = values.variant.map(parseVariant);
const WARM_MS = Number(values['warm-s']) * 1000;
const QUIET_MS = Number(values['quiet-s']) * 1000;
const MEASURE_MS = Number(values['measure-s']) * 1000;
const tmp = mkdtempSync(join(tmpdir(), 'emostream-idle-ab-'));

type Groups = Map<string, number>;
/** CPU ms by folded thread name since `seen` (tid → ms), over several pids */
function groupDelta(pids: number[], seen: Map<string, number>, out: Groups): number {
  let total = 0;
  for (const pid of pids) {
    for (const [tid, t] of threadCpu(pid)) {
      const key = `${pid}/${tid}`;
      const d = t.ms - (seen.get(key) ?? 0);
      seen.set(key, t.ms);
      const name = t.name.replace(/\d+/g, '#');
      out.set(name, (out.get(name) ?? 0) + d);
      total += d;
    }
  }
  return total;
}

async function one(variant: (typeof variants)[number], broker: (typeof brokers)[number], round: number) {
  const port = await freePort();
  const ctx = { brokers: broker.addr, tmp, log: (m: string) => process.stderr.write(`[${variant.name}#${round}] ${m}\n`) };
  const env = benchEnv(ctx, `idle-${variant.name}`, { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', ...variant.env });
  const config = loadConfig(env);
  const admin = createKafka(config, 'bench-setup').admin();
  await admin.connect();
  await ensureTopics(admin, config);
  await admin.disconnect();
  const logFile = join(tmp, `${variant.name}-${round}.log`);
  const platform = spawnNpmStart({ ...process.env, ...env }, logFile, variant.env.BENCH_ROOT ? join(variant.env.BENCH_ROOT, 'scripts/start.mjs') : undefined);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForOk(`${url}/status`, 300_000, 1000);
    const warm = await runLoad({ url, path: '/v1/emoji', body: 'single', concurrency: 32, durationMs: WARM_MS, warmupMs: 0, eventsPerSecond: 1000, matchId: 'idle-warm' });
    ctx.log(`warm: ${Math.round(warm.eps)} events/s; quiet ${QUIET_MS / 1000} s`);
    await sleep(QUIET_MS);
    const { spark, api } = platformParts(platform.child.pid!);
    const parts = { broker: broker.pid ? [broker.pid] : [], spark, api };
    const seen = new Map<string, number>();
    for (const pids of Object.values(parts)) groupDelta(pids, seen, new Map()); // the window's start
    const l0 = loadAverage();
    const t0 = performance.now();
    await sleep(MEASURE_MS);
    const groups: Record<string, Groups> = {};
    const pct: Record<string, number> = {};
    const wall = performance.now() - t0;
    for (const [k, pids] of Object.entries(parts)) {
      groups[k] = new Map();
      pct[k] = (100 * groupDelta(pids, seen, groups[k]!)) / wall;
    }
    if (platform.exited) throw new Error(`the platform exited (log ${logFile})`);
    return { variant: variant.name, round, broker: broker.addr, load: `${l0} -> ${loadAverage()}`, pct, groups, total: pct.broker! + pct.spark! + pct.api! };
  } finally {
    const s0 = Date.now();
    const wasUp = !platform.exited;
    await platform.stop(30_000); // SIGTERM; what is left after 30 s is killed
    const stopMs = Date.now() - s0;
    if (wasUp) ctx.log(stopMs < 30_000 ? `npm start stopped ${stopMs} ms after SIGTERM` : 'npm start did not stop within 30 s of SIGTERM: killed');
    await dropTopics(config).catch(() => {});
  }
}

const f = (x: number) => x.toFixed(2);
function print(x: Awaited<ReturnType<typeof one>>) {
  console.log(`${x.variant} round ${x.round} (${x.broker}, load ${x.load}): total ${f(x.total)}% = broker ${f(x.pct.broker!)} + spark ${f(x.pct.spark!)} + api ${f(x.pct.api!)}`);
  for (const [part, g] of Object.entries(x.groups)) {
    const top = [...g].filter(([, ms]) => (100 * ms) / MEASURE_MS >= 0.05).sort((a, b) => b[1] - a[1]);
    console.log(`  ${part}: ${top.map(([n, ms]) => `${n} ${f((100 * ms) / MEASURE_MS)}`).join(', ')}`);
  }
}

const results: Awaited<ReturnType<typeof one>>[] = [];
for (let r = 0; r < Number(values.rounds); r++) {
  // the variants in turn on the brokers, rotated each round; as many at once as there are brokers
  const order = variants.map((v, i) => ({ v, b: brokers[(i + r) % brokers.length]! }));
  for (let i = 0; i < order.length; i += brokers.length) {
    const batch = order.slice(i, i + brokers.length);
    const done = await Promise.all(batch.map(({ v, b }) => one(v, b, r)));
    done.forEach(print);
    results.push(...done);
  }
}
const byVariant = new Map<string, number[]>();
for (const x of results) byVariant.set(x.variant, [...(byVariant.get(x.variant) ?? []), x.total]);
for (const [v, t] of byVariant) console.log(`${v}: totals ${t.map(f).join(', ')}; mean ${f(t.reduce((a, b) => a + b, 0) / t.length)}%`);
if (!values.keep) rmSync(tmp, { recursive: true, force: true });
else console.log(`logs in ${tmp}`);
