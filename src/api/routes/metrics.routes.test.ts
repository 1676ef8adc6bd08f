import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { describe, expect, it } from 'vitest';
import { eventsAccepted, httpRequests } from '../../metrics/registry.ts';
import { metricsRoutes, requestMetrics } from './metrics.routes.ts';

/** The value of one sample in a Prometheus text exposition, or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{')) continue;
    const inside = line.slice(name.length + 1, line.lastIndexOf('}'));
    const got = Object.fromEntries([...inside.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

function app() {
  const a = new Hono();
  a.use('*', requestMetrics());
  a.get('/v1/things/:id', (c) => c.json({ id: c.req.param('id') }));
  a.post('/v1/boom', () => {
    throw new HTTPException(418, { message: 'teapot' });
  });
  // the app's onError notes the refusal's code on the context; the body is never parsed for it
  a.post('/v1/emoji', (c) => {
    c.set('errorCode', 'unknown_emoji');
    return c.json({ error: { code: 'not-what-is-counted', message: 'no' } }, 400);
  });
  a.post('/v1/emoji/batch', (c) => c.json({ accepted: 1 }, 202));
  a.onError((err, c) => c.json({ error: { code: 'x', message: err.message } }, err instanceof HTTPException ? err.status : 500));
  a.route('/', metricsRoutes());
  return a;
}

describe('GET /metrics and the request middleware', () => {
  it('counts requests by route pattern and status, errors and unmatched paths included', async () => {
    httpRequests.reset();
    const a = app();
    expect((await a.request('/v1/things/1')).status).toBe(200);
    expect((await a.request('/v1/things/2')).status).toBe(200);
    expect((await a.request('/v1/boom', { method: 'POST' })).status).toBe(418);
    expect((await a.request('/nowhere/at/all')).status).toBe(404);

    const res = await a.request('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(sample(text, 'emostream_http_requests_total', { method: 'GET', route: '/v1/things/:id', status: '200' })).toBe(2);
    expect(sample(text, 'emostream_http_requests_total', { method: 'POST', route: '/v1/boom', status: '418' })).toBe(1);
    expect(sample(text, 'emostream_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    // ingest refusals are counted with the code noted by onError (not re-parsed from the body); accepted ones are not
    expect((await a.request('/v1/emoji', { method: 'POST' })).status).toBe(400);
    expect((await a.request('/v1/emoji/batch', { method: 'POST' })).status).toBe(202);
    const text2 = await (await a.request('/metrics')).text();
    expect(sample(text2, 'emostream_ingest_refused_total', { endpoint: 'single', status: '400', code: 'unknown_emoji' })).toBe(1);
    expect(sample(text2, 'emostream_ingest_refused_total', { endpoint: 'batch' })).toBeUndefined();
    expect(text2).not.toContain('not-what-is-counted');
    // raw paths never become label values
    expect(text).not.toContain('/v1/things/1"');
    expect(text).not.toContain('/nowhere');
  });

  it('exposes the shared metric objects and the process metrics', async () => {
    eventsAccepted.inc({ endpoint: 'batch' }, 5);
    const text = await (await app().request('/metrics')).text();
    expect(sample(text, 'emostream_ingest_events_accepted_total', { endpoint: 'batch' })).toBeGreaterThanOrEqual(5);
    for (const name of [
      'emostream_ingest_refused_total',
      'emostream_producer_batch_records',
      'emostream_producer_send_seconds',
      'emostream_producer_buffer_events',
      'emostream_kafka_errors_total',
      'emostream_broadcast_viewers',
      'emostream_broadcast_windows_total',
      'emostream_broadcast_delivery_latency_seconds',
      'emostream_broadcast_disconnects_total',
      'emostream_consumer_lag_records',
      'emostream_spark_input_rows_per_second',
      'process_resident_memory_bytes',
    ]) {
      expect(text, name).toContain(`# TYPE ${name} `);
    }
  });
});
