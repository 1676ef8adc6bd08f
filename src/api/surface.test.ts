import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { requestIdHeader, securityHeaders } from './surface.ts';

// On @hono/node-server the request id and the secure headers are written on the Node response (the fast
// path); under app.request Hono's own middlewares run. Both must answer the same headers.
function app() {
  const a = new Hono();
  a.use('*', requestIdHeader(64));
  a.use('*', securityHeaders());
  a.post('/v1/emoji', (c) => c.json({ id: c.get('requestId') }, 202));
  a.get('/fail', (c) => c.json({ error: 'no' }, { status: 400, headers: { 'x-frame-options': 'SAMEORIGIN' } }));
  return a;
}

const headersOf = (h: Headers) =>
  Object.fromEntries([...h].filter(([k]) => !['date', 'connection', 'keep-alive', 'content-length', 'x-request-id'].includes(k)));

describe('request id and secure headers on the Node response', () => {
  it('answers the same headers as Hono’s middlewares, with the request id echoed and replaced when malformed', async () => {
    const a = app();
    const server = serve({ fetch: a.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((r) => server.once('listening', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const viaNode = await fetch(`${url}/v1/emoji`, { method: 'POST', headers: { 'x-request-id': 'abc-123_X=' } });
      const viaHono = await a.request('/v1/emoji', { method: 'POST', headers: { 'x-request-id': 'abc-123_X=' } });
      expect(viaNode.status).toBe(202);
      expect(headersOf(viaNode.headers)).toEqual(headersOf(viaHono.headers));
      expect(headersOf(viaNode.headers)['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(viaNode.headers.get('x-request-id')).toBe('abc-123_X=');
      expect(await viaNode.json()).toEqual({ id: 'abc-123_X=' });
      const bad = await fetch(`${url}/v1/emoji`, { method: 'POST', headers: { 'x-request-id': 'a b<script>' } });
      expect(bad.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect((await bad.json()).id).toBe(bad.headers.get('x-request-id'));
      // secure-headers overwrite a handler's value under Hono; on the Node response the handler's stands
      const fail = await fetch(`${url}/fail`);
      expect(fail.status).toBe(400);
      expect(fail.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(fail.headers.get('x-content-type-options')).toBe('nosniff');
    } finally {
      server.close();
    }
  });
});
