import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import { describe, expect, it } from 'vitest';
import type { Fields, Logger } from '../log.ts';
import { accessLog } from './access-log.ts';

function recorder() {
  const lines: { msg: string; fields?: Fields }[] = [];
  const log: Logger = {
    debug: () => {},
    info: (msg, fields) => lines.push({ msg, fields }),
    warn: () => {},
    error: () => {},
    child: () => log,
    isLevelEnabled: () => true,
  };
  return { lines, log };
}

function app(mode: 'all' | 'refusals' | 'off') {
  const { lines, log } = recorder();
  const a = new Hono();
  a.use('*', requestId({ limitLength: 64 }));
  a.use('*', accessLog(log, mode));
  a.get('/v1/things/:id', (c) => c.json({ ok: true }));
  return { a, lines };
}

describe('accessLog', () => {
  it('logs the route pattern, status and the request id echoed as X-Request-Id, never the raw path', async () => {
    const { a, lines } = app('all');
    const res = await a.request('/v1/things/%0D%0Aevil?q=%0D%0Aalso');
    expect(res.status).toBe(200);
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.fields).toMatchObject({ req_id: id, method: 'GET', route: '/v1/things/:id', status: 200 });
    expect(JSON.stringify(lines)).not.toMatch(/evil|also/);
  });

  it('keeps a well-formed client X-Request-Id and replaces one with other characters', async () => {
    const { a, lines } = app('all');
    expect((await a.request('/v1/things/1', { headers: { 'x-request-id': 'abc-123_X=' } })).headers.get('x-request-id')).toBe('abc-123_X=');
    const res = await a.request('/v1/things/1', { headers: { 'x-request-id': 'a b<script>' } });
    expect(res.headers.get('x-request-id')).not.toContain('script');
    expect(JSON.stringify(lines)).not.toContain('script');
  });

  it('refusals: only status >= 400; unmatched routes are labelled, not echoed; off: nothing', async () => {
    const r = app('refusals');
    await r.a.request('/v1/things/1');
    await r.a.request('/nowhere/secret-looking-path');
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]!.fields).toMatchObject({ route: 'unmatched', status: 404 });
    expect(JSON.stringify(r.lines)).not.toContain('secret');
    const off = app('off');
    await off.a.request('/nowhere');
    expect(off.lines).toHaveLength(0);
  });
});
