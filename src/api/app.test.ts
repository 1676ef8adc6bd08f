import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import type { ValidEvent } from '../domain/event.ts';
import { IdempotencyConflictError, UnavailableError } from '../ports/ingest.ts';
import { createApp, type AppDeps } from './app.ts';

const config = loadConfig({ KAFKA_BROKERS: '127.0.0.1:1', MAX_BATCH_EVENTS: '3', MAX_BODY_BYTES: '2048', RETRY_AFTER_S: '7' });
const NOW = Date.parse('2026-11-28T15:00:01.262Z');
const good = { user_id: 'u-17', emoji_type: '🔥', timestamp: '2026-11-28T15:00:01.250Z', match_id: 'ind-aus' };

function setup(over: Partial<AppDeps> = {}) {
  const written: ValidEvent[][] = [];
  let fail: Error | null = null;
  const app = createApp({
    config,
    now: () => NOW,
    log: () => {},
    ingest: {
      submit: async (events) => {
        if (fail) throw fail;
        written.push(events);
      },
    },
    ...over,
  });
  const post = (path: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    app.request(path, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { app, written, post, failWith: (e: Error | null) => (fail = e) };
}

describe('POST /v1/emoji', () => {
  it('answers 202 with the event_id after the ingest service accepted the normalized event', async () => {
    const { post, written } = setup();
    const res = await post('/v1/emoji', good);
    expect(res.status).toBe(202);
    const { event_id } = (await res.json()) as { event_id: string };
    expect(written).toEqual([[{ ...good, event_id }]]); // received_at is the write path's stamp
  });

  it('refuses bad events with 400 naming the field, and writes nothing', async () => {
    const { post, written } = setup();
    const res = await post('/v1/emoji', { ...good, emoji_type: '🍕' });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; field: string; message: string } };
    expect(body.error).toMatchObject({ code: 'unknown_emoji', field: 'emoji_type' });
    expect(body.error.message).toContain(config.ingest.palette.join(' '));
    expect(written).toEqual([]);
  });

  it('refuses wrong content type (415), malformed JSON (400) and big bodies (413) before parsing', async () => {
    const { post, written } = setup();
    expect((await post('/v1/emoji', good, { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post('/v1/emoji', good, {})).status).toBe(415);
    const bad = await post('/v1/emoji', '{"user_id":');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'malformed_json' } });
    const big = await post('/v1/emoji', { ...good, user_id: 'x'.repeat(3000) });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: { code: 'body_too_large' } });
    expect(written).toEqual([]);
  });

  it('accepts application/json with a charset and +json types', async () => {
    const { post } = setup();
    expect((await post('/v1/emoji', good, { 'content-type': 'application/json; charset=utf-8' })).status).toBe(202);
    expect((await post('/v1/emoji', good, { 'content-type': 'application/vnd.emoji+json' })).status).toBe(202);
  });

  it('answers 503 with Retry-After when the ingest service is unavailable', async () => {
    const { post, failWith } = setup();
    failWith(new UnavailableError('kafka_unavailable', 'Kafka is unavailable: ECONNREFUSED'));
    const res = await post('/v1/emoji', good);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(await res.json()).toMatchObject({ error: { code: 'unavailable' } });
    failWith(new UnavailableError('buffer_full', 'full'));
    expect(await (await post('/v1/emoji', good)).json()).toMatchObject({ error: { code: 'overloaded', outcome: 'not_written' } });
    // a produce that timed out: the event may be in Kafka, and the answer says so
    failWith(new UnavailableError('kafka_unavailable', 'Kafka did not acknowledge within 4000 ms', undefined, 'unknown'));
    const unknown = (await (await post('/v1/emoji', good)).json()) as { error: { outcome: string; message: string } };
    expect(unknown.error.outcome).toBe('unknown');
    expect(unknown.error.message).toContain('may have been written; retry with the same event_id');
  });

  it('answers 409 naming the field when an event_id is reused for another payload', async () => {
    const { post, failWith } = setup();
    failWith(new IdempotencyConflictError(1, 'k-1'));
    const res = await post('/v1/emoji/batch', [good, { ...good, event_id: 'k-1' }]);
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ error: { code: 'idempotency_conflict', field: '[1].event_id' } });
    const one = await post('/v1/emoji', { ...good, event_id: 'k-1' });
    expect(await one.json()).toMatchObject({ error: { code: 'idempotency_conflict', field: 'event_id' } });
  });

  it('hides unexpected errors behind a JSON 500', async () => {
    const { post, failWith } = setup();
    failWith(new Error('secret detail'));
    const res = await post('/v1/emoji', good);
    expect(res.status).toBe(500);
    expect(JSON.stringify(await res.json())).not.toContain('secret');
  });
});

