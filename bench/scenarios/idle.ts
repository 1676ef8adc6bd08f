// The platform at rest: `npm start` (scripts/start.mjs: the API with its in-process Kafka Streams JVM, and the
// Spark job as its child JVM) run as a process of its own against the bench's broker, a short load first
// (BENCH_IDLE_WARM_MS at 1,000 events/s: every part has worked, caches and heaps have grown), then
// BENCH_IDLE_QUIET_MS (60 s) without traffic, then CPU (% of one core, from /proc/<pid>/stat) and RSS of each
// part over BENCH_IDLE_MEASURE_MS: broker, Spark job, API. The broker is the bench's own, so its figure
// includes the few topics other scenarios left behind (they drop theirs); with BENCH_KAFKA_BROKERS it is
// not measured.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createKafka, ensureTopics } from '../../src/kafka/client.ts';
import { loadConfig } from '../../src/config.ts';
import { waitForOk } from '../../tests/support/wait.ts';
import { benchEnv, dropTopics, freePort, isMain, runStandalone, type BenchContext, type ScenarioResult } from '../lib/context.ts';
import { runLoad } from '../lib/loadgen.ts';
import { cpuWindow, platformParts } from '../lib/proc.ts';
import { spawnNpmStart } from '../lib/npm-start.ts';
import { fmt, generatorCell } from '../lib/rows.ts';

const WARM_MS = Number(process.env.BENCH_IDLE_WARM_MS ?? 10_000);
const QUIET_MS = Number(process.env.BENCH_IDLE_QUIET_MS ?? 60_000);
// 60 s. Ticks on a quiet stream double from TICK_INTERVAL_MS (4.25, 4.75, 5.75, … 35.75, 67.75, 131.75 s after the last
// event, then every TICK_IDLE_INTERVAL_MS, 5 min), and each costs the Spark job two micro-batches: with the 60 s quiet
// period the window always holds the one at ~68 s, so the row is the cost at rest plus one tick, not luck
const MEASURE_MS = Number(process.env.BENCH_IDLE_MEASURE_MS ?? 60_000);

export async function idle(ctx: BenchContext): Promise<ScenarioResult> {
  const t0 = Date.now();
  const port = await freePort();
  const env = benchEnv(ctx, 'idle', { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' });
  const config = loadConfig(env);
  const admin = createKafka(config, 'bench-setup').admin();
  await admin.connect();
  await ensureTopics(admin, config);
  await admin.disconnect();
  const logFile = join(ctx.tmp, 'idle-platform.log');
  const platform = spawnNpmStart({ ...process.env, ...env }, logFile);
  const { child } = platform;
  const url = `http://127.0.0.1:${port}`;
  try {
    const r0 = Date.now();
    await waitForOk(`${url}/status`, 300_000, 1000);
    ctx.log(`npm start (pid ${child.pid}) ready in ${((Date.now() - r0) / 1000).toFixed(1)} s; ${WARM_MS / 1000} s at 1,000 events/s`);
    const warm = await runLoad({ url, path: '/v1/emoji', body: 'single', concurrency: 32, durationMs: WARM_MS, warmupMs: 0, eventsPerSecond: 1000, matchId: 'idle-warm' });
    ctx.log(`quiet for ${QUIET_MS / 1000} s, then measuring ${MEASURE_MS / 1000} s`);
    await sleep(QUIET_MS);
    const { spark, api } = platformParts(child.pid!);
    const w = cpuWindow({ broker: ctx.brokerPid ? [ctx.brokerPid] : [], spark, api });
    await sleep(MEASURE_MS);
    const m = w.end();
    if (platform.exited) throw new Error(`the platform exited during the measurement (log ${logFile})`);
    const total = { cpu: m.broker.cpuPct + m.spark.cpuPct + m.api.cpuPct, rss: m.broker.rssMiB + m.spark.rssMiB + m.api.rssMiB };
    const part = (name: string, x: { cpuPct: number; rssMiB: number }, missing?: string) => (missing ? `${name}: ${missing}` : `${name} ${fmt(x.cpuPct)}% / ${fmt(x.rssMiB)} MiB`);
    ctx.log(`idle: total ${fmt(total.cpu)}% of a core, ${fmt(total.rss)} MiB; ${part('broker', m.broker)}, ${part('Spark job', m.spark)}, ${part('API', m.api)}`);
    return {
      name: 'idle',
      rows: [
        {
          id: 'idle/parts',
          title: `Idle: CPU (% of one core) and RSS per part after ${QUIET_MS / 1000} s without traffic (\`npm start\`)`,
          whole: `${fmt(total.cpu)}% CPU, ${fmt(total.rss)} MiB RSS in all`,
          generator: generatorCell([['warm-up load', warm]]),
          notes: [
            part('broker', m.broker, ctx.brokerPid ? undefined : 'not measured (BENCH_KAFKA_BROKERS)'),
            part('Spark job', m.spark, spark.length ? undefined : 'no Spark JVM found'),
            part('API with its in-process Kafka Streams JVM', m.api),
          ].join('; ') + `; over ${MEASURE_MS / 1000} s, after ${WARM_MS / 1000} s at 1,000 events/s (ticks every TICK_IDLE_INTERVAL_MS, 5 min, once every window has closed: none in the window)`,
        },
      ],
      details: { warm_ms: WARM_MS, quiet_ms: QUIET_MS, measure_ms: MEASURE_MS, parts: m, pids: { api, spark, broker: ctx.brokerPid }, warm },
      seconds: Math.round((Date.now() - t0) / 1000),
    };
  } finally {
    await platform.stop(30_000);
    await dropTopics(config);
  }
}

if (isMain(import.meta.url)) await runStandalone('idle', idle);
