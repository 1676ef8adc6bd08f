import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import { isLoopbackHost } from './admin.ts';
import { createApp } from './app.ts';
import { withoutPaths } from './routes/health.routes.ts';

const TOKEN = 'test-admin-token-0123456789';

function app(env: Record<string, string>) {
  const config = loadConfig({ KAFKA_BROKERS: '127.0.0.1:1', FAULT_INJECTION: 'true', ...env });
  return createApp({
    config,
    log: () => {},
    ingest: { submit: async () => {}, readiness: async () => [{ name: 'kafka', ok: false, detail: 'see /var/lib/emostream/data/kafka/broker.log' }] },
    status: [() => ({ name: 'spark', ok: true, detail: 'pid 4242' })],
    faults: { failStreamRecords: () => {} },
  });
}
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

describe('isLoopbackHost', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['localhost', true],
    ['::1', true],
    ['[::1]', true],
    ['::ffff:127.0.0.1', true],
    ['0.0.0.0', false],
    ['::', false],
    ['10.0.0.7', false],
    ['128.0.0.1', false],
    ['example.com', false],
  ])('%s → %s', (host, loopback) => expect(isLoopbackHost(host)).toBe(loopback));
});

describe('the admin guard', () => {
  it('leaves /metrics, /status details and /faults open on a loopback HOST without ADMIN_TOKEN', async () => {
    const a = app({});
    expect((await a.request('/metrics')).status).toBe(200);
    const status = (await (await a.request('/status')).json()) as { checks: { detail?: string }[] };
    expect(status.checks.map((c) => c.detail)).toContain('pid 4242');
    expect((await a.request('/faults/kafka-streams', { method: 'POST', body: '{"records":1}' })).status).toBe(202);
  });

  it('refuses them with 403 admin_disabled on a public HOST without ADMIN_TOKEN, and /status hides details', async () => {
    const a = app({ HOST: '0.0.0.0' });
    const m = await a.request('/metrics');
    expect(m.status).toBe(403);
    expect(await m.json()).toMatchObject({ error: { code: 'admin_disabled' } });
    expect((await a.request('/faults/crash', { method: 'POST' })).status).toBe(403);
    const s = await a.request('/status');
    expect(s.status).toBe(503); // the summary still says what is down
    const body = (await s.json()) as { checks: { name: string; ok: boolean; detail?: string }[] };
    expect(body.checks).toEqual([
      { name: 'kafka', ok: false },
      { name: 'spark', ok: true },
    ]);
  });

  it('with ADMIN_TOKEN: 401 + WWW-Authenticate without or with a wrong token, 400 for a malformed header, 200 with it', async () => {
    for (const host of ['127.0.0.1', '0.0.0.0']) {
      const a = app({ HOST: host, ADMIN_TOKEN: TOKEN });
      const none = await a.request('/metrics');
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toContain('Bearer');
      expect(await none.json()).toMatchObject({ error: { code: 'unauthorized' } });
      const wrong = await a.request('/metrics', { headers: bearer(`${TOKEN}x`) });
      expect(wrong.status).toBe(401);
      expect((await a.request('/metrics', { headers: { authorization: 'Basic abc' } })).status).toBe(400);
      expect((await a.request('/metrics', { headers: bearer(TOKEN) })).status).toBe(200);
      expect((await a.request('/faults/crash', { method: 'POST', headers: bearer('nope-nope-nope-nope') })).status).toBe(401);
      const anon = (await (await a.request('/status')).json()) as { checks: { detail?: string }[] };
      expect(anon.checks.every((c) => c.detail === undefined)).toBe(true);
      const admin = (await (await a.request('/status', { headers: bearer(TOKEN) })).json()) as { checks: { detail?: string }[] };
      expect(admin.checks.map((c) => c.detail)).toContain('pid 4242');
    }
  });

  it('leaves the public routes alone', async () => {
    const a = app({ HOST: '0.0.0.0', ADMIN_TOKEN: TOKEN });
    expect((await a.request('/healthz')).status).toBe(200);
    expect((await a.request('/readyz')).status).toBe(503);
    expect((await a.request('/v1/palette')).status).toBe(200);
  });

  it('refuses an ADMIN_TOKEN that is short or not a bearer token', () => {
    expect(() => loadConfig({ ADMIN_TOKEN: 'short' })).toThrow(/ADMIN_TOKEN/);
    expect(() => loadConfig({ ADMIN_TOKEN: 'has spaces in it, not ok' })).toThrow(/ADMIN_TOKEN/);
  });
});

describe('readiness details', () => {
  it('carry no filesystem path on /readyz', async () => {
    const body = (await (await app({}).request('/readyz')).json()) as { checks: { detail: string }[] };
    expect(body.checks[0]!.detail).toBe('see [path]');
  });

  it.each([
    ['exited (1); see /tmp/x/spark.log', 'exited (1); see [path]'],
    ['log: /a/b c', 'log: [path] c'],
    ['(C:\\data\\kafka)', '([path])'],
    ['http://127.0.0.1:9092/x is fine', 'http://127.0.0.1:9092/x is fine'],
    ['3/4 partitions', '3/4 partitions'],
  ])('%s → %s', (input, out) => expect(withoutPaths(input)).toBe(out));
});
