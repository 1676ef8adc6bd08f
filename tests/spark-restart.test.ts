// The real Spark job (src/spark/job.ts, own temp data dir and checkpoint, UI off) on the real broker, stopped with
// SIGTERM while micro-batches run back to back and started again on the SAME checkpoint (issue 3: "after a restart
// the job resumes from its checkpoint; windows it emits twice carry the same id"):
//   A  a window closed and emitted before the stop: if it comes again, it is byte-for-byte the same record
//   F  steady events around the stop (the batch the stop interrupts holds some): every one is counted exactly once
//   C  a window written while the job is down: counted in full after the restart
//   B  a window written after the restart: arrives with its counts, without a retry of one of A's events written
//      with it (the dedup state, one timer per shard of ids, is resumed from the checkpoint, not started anew)
// Whether Spark 4.1.1's SPARK-55271 hit (Job starts the query again when it does) depends on timing; the test
// logs it and does not assert on it.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../src/config.ts';
import { idOfRecord as idOf, makeWindow, windowStartOf, type WindowRecord } from '../src/domain/window.ts';
import { createKafka } from '../src/kafka/client.ts';
import { startSparkJob, type SparkJob } from '../src/spark/job.ts';
import { eventMessage, readWindows, startDirectWriter, type DirectWriter, type WindowReader } from './support/spark.ts';
import { setTimeout as sleep } from 'node:timers/promises';

type Counts = Record<string, number>;

