import { describe, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { loadConfig } from '../../config.ts';
import { CountsUnavailableError, type CountsFacade, type ExactWindows } from '../../streams/counts.ts';

const NOW = Date.parse('2026-11-28T15:00:10.000Z');

function fake(state = 'RUNNING') {
  const calls: [string, number, number][] = [];
  const facade: CountsFacade = {
    state: () => state,
    readiness: () => ({ name: 'kafka-streams', ok: state === 'RUNNING', detail: state }),
    totals(match) {
      if (state !== 'RUNNING') throw new CountsUnavailableError(state, `exact counts are not queryable (Kafka Streams is ${state})`);
      return { match_id: match, totals: { '🔥': 3, '😀': 1 }, total: 4, as_of: new Date(NOW).toISOString() };
    },
    windows(match, from, to): ExactWindows {
      calls.push([match, from, to]);
      return { match_id: match, from: new Date(from).toISOString(), to: new Date(to).toISOString(), windows: [] };
    },
  };
  return { facade, calls };
}

function app(state = 'RUNNING') {
  const f = fake(state);
  const config = loadConfig({ KAFKA_BROKERS: '127.0.0.1:1' });
  const a = createApp({ config, ingest: { submit: async () => {} }, counts: f.facade, now: () => NOW });
  return { app: a, calls: f.calls };
}

describe('GET /v1/counts', () => {
  it('returns the totals of a match', async () => {
    const res = await app().app.request('/v1/counts?match=ind-aus');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ match_id: 'ind-aus', totals: { '🔥': 3, '😀': 1 }, total: 4, as_of: '2026-11-28T15:00:10.000Z' });
  });

  it('refuses a missing or malformed match, naming the field', async () => {
    for (const q of ['', '?match=', '?match=a%20b', `?match=${'x'.repeat(65)}`]) {
      const res = await app().app.request(`/v1/counts${q}`);
      expect(res.status).toBe(400);
      expect((await res.json()).error.field).toBe('match');
    }
  });

  it('answers 503 with Retry-After while the topology is not queryable', async () => {
    const res = await app('REBALANCING').app.request('/v1/counts?match=m1');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('2');
    expect((await res.json()).error.code).toBe('unavailable');
  });
});

describe('GET /v1/counts/windows', () => {
  it('accepts ISO and epoch-ms bounds', async () => {
    const a = app();
    const from = Date.parse('2026-11-28T15:00:00.000Z');
    let res = await a.app.request(`/v1/counts/windows?match=m1&from=2026-11-28T15:00:00.000Z&to=${from + 4000}`);
    expect(res.status).toBe(200);
    expect((await res.json()).windows).toEqual([]);
    res = await a.app.request('/v1/counts/windows?match=m1&from=2026-11-28T16:00:00%2B01:00&to=2026-11-28T15:00:06Z');
    expect(res.status).toBe(200);
    expect(a.calls).toEqual([
      ['m1', from, from + 4000],
      ['m1', from, from + 6000],
    ]);
  });

  it('defaults to the last minute', async () => {
    const a = app();
    await a.app.request('/v1/counts/windows?match=m1');
    expect(a.calls).toEqual([['m1', NOW - 60_000, NOW]]);
  });

  it('refuses bad bounds with a 400 naming the field', async () => {
    const cases: [string, string][] = [
      ['from=yesterday', 'from'],
      ['to=2026-11-28', 'to'],
      ['from=12.5', 'from'],
      ['from=2026-11-28T15:00:04Z&to=2026-11-28T15:00:00Z', 'from'],
      ['from=0&to=86400000', 'to'],
    ];
    for (const [q, field] of cases) {
      const res = await app().app.request(`/v1/counts/windows?match=m1&${q}`);
      expect(res.status, q).toBe(400);
      const body = await res.json();
      expect(body.error.field, q).toBe(field);
      expect(typeof body.error.message).toBe('string');
    }
  });
});

describe('/status', () => {
  it('reports the topology state (not /readyz: counts down does not take the instance out of rotation)', async () => {
    const checks = async (state: string) => ((await (await app(state).app.request('/status')).json()) as { checks: unknown[] }).checks;
    expect(await checks('RUNNING')).toEqual([{ name: 'kafka-streams', ok: true, detail: 'RUNNING' }]);
    expect(await checks('ERROR')).toEqual([{ name: 'kafka-streams', ok: false, detail: 'ERROR' }]);
  });
});
