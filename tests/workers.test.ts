// API_WORKERS=3 as an operator runs it: `src/main.ts` in a child process (the primary) against the test broker,
// three workers sharing one port, each with its own Kafka Streams instance (one application id). Events are
// posted through the shared port on fresh connections (node:cluster hands each to the next worker), a third
// of them retried with the same (user_id, event_id) on another connection; one worker is killed with
// SIGKILL during the load. It must be restarted, GET /v1/counts from every worker must equal the accepted
// events exactly (each retry counted once), and a viewer that was on the killed worker must reconnect with
// Last-Event-ID (to whichever worker the port gives it) and miss no window.
// The Spark job is off (SPARK_ENABLED=false: its start-up alone takes minutes on this machine under load): the
// windows are written to the windows topic by the test, as Spark would, so the broadcast path is the real one.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { idOfRecord, makeWindow } from '../src/domain/window.ts';
import { createKafka, ensureTopics } from '../src/kafka/client.ts';
import { freePort } from './faults/platform.ts';
import { openSse, type SseStream } from './support/sse-client.ts';
import { waitFor } from './support/wait.ts';

const ROOT = resolve(import.meta.dirname, '..');
const run = randomUUID().slice(0, 8);
const MATCH = `wk-${run}`;
const EMOJIS = ['🔥', '😀', '👏'];

let primary: ChildProcess | null = null;
let primaryExit: Promise<unknown> = Promise.resolve();
let dataDir = '';
let base = '';
let producer: Producer | null = null;
let stopWriter = false; // the window writer stops when the test ends, however it ends

interface Answer {
  status: number;
  instance: string | null;
  body: any;
}

/** One request on a connection of its own, so node:cluster hands it to the next worker. */
function call(method: string, path: string, body?: unknown, timeoutMs = 10_000): Promise<Answer> {
  return new Promise((resolvePromise, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      `${base}${path}`,
      { method, agent: false, headers: { connection: 'close', ...(data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}) }, timeout: timeoutMs },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch {
            /* not JSON */
          }
          resolvePromise({ status: res.statusCode ?? 0, instance: (res.headers['emostream-instance'] as string) ?? null, body: parsed });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(data);
  });
}

interface InstanceView {
  instance_id: string;
  pid: number;
  worker: number | null;
  age_ms: number;
}
const deployment = async (): Promise<InstanceView[]> => (await call('GET', '/v1/clusters?scope=deployment')).body.instances;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'emostream-workers-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    API_WORKERS: '3',
    KAFKA_BROKERS: inject('kafkaBrokers'),
    PORT: String(port),
    DATA_DIR: dataDir,
    SPARK_ENABLED: 'false',
    // topics of this run alone on the shared test broker: the counts are exactly what this test posted
    TOPIC_EVENTS: `emoji-events-${run}`,
    TOPIC_WINDOWS: `emoji-windows-${run}`,
    TOPIC_EXACT: `emoji-exact-${run}`,
    TOPIC_MOMENTS: `emoji-moments-${run}`,
    TOPIC_MATCHES: `emoji-matches-${run}`,
    TOPIC_CONTROL: `emoji-control-${run}`,
    STREAMS_APP_ID: `workers-test-${run}`,
    EVENTS_PARTITIONS: '6',
    FLUSH_INTERVAL_MS: '50',
    STREAMS_HEAP: '256m',
    SUPERVISE_BACKOFF_MS: '500',
    CONTROL_HEARTBEAT_MS: '500',
    LOG_LEVEL: 'info',
  };
  // the topics first, so the window writer below has somewhere to write
  const config = loadConfig(env);
  const kafka = createKafka(config, 'workers-test');
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, config);
  await admin.disconnect();
  producer = kafka.producer();
  await producer.connect();

  const fd = openSync(join(dataDir, 'primary.log'), 'a');
  const { KAFKA_BROKERS: _b, ...inherited } = process.env;
  primary = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env: { ...inherited, ...env }, stdio: ['ignore', fd, fd], detached: true });
  closeSync(fd);
  const child = primary;
  primaryExit = new Promise((r) => child.once('exit', r));
  const log = () => readFileSync(join(dataDir, 'primary.log'), 'utf8').split('\n').slice(-30).join('\n');
  // every worker serving, each with its Kafka Streams instance RUNNING (the status of any of them says so)
  await waitFor(
    () => `3 workers ready; primary log:\n${log()}`,
    async () => {
      if (child.exitCode !== null) throw new Error(`the primary exited (${child.exitCode})`);
      const st = await call('GET', '/status');
      const workers = st.body?.checks?.find((c: { name: string }) => c.name === 'api-workers');
      return st.status === 200 && workers?.detail?.startsWith('3/3 running') && (await deployment()).length === 3;
    },
    300_000,
    1000,
  );
}, 360_000);