describe('Spark job restart from its checkpoint', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'emostream-spark-restart-'));
  const runId = Math.random().toString(36).slice(2, 8);
  const prefix = `t-restart-${runId}-`;
  const [A, B, C, F] = ['a', 'b', 'c', 'f'].map((s) => prefix + s) as [string, string, string, string];
  let config: Config;
  let kafka: Kafka;
  let producer: Producer;
  let writer: DirectWriter | null = null;
  let windows: WindowReader | null = null;
  let job: SparkJob | null = null;

  beforeAll(async () => {
    config = loadConfig({ KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092', DATA_DIR: dataDir, SPARK_UI_PORT: '0' });
    kafka = createKafka(config, `spark-restart-${runId}`);
    // ticks run all along, also while the job is down (as the API's would)
    writer = await startDirectWriter(kafka, config.topics.events);
    producer = writer.producer;
    windows = await readWindows(kafka, config.topics.windows, `spark-restart-${runId}`, (m) => m.startsWith(prefix));
  }, 60_000);

  afterAll(async () => {
    await writer?.stop();
    await windows?.stop();
    await job?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  /** Events with received_at early in a fresh window (room before the watermark passes its end); its start. */
  async function writeWindow(matchId: string, dist: Counts, extra: (start: number) => ReturnType<typeof eventMessage>[] = () => []): Promise<number> {
    const windowMs = config.windows.windowMs;
    while (Date.now() - windowStartOf(Date.now(), windowMs) > 200) await sleep(20);
    const start = windowStartOf(Date.now(), windowMs);
    const messages = Object.entries(dist).flatMap(([emoji, n]) =>
      Array.from({ length: n }, (_, i) => eventMessage(matchId, emoji, start + ((i * 37) % 300), `u-${i % 300}`)),
    ).concat(extra(start));
    await producer.send({ topic: config.topics.events, acks: -1, messages });
    expect(Date.now()).toBeLessThan(start + windowMs + config.spark.watermarkMs); // not late by construction
    return start;
  }

  const record = (matchId: string, start: number, counts: Counts): WindowRecord =>
    makeWindow(matchId, start, config.windows.windowMs, counts, config.windows.scaleFactor);

  it('resumes from the checkpoint after a stop mid-batch: nothing lost, repeats are identical', async () => {
    const t0 = Date.now();
    // 'latest' on the first run: the shared test broker holds earlier tests' events; this test needs only its own
    job = startSparkJob(config, { brokers: config.kafka.brokers!, readyTimeoutMs: 240_000, startingOffsets: 'latest' });
    const startup1 = await job.ready;

    // A: closed and emitted by the first run
    const distA = { '🔥': 1234, '😀': 56 };
    const retried = { user: `u-retried-${runId}`, event: `e-retried-${runId}` };
    const startA = await writeWindow(A, distA, (start) => [eventMessage(A, '😀', start + 10, retried.user, retried.event)]);
    distA['😀'] += 1;
    await windows!.waitFor((w) => w.match_id === A, 30_000);

    // F: ~2000 events/s with received_at = now, so micro-batches run back to back, with data, up to the stop
    const expectedF = new Map<number, Counts>();
    let filling = true;
    const filler = (async () => {
      let i = 0;
      while (filling) {
        const now = Date.now();
        const emoji = ['👏', '🎉'][i++ % 2]!;
        await producer.send({ topic: config.topics.events, acks: -1, messages: Array.from({ length: 100 }, () => eventMessage(F, emoji, now)) });
        const c = expectedF.get(windowStartOf(now, config.windows.windowMs)) ?? {};
        c[emoji] = (c[emoji] ?? 0) + 100;
        expectedF.set(windowStartOf(now, config.windows.windowMs), c);
        await sleep(50);
      }
    })();
    let batchesDuringFill = 0;
    const off = job.onProgress((p) => void (Number(p.input_rows) > 0 && batchesDuringFill++));
    const fillDeadline = Date.now() + 15_000;
    while (batchesDuringFill < 3 && Date.now() < fillDeadline) await sleep(100);
    off();
    // SIGTERM mid-run: the shutdown hook stops the query, interrupting the batch in flight
    const tStop = Date.now();
    await job.stop();
    const stopMs = Date.now() - tStop;
    const exit1 = await job.process.exited;
    filling = false;
    await filler;

    // C: written while the job is down
    const distC = { '😡': 777, '😀': 3 };
    const startC = await writeWindow(C, distC);

    // the same data dir → the same checkpoint
    const t1 = Date.now();
    job = startSparkJob(config, { brokers: config.kafka.brokers!, readyTimeoutMs: 240_000, startingOffsets: 'latest' });
    const startup2 = await job.ready;

    // B: after the restart
    const distB = { '🔥': 2001, '😡': 10 };
    // with a retry of A's event (new received_at, in B's window, match B): a duplicate, not counted
    const startB = await writeWindow(B, distB, (start) => [eventMessage(B, '😀', start + 20, retried.user, retried.event)]);
    const gotB = await windows!.waitFor((w) => w.match_id === B, 45_000);
    expect(gotB.record).toEqual(record(B, startB, distB));

    // every window the test wrote has come (other partitions of emoji-windows may trail B's by a little)
    const expected = new Map<string, WindowRecord>([
      [`${A}:${startA}`, record(A, startA, distA)],
      [`${C}:${startC}`, record(C, startC, distC)],
      [`${B}:${startB}`, record(B, startB, distB)],
      ...[...expectedF].map(([start, counts]) => [`${F}:${start}`, record(F, start, counts)] as const),
    ]);
    for (const id of expected.keys()) await windows!.waitFor((w) => idOf(w) === id, 10_000);
    await sleep(1000); // a late duplicate, if any, shows up here

    // each window exactly as written (C in full: events written while the job was down are not lost; F: the
    // events of the interrupted batch are counted once), and a repeat carries the same id and content
    const byId = new Map<string, WindowRecord[]>();
    for (const a of windows!.arrived) byId.set(idOf(a.record), [...(byId.get(idOf(a.record)) ?? []), a.record]);
    expect(new Set(byId.keys())).toEqual(new Set(expected.keys()));
    for (const [id, copies] of byId) for (const w of copies) expect(w, id).toEqual(expected.get(id));

    const repeats = [...byId].filter(([, c]) => c.length > 1).map(([id, c]) => `${id.slice(prefix.length)}×${c.length}`);
    const log = existsSync(job.logFile) ? readFileSync(job.logFile, 'utf8') : '';
    // the checkpoint is this build's layout, resumed, not moved aside
    expect(log).not.toContain('layout 1');
    expect(readFileSync(join(config.spark.checkpointDir, 'emostream-state-layout'), 'utf8').trim()).toBe('2');
    console.log(
      `[spark-restart] start 1: ${startup1} ms; stopped after ${batchesDuringFill} batches with filler data in ${stopMs} ms (exit ${exit1}); ` +
        `start 2: ${startup2} ms; B ${gotB.lagMs} ms after its end; F ${[...expectedF.values()].reduce((n, c) => n + Object.values(c).reduce((x, y) => x + y, 0), 0)} events in ${expectedF.size} windows; ` +
        `repeated windows: ${repeats.join(', ') || 'none'}; SPARK-55271 workaround fired: ${log.includes('SPARK-55271') ? 'yes' : 'no'}; ` +
        `total ${Math.round((Date.now() - t0) / 1000)} s (down ${Math.round((t1 - tStop) / 1000)} s)`,
    );
  }, 600_000); // two start-ups of the job: minutes each under the load of parallel test runs
});
