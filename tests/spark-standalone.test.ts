// The Spark job on a real standalone cluster: a Spark master and one worker started from the same Maven jars
// the platform uses (spark/build/runtime-libs, as SPARK_HOME/jars), the job's driver launched by src/spark/job.ts
// with SPARK_MASTER=spark://… and the driver address from SPARK_DRIVER_HOST / SPARK_DRIVER_BIND_ADDRESS (not
// the loopback pin of a local master), its checkpoint in SPARK_CHECKPOINT_DIR. Proves: the master lists the
// job as a running application with the worker's executor, and a window written before the job started comes
// out on emoji-windows with its counts (the executors ran the query). Three JVMs start, so it takes a few
// minutes: not part of `npm test`; `.ci/run` runs it as a step of its own
// (SPARK_STANDALONE_TEST=1 npm test -- tests/spark-standalone.test.ts).
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../src/config.ts';
import { windowStartOf } from '../src/domain/window.ts';
import { createKafka, ensureTopics } from '../src/kafka/client.ts';
import { freePort } from '../bench/lib/context.ts';
import { spawnJava, type JavaProcess } from '../src/processes/java-process.ts';
import { SPARK_JVM_FLAGS, SPARK_LIB_DIR, startSparkJob, type SparkJob } from '../src/spark/job.ts';
import { eventMessage, readWindows, startDirectWriter, type DirectWriter, type WindowReader } from './support/spark.ts';
import { waitFor } from './support/wait.ts';

interface MasterState {
  workers: { state: string; cores: number; coresused: number }[];
  activeapps: { name: string; cores: number; state: string }[];
}

describe.runIf(process.env.SPARK_STANDALONE_TEST === '1')('Spark job on a standalone master and worker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'emostream-standalone-'));
  const runId = Math.random().toString(36).slice(2, 8);
  const matchId = `t-standalone-${runId}`;
  const jvms: JavaProcess[] = [];
  let masterUi = '';
  let config: Config;
  let kafka: Kafka;
  let writer: DirectWriter | null = null;
  let windows: WindowReader | null = null;
  let job: SparkJob | null = null;
  let start = 0;
  let passed = false;

  const master = async (): Promise<MasterState> => (await (await fetch(`${masterUi}/json/`)).json()) as MasterState;

  beforeAll(async () => {
    // SPARK_HOME as a standalone install lays it out: the worker builds each executor's classpath from SPARK_HOME/jars
    const home = join(dir, 'spark-home');
    mkdirSync(home);
    symlinkSync(SPARK_LIB_DIR, join(home, 'jars'));
    writeFileSync(join(home, 'RELEASE'), 'Spark 4.1.1 (the jars of spark/build/runtime-libs)\n');
    const [port, uiPort, workerUi] = [await freePort(), await freePort(), await freePort()];
    masterUi = `http://127.0.0.1:${uiPort}`;
    // SPARK_SCALA_VERSION: the launcher that builds executor commands otherwise looks for a source build's folders
    const env = { SPARK_HOME: home, SPARK_SCALA_VERSION: '2.13', SPARK_LOCAL_IP: '127.0.0.1' };
    const jvm = (name: string, mainClass: string, args: string[]) =>
      spawnJava({ name, libDir: SPARK_LIB_DIR, mainClass, args, heap: '512m', jvmArgs: SPARK_JVM_FLAGS, logFile: join(dir, 'logs', `${name}.log`), env, cwd: dir });
    jvms.push(jvm('spark-master', 'org.apache.spark.deploy.master.Master', ['--host', '127.0.0.1', '--port', String(port), '--webui-port', String(uiPort)]));
    await waitFor(() => `the master's UI at ${masterUi}`, async () => (await fetch(`${masterUi}/json/`).catch(() => null))?.ok === true, 180_000, 1000);
    jvms.push(
      jvm('spark-worker', 'org.apache.spark.deploy.worker.Worker', [
        `spark://127.0.0.1:${port}`, '--host', '127.0.0.1', '--cores', '2', '--memory', '1g', '--webui-port', String(workerUi), '--work-dir', join(dir, 'work'),
      ]),
    );
    await waitFor(() => 'a worker ALIVE at the master', async () => (await master()).workers.some((w) => w.state === 'ALIVE'), 180_000, 1000);

    config = loadConfig({
      KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
      DATA_DIR: join(dir, 'data'),
      SPARK_UI_PORT: '0',
      SPARK_MASTER: `spark://127.0.0.1:${port}`,
      // the settings a driver on another host than its executors needs (here all on one host)
      SPARK_DRIVER_HOST: '127.0.0.1',
      SPARK_DRIVER_BIND_ADDRESS: '127.0.0.1',
      SPARK_CHECKPOINT_DIR: join(dir, 'shared', 'checkpoint'),
      TOPIC_EVENTS: `emoji-events-standalone-${runId}`,
    });
    kafka = createKafka(config, `standalone-test-${runId}`);
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, config).finally(() => admin.disconnect());
    writer = await startDirectWriter(kafka, config.topics.events);
    // a window before the job's first run: it starts from earliest; ticks then move the watermark past it
    start = windowStartOf(Date.now(), config.windows.windowMs) - 3 * config.windows.windowMs;
    await writer.producer.send({
      topic: config.topics.events,
      acks: -1,
      messages: [
        ...Array.from({ length: 12 }, (_, i) => eventMessage(matchId, '🔥', start + 100 + i, `u-${i}`)),
        ...Array.from({ length: 5 }, (_, i) => eventMessage(matchId, '😀', start + 300 + i, `v-${i}`)),
      ],
    });
    windows = await readWindows(kafka, config.topics.windows, `standalone-test-${runId}`, (m) => m === matchId);
    job = startSparkJob(config, { brokers: config.kafka.brokers!, readyTimeoutMs: 420_000 });
    await job.ready;
  }, 900_000);

  afterAll(async () => {
    await writer?.stop();
    await windows?.stop();
    await job?.stop();
    for (const j of jvms.reverse()) await j.stop(20_000);
    if (kafka) {
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteTopics({ topics: [config.topics.events] }).catch(() => {});
      await admin.disconnect();
    }
    if (passed) rmSync(dir, { recursive: true, force: true });
    else console.log(`[spark-standalone] kept ${dir} for its logs (logs/, data/logs/spark.log)`);
  }, 120_000);

  it('runs as an application of the master, on the worker, and its window carries the counts', async () => {
    const m = await master();
    expect(m.activeapps.map((a) => a.name)).toContain('emostream-spark');
    expect(m.activeapps.find((a) => a.name === 'emostream-spark')!.cores).toBeGreaterThan(0);
    expect(m.workers.find((w) => w.state === 'ALIVE')!.coresused).toBeGreaterThan(0);

    const got = await windows!.waitFor((w) => Date.parse(w.window_start) === start, 240_000);
    expect(got.record).toMatchObject({ match_id: matchId, counts: { '🔥': 12, '😀': 5 }, total: 17 });
    passed = true;
  }, 300_000);
});
