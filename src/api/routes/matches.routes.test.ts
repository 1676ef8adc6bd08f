import { describe, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { loadConfig } from '../../config.ts';
import type { MomentRecord } from '../../domain/moment.ts';
import { MoodCurves } from '../../domain/mood-curve.ts';
import { CountsUnavailableError, type CountsFacade, type MomentsFacade } from '../../streams/counts.ts';
import { openapiDocument } from './openapi.routes.ts';

const NOW = Date.parse('2026-11-28T15:10:00.000Z');
const moment = (startIso: string, score: number, peak = '🔥'): MomentRecord => ({
  match_id: 'ind-aus', window_start: startIso, window_end: new Date(Date.parse(startIso) + 2000).toISOString(),
  peak_emoji: peak, peak_count: 900, peak_baseline: 20, total: 950, total_baseline: 60, trigger: peak, score,
  baseline_windows: 30, counts: { [peak]: 900, '😀': 50 },
});

function app(state = 'RUNNING', moods: MoodCurves | null = null) {
  const calls: unknown[][] = [];
  const unavailable = () => {
    if (state !== 'RUNNING') throw new CountsUnavailableError(state, `exact counts are not queryable (Kafka Streams is ${state})`);
  };
  const counts: CountsFacade = {
    state: () => state,
    readiness: () => ({ name: 'kafka-streams', ok: state === 'RUNNING', detail: state }),
    totals: (match) => (unavailable(), { match_id: match, totals: { '🔥': 1900, '😀': 300 }, total: 2200, as_of: new Date(NOW).toISOString() }),
    windows: () => { throw new Error('not used'); },
  };
  const moments: MomentsFacade = {
    knowsMatch: (m) => (unavailable(), m === 'ind-aus'),
    moments(match, from, to, limit) {
      calls.push(['moments', match, from, to, limit]);
      return { match_id: match, from: new Date(from).toISOString(), to: new Date(to).toISOString(), moments: [moment('2026-11-28T15:05:00.000Z', 40)] };
    },
    topMoments(match, k) {
      calls.push(['top', match, k]);
      return [moment('2026-11-28T15:05:00.000Z', 40), moment('2026-11-28T15:01:00.000Z', 12, '😡')].slice(0, k);
    },
  };
  const config = loadConfig({ KAFKA_BROKERS: '127.0.0.1:1' });
  return { app: createApp({ config, ingest: { submit: async () => {} }, counts, moments, moods, now: () => NOW }), calls };
}

describe('GET /v1/matches/:id/moments', () => {
  it('lists the moments of a time range, by default everything still retained (24 h)', async () => {
    const a = app();
    const res = await a.app.request('/v1/matches/ind-aus/moments');
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.moments[0].peak_emoji).toBe('🔥');
    expect(a.calls).toEqual([['moments', 'ind-aus', NOW - 86_400_000, NOW, 100]]);
    await a.app.request('/v1/matches/ind-aus/moments?from=2026-11-28T15:00:00Z&to=1795878060000&limit=3');
    expect(a.calls[1]).toEqual(['moments', 'ind-aus', Date.parse('2026-11-28T15:00:00Z'), 1795878060000, 3]);
  });

  it('answers an unknown match with 404 and a malformed one, a bad range or limit with 400, naming the field', async () => {
    const cases: [string, number, string, string][] = [
      ['/v1/matches/nobody/moments', 404, 'unknown_match', 'id'],
      ['/v1/matches/a%20b/moments', 400, 'invalid_format', 'id'],
      ['/v1/matches/ind-aus/moments?from=yesterday', 400, 'invalid_format', 'from'],
      ['/v1/matches/ind-aus/moments?to=2026-13-01', 400, 'invalid_format', 'to'],
      ['/v1/matches/ind-aus/moments?from=2000&to=1000', 400, 'invalid_range', 'from'],
      ['/v1/matches/ind-aus/moments?limit=0', 400, 'invalid_format', 'limit'],
      ['/v1/matches/ind-aus/moments?limit=abc', 400, 'invalid_format', 'limit'],
      ['/v1/matches/nobody/summary', 404, 'unknown_match', 'id'],
      ['/v1/matches/ind-aus/summary?points=0', 400, 'invalid_format', 'points'],
      ['/v1/matches/ind-aus/summary?moments=51', 400, 'invalid_format', 'moments'],
    ];
    for (const [url, status, code, field] of cases) {
      const res = await app().app.request(url);
      expect(res.status, url).toBe(status);
      expect(res.headers.get('content-type'), url).toMatch(/application\/json/);
      expect((await res.json()).error, url).toMatchObject({ code, field });
    }
  });

  it('is 503 with Retry-After while Kafka Streams is not queryable', async () => {
    for (const url of ['/v1/matches/ind-aus/moments', '/v1/matches/ind-aus/summary']) {
      const res = await app('REBALANCING').app.request(url);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('2');
      expect((await res.json()).error.code).toBe('unavailable');
    }
  });
});

describe('OpenAPI', () => {
  it('describes both routes, their 400/404/503 and the moment record', () => {
    const paths = openapiDocument(loadConfig({})).paths as Record<string, { get: { responses: Record<string, unknown> } }>;
    for (const p of ['/v1/matches/{id}/moments', '/v1/matches/{id}/summary']) {
      expect(Object.keys(paths[p]!.get.responses).sort(), p).toEqual(['200', '400', '404', '503']);
    }
    expect(JSON.stringify(paths['/v1/matches/{id}/moments'])).toContain('peak_emoji');
  });
});

describe('GET /v1/matches/:id/summary', () => {
  it('puts the exact totals, the top moments and the mood curve in one response', async () => {
    const moods = new MoodCurves();
    const T0 = Date.parse('2026-11-28T15:00:00.000Z');
    for (let i = 0; i < 300; i++) {
      moods.add({ match_id: 'ind-aus', window_start: new Date(T0 + i * 2000).toISOString(), window_end: new Date(T0 + i * 2000 + 2000).toISOString(), total: 10, mood: { score: i < 150 ? -0.5 : 0.5, feeling: 'x' } });
    }
    const a = app('RUNNING', moods);
    const res = await a.app.request('/v1/matches/ind-aus/summary?moments=1&points=10');
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ match_id: 'ind-aus', totals: { '🔥': 1900, '😀': 300 }, total: 2200, as_of: new Date(NOW).toISOString() });
    expect(body.top_moments.map((m: MomentRecord) => m.score)).toEqual([40]);
    expect(a.calls).toContainEqual(['top', 'ind-aus', 1]);
    expect(body.mood_curve).toMatchObject({ mood_available: true, windows: 300, downsampled: true });
    expect(body.mood_curve.points).toHaveLength(10);
    expect(body.mood_curve.points[0]).toMatchObject({ score: -0.5, windows: 30, window_start: '2026-11-28T15:00:00.000Z' });
    expect(body.mood_curve.points[9]).toMatchObject({ score: 0.5, window_end: '2026-11-28T15:10:00.000Z' });
  });

  it('says so when no window carried a mood', async () => {
    const body = await (await app().app.request('/v1/matches/ind-aus/summary')).json();
    expect(body.mood_curve).toEqual({ mood_available: false, windows: 0, downsampled: false, points: [] });
    expect(body.top_moments).toHaveLength(2);
  });
});