describe('POST /v1/emoji/batch', () => {
  it('accepts an all-valid array with one submit and lists the ids', async () => {
    const { post, written } = setup();
    const res = await post('/v1/emoji/batch', [good, { ...good, user_id: 'u-2', event_id: 'mine-1' }]);
    expect(res.status).toBe(202);
    const body = (await res.json()) as { accepted: number; event_ids: string[] };
    expect(body.accepted).toBe(2);
    expect(body.event_ids[1]).toBe('mine-1');
    expect(written).toHaveLength(1);
    expect(written[0]!.map((e) => e.event_id)).toEqual(body.event_ids);
  });

  it('refuses the whole batch listing each bad index and field', async () => {
    const { post, written } = setup();
    const res = await post('/v1/emoji/batch', [good, { ...good, emoji_type: 'x' }, { ...good, timestamp: NOW + 3_600_000 }]);
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { code: string; field: string; message: string; details: { index: number; field: string }[] } };
    expect(error.code).toBe('invalid_batch');
    expect(error.field).toBe('[1].emoji_type');
    expect(error.details.map((d) => [d.index, d.field])).toEqual([[1, 'emoji_type'], [2, 'timestamp']]);
    expect(error.message).toContain('2 of 3');
    expect(written).toEqual([]);
  });

  it('keeps the refusal of a hostile batch small: 20 details, the total, and the code in the request metrics', async () => {
    const big = loadConfig({ KAFKA_BROKERS: '127.0.0.1:1' });
    const { app } = setup({ config: big });
    const junk: Record<string, unknown> = { ...good };
    for (let i = 0; i < 45; i++) junk[`unknown_key_${i}`] = i;
    const body = JSON.stringify(Array.from({ length: 1000 }, () => junk));
    expect(body.length).toBeGreaterThan(0.9 * 1024 * 1024); // ~1 MiB, under MAX_BODY_BYTES
    const res = await app.request('/v1/emoji/batch', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text.length).toBeLessThan(16 * 1024);
    const { error } = JSON.parse(text) as { error: { code: string; field: string; message: string; details: unknown[]; details_total: number } };
    expect(error).toMatchObject({ code: 'invalid_batch', field: '[0].unknown_key_0', details_total: 1000 });
    expect(error.details).toHaveLength(20);
    expect(error.message).toContain('1000 of 1000 events are invalid');
    const metrics = await (await app.request('/metrics')).text();
    expect(metrics).toMatch(/emostream_ingest_refused_total\{endpoint="batch",status="400",code="invalid_batch"\} [1-9]/);
  });

  it('refuses non-arrays, empty and oversized batches', async () => {
    const { post } = setup();
    expect((await post('/v1/emoji/batch', good)).status).toBe(400);
    expect((await post('/v1/emoji/batch', [])).status).toBe(400);
    expect((await post('/v1/emoji/batch', [good, good, good, good])).status).toBe(413);
  });
});

describe('health, 404 and mounting', () => {
  it('reports alive, and ready only when every check passes', async () => {
    let kafkaOk = true;
    const { app } = setup({
      ingest: { submit: async () => {}, readiness: async () => [{ name: 'kafka', ok: kafkaOk }] },
      readiness: [() => ({ name: 'spark', ok: true, detail: 'running' }), async () => { throw new Error('streams down'); }],
    });
    const alive = await app.request('/healthz');
    expect(alive.status).toBe(200);
    expect(((await alive.json()) as { node: string }).node).toBe(process.version); // the runtime serving, e.g. v24.22.3
    const res = await app.request('/readyz');
    expect(res.status).toBe(503);
    const body = (await res.json()) as { checks: { name: string; ok: boolean; detail?: string }[] };
    expect(body.checks.map((c) => [c.ok])).toEqual([[true], [true], [false]]);
    expect(body.checks[2]!.detail).toBe('streams down');
    kafkaOk = false;
    expect(((await (await app.request('/readyz')).json()) as { checks: { ok: boolean }[] }).checks[0]!.ok).toBe(false);
  });

  it('answers unknown routes with a JSON 404 and mounts the routes of the parts it is given', async () => {
    expect((await setup().app.request('/v1/counts?match=m')).status).toBe(404); // no exact counts: no route
    const totals = { match_id: 'm', totals: {}, total: 0, as_of: new Date(NOW).toISOString() };
    const counts = { totals: () => totals, windows: () => ({ match_id: 'm', from: '', to: '', windows: [] }), state: () => 'RUNNING', readiness: () => ({ name: 'kafka-streams', ok: true }) };
    const { app } = setup({ counts });
    expect(await (await app.request('/v1/counts?match=m')).json()).toEqual(totals);
    const res = await app.request('/nope');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'not_found' } });
  });
});
