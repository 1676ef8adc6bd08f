import { describe, expect, it } from 'vitest';
import { createInternalApp } from './internal.ts';
import { CountsUnavailableError, type LocalExactCounts } from '../streams/counts.ts';

const totals = (m: string) => ({ match_id: m, totals: { '🔥': 2 }, total: 2, as_of: '2026-11-30T16:00:00.000Z' });
const fake = (over: Partial<LocalExactCounts> = {}): LocalExactCounts => ({
  state: () => 'RUNNING',
  totals,
  windows: (m, f, t) => ({ match_id: m, from: new Date(f).toISOString(), to: new Date(t).toISOString(), windows: [] }),
  moments: (m, f, t) => ({ match_id: m, from: new Date(f).toISOString(), to: new Date(t).toISOString(), moments: [] }),
  topMoments: () => [],
  knowsMatch: (m) => m === 'known',
  localMatches: () => ({ partitions: [1], matches: [{ match_id: 'a', totals: { '🔥': 1 }, total: 1 }] }),
  instances: () => ({ self: '127.0.0.1:1', state: 'RUNNING', partitions: 2, instances: [] }),
  ...over,
});
const post = (app: ReturnType<typeof createInternalApp>, q: string, args: unknown, headers: Record<string, string> = {}) =>
  app.request(`/internal/v1/exact/${q}`, { method: 'POST', body: JSON.stringify({ args }), headers: { 'content-type': 'application/json', ...headers } });

describe('internal app (peers query the exact counts held here)', () => {
  it('answers a query from the local stores', async () => {
    const app = createInternalApp({ local: () => fake(), token: null });
    const r = await post(app, 'totals', ['ind-aus']);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ result: totals('ind-aus') });
    expect(await (await post(app, 'knowsMatch', ['known'])).json()).toEqual({ result: true });
    expect(await (await post(app, 'localMatches', [])).json()).toEqual({ result: fake().localMatches() });
    expect(await (await app.request('/internal/healthz')).json()).toEqual({ ok: true, state: 'RUNNING' });
  });

  it('refuses unknown queries, prototype names and bad arguments', async () => {
    const app = createInternalApp({ local: () => fake(), token: null });
    expect((await post(app, 'close', [])).status).toBe(404);
    expect((await post(app, '__proto__', [])).status).toBe(404);
    expect((await post(app, 'totals', ['bad id!'])).status).toBe(400);
    expect((await post(app, 'windows', ['m', 0])).status).toBe(400);
    expect((await post(app, 'moments', ['m', 0, 1, -1])).status).toBe(400);
    expect((await post(app, 'windows', ['m', 0, 1.5])).status).toBe(400);
  });

  it('answers 503 with the state when the key is not held here (rebalancing, moved) or nothing runs', async () => {
    const moved = fake({ totals: () => { throw new CountsUnavailableError('REBALANCING', 'not the active owner of ind-aus'); } });
    const r = await post(createInternalApp({ local: () => moved, token: null }), 'totals', ['ind-aus']);
    expect(r.status).toBe(503);
    expect(await r.json()).toEqual({ error: { code: 'unavailable', state: 'REBALANCING', message: 'not the active owner of ind-aus' } });
    const none = await post(createInternalApp({ local: () => null, token: null }), 'totals', ['ind-aus']);
    expect(none.status).toBe(503);
    expect(((await none.json()) as { error: { state: string } }).error.state).toBe('NOT_STARTED');
  });

  it('with INTERNAL_TOKEN, refuses a caller without the shared secret', async () => {
    const token = 's'.repeat(24);
    const app = createInternalApp({ local: () => fake(), token });
    expect((await post(app, 'totals', ['m'])).status).toBe(401);
    expect((await post(app, 'totals', ['m'], { authorization: `Bearer ${'t'.repeat(24)}` })).status).toBe(401);
    expect((await app.request('/internal/healthz')).status).toBe(401);
    expect((await post(app, 'totals', ['m'], { authorization: `Bearer ${token}` })).status).toBe(200);
  });
});