afterAll(async () => {
  stopWriter = true;
  await sleep(500);
  await producer?.disconnect().catch(() => {});
  if (primary && primary.exitCode === null) {
    primary.kill('SIGTERM'); // an orderly stop: the workers first, then the primary
    await Promise.race([primaryExit, sleep(60_000)]);
    try {
      process.kill(-primary.pid!, 'SIGKILL'); // whatever is left of the group
    } catch {
      /* gone */
    }
  }
}, 90_000);

describe('API_WORKERS=3 on one port', () => {
  it('counts every accepted event once from every worker through a kill -9, and a viewer of the killed worker misses no window', async () => {
    // ---- viewers: one subscription, streamed from whichever worker each connection lands on, until every worker has one
    const viewers: { stream: SseStream; instance: string; url: string }[] = [];
    const sub = await call('POST', '/v1/subscriptions', { match_id: MATCH });
    expect(sub.status).toBe(201);
    expect(sub.body.stream_url).toMatch(/[?&]token=/);
    const seen = new Set<string>();
    for (let i = 0; i < 12 && seen.size < 3; i++) {
      // a subscription per viewer (made on one worker, usually streamed from another: the token makes it work)
      const s = i === 0 ? sub : await call('POST', '/v1/subscriptions', { match_id: MATCH });
      const stream = openSse(`${base}${s.body.stream_url}`, { agent: new http.Agent({ keepAlive: false }) });
      const res = await stream.opened;
      expect(res.statusCode).toBe(200);
      const instance = String(res.headers['emostream-instance']);
      seen.add(instance);
      viewers.push({ stream, instance, url: s.body.stream_url });
    }
    expect(seen.size).toBe(3);

    // ---- windows, as the Spark job writes them, every 250 ms (window starts 2 s apart: distinct ids)
    const produced: string[] = [];
    let start = Math.floor(Date.now() / 2000) * 2000 - 600_000;
    let writing = true;
    const writer = (async () => {
      while (writing && !stopWriter) {
        const w = makeWindow(MATCH, (start += 2000), 2000, { '🔥': 1 + produced.length }, 1000);
        await producer!.send({ topic: `emoji-windows-${run}`, messages: [{ key: MATCH, value: JSON.stringify(w) }] });
        produced.push(idOfRecord(w));
        await sleep(250);
      }
    })();
    await waitFor('every viewer to get a window', () => viewers.every((v) => v.stream.windows().length > 0), 30_000);

    // ---- the load: events round-robin through the shared port; a third retried on another connection
    const accepted = new Map<string, string>(); // event_id → emoji
    const retriedElsewhere: string[] = [];
    const bodies = new Map<number, { user_id: string; emoji_type: string; timestamp: number; match_id: string; event_id: string }>();
    const post = async (i: number): Promise<Answer> => {
      // a retry sends the very same body (same timestamp): another one under the same event_id is a 409
      if (!bodies.has(i)) bodies.set(i, { user_id: `u-${i % 40}`, emoji_type: EMOJIS[i % EMOJIS.length]!, timestamp: Date.now(), match_id: MATCH, event_id: `e-${run}-${i}` });
      const body = bodies.get(i)!;
      for (let attempt = 0; ; attempt++) {
        try {
          const a = await call('POST', '/v1/emoji', body);
          if (a.status === 202) {
            accepted.set(body.event_id, body.emoji_type);
            return a;
          }
          if (a.status !== 503) throw new Error(`POST /v1/emoji ${a.status}: ${JSON.stringify(a.body)}`);
        } catch (err) {
          // the worker holding this connection was killed: the outcome is unknown, so retry with the same event_id
          if (attempt > 20) throw err;
        }
        await sleep(200);
      }
    };
    const victim = viewers.find((v) => v.instance !== viewers[0]!.instance) ?? viewers[0]!;
    const victimView = (await deployment()).find((i) => i.instance_id === victim.instance)!;
    expect(victimView.pid).toBeGreaterThan(0);
    const restartsBefore = (await call('GET', '/status')).body.checks.find((c: { name: string }) => c.name === 'api-workers').restarts as number;
    const N = 240;
    let killedAt = 0;
    for (let i = 0; i < N; i += 4) {
      const batch = await Promise.all([0, 1, 2, 3].map((k) => post(i + k)));
      // the retry of every third event, on a fresh connection (usually another worker: its cache misses)
      for (const [k, first] of batch.entries()) {
        if ((i + k) % 3 !== 0) continue;
        const again = await post(i + k);
        if (again.instance !== first.instance) retriedElsewhere.push(`e-${run}-${i + k}`);
      }
      if (i === 80) {
        process.kill(victimView.pid, 'SIGKILL');
        killedAt = Date.now();
      }
    }
    expect(killedAt).toBeGreaterThan(0);
    expect(accepted.size).toBe(N);
    expect(retriedElsewhere.length).toBeGreaterThan(10); // retries really crossed instances

    // ---- the killed worker is restarted (a new instance of worker victimView.worker), the others kept serving
    await waitFor(
      'the killed worker restarted',
      async () => {
        const st = await call('GET', '/status');
        const w = st.body?.checks?.find((c: { name: string }) => c.name === 'api-workers');
        return w?.restarts > restartsBefore && w.detail.startsWith('3/3 running') && w;
      },
      180_000,
      1000,
    );

    // ---- the viewer of the killed worker reconnects with Last-Event-ID, through the shared port
    await victim.stream.waitForEnd(10_000);
    const before = victim.stream.windows().map((e) => e.id!);
    const lastId = before.at(-1)!;
    const again = openSse(`${base}${victim.url}`, { headers: { 'last-event-id': lastId }, agent: new http.Agent({ keepAlive: false }) });
    expect((await again.opened).statusCode).toBe(200);
    const upTo = produced.at(-1)!;
    await waitFor('the reconnected viewer to catch up', () => again.windows().some((e) => e.id === upTo), 30_000);
    writing = false;
    await writer;
    const got = new Set([...before, ...again.windows().map((e) => e.id!)]);
    const firstSeen = produced.indexOf(before[0]!);
    const expected = produced.slice(firstSeen, produced.indexOf(upTo) + 1);
    expect(expected.filter((id) => !got.has(id))).toEqual([]); // no window missed
    expect(again.events.some((e) => e.event === 'reset')).toBe(false);
    expect(again.windows().map((e) => e.id).filter((id) => before.includes(id!))).toEqual([]); // nothing twice
    for (const v of viewers) v.stream.close();
    again.close();

    // ---- exact counts from every live worker (the restarted one included) equal the accepted events: every
    // retry counted once (Kafka Streams dedups (user_id, event_id) across instances), and each worker answers
    // for the whole match through the interactive queries across instances (the internal listeners).
    const want: Record<string, number> = {};
    for (const e of accepted.values()) want[e] = (want[e] ?? 0) + 1;
    const wantText = JSON.stringify(Object.entries(want).sort());
    const exactFrom = new Map<string, Record<string, number>>();
    const liveInstances = async () => new Set((await deployment()).filter((i) => i.age_ms < 5000).map((i) => i.instance_id));
    await waitFor(
      () => `exact counts ${wantText} from 3 workers; got ${JSON.stringify([...exactFrom])}`,
      async () => {
        const a = await call('GET', `/v1/counts?match=${MATCH}`);
        if (a.status === 200 && a.instance) exactFrom.set(a.instance, a.body.totals);
        const live = await liveInstances();
        const right = [...exactFrom].filter(([id, t]) => live.has(id) && JSON.stringify(Object.entries(t).sort()) === wantText);
        return right.length >= 3 && live.size === 3;
      },
      120_000,
      300,
    );
    for (const totals of exactFrom.values()) for (const [e, n] of Object.entries(totals)) expect(n).toBeLessThanOrEqual(want[e] ?? 0);
  }, 480_000);
});
