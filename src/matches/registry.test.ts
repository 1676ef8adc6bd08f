import { describe, expect, it } from 'vitest';
import { MatchRegistry, parseMatchRecord, type MatchRules } from './registry.ts';

const rules = (o: Partial<MatchRules> = {}): MatchRules => ({ policy: 'open', maxLive: 2, idleMs: 10_000, totalsRetentionMs: 60_000, ...o });

describe('MatchRegistry, open policy', () => {
  it('admits any id up to maxLive, refuses a new one beyond with 503 naming it, while live ones keep being admitted', () => {
    const m = new MatchRegistry(rules());
    expect(m.admit(['a'], 0)).toEqual({ ok: true });
    expect(m.admit(['b', 'a'], 1000)).toEqual({ ok: true });
    const r = m.admit(['c'], 2000);
    expect(r).toMatchObject({ ok: false, status: 503, code: 'too_many_live_matches', matchId: 'c' });
    // a retires at 0 + 10 s (last event at 0... then 1000): the earliest retirement is a's, 8 s after 2000
    expect(r.ok === false && r.retryAfterS).toBe(9);
    expect(m.admit(['a'], 2000)).toEqual({ ok: true });
    expect(m.admit(['b'], 2000)).toEqual({ ok: true });
    expect(m.liveCount).toBe(2);
  });

  it('a batch naming a new match beyond the cap is refused whole (none admitted)', () => {
    const m = new MatchRegistry(rules());
    m.admit(['a'], 0);
    expect(m.admit(['b', 'c'], 0)).toMatchObject({ ok: false, code: 'too_many_live_matches' });
    expect(m.list().map((v) => v.match_id)).toEqual(['a']);
  });

  it('retires a match idle for idleMs (sweep), which frees its slot; a later event makes it live again', () => {
    const m = new MatchRegistry(rules());
    m.admit(['a'], 0);
    m.admit(['b'], 5_000);
    expect(m.sweep(9_999).retired).toEqual([]);
    expect(m.sweep(10_000).retired).toEqual(['a']);
    expect(m.admit(['c'], 10_000)).toEqual({ ok: true });
    expect(m.list().map((v) => v.match_id)).toEqual(['b', 'c']);
    expect(m.admit(['a'], 11_000)).toMatchObject({ ok: false, code: 'too_many_live_matches' });
    expect(m.admit(['a'], 15_000)).toEqual({ ok: true }); // b idle since 5 s: retired by the admission's own sweep
  });

  it('an event keeps its match live (least recently active retires first)', () => {
    const m = new MatchRegistry(rules());
    m.admit(['a'], 0);
    m.admit(['b'], 1_000);
    m.admit(['a'], 9_000);
    expect(m.sweep(11_000).retired).toEqual(['b']);
    expect(m.sweep(19_000).retired).toEqual(['a']);
  });

  it('subscriptions, queries and windows are not gated (only admitted events make windows)', () => {
    const m = new MatchRegistry(rules({ maxLive: 1 }));
    m.admit(['a'], 0);
    expect(m.subscribable('zzz', 0)).toEqual({ ok: true });
    expect(m.queryable('zzz', 0)).toEqual({ ok: true });
    expect(m.delivers('zzz', 0)).toBe(true);
    expect(m.retire('a')).toBe(true);
    expect(m.retire('a')).toBe(false);
  });
});

describe('MatchRegistry, registered policy', () => {
  const reg = () => new MatchRegistry(rules({ policy: 'registered' }));

  it('unknown ids are 404 for events, subscriptions and queries', () => {
    const m = reg();
    for (const r of [m.admit(['x'], 0), m.subscribable('x', 0), m.queryable('x', 0)]) {
      expect(r).toMatchObject({ ok: false, status: 404, code: 'unknown_match', matchId: 'x' });
    }
    expect(m.delivers('x', 0)).toBe(false);
  });

  it('an opened match admits events and viewers; closed, it refuses both with 409 but stays queryable for the retention', () => {
    const m = reg();
    const open = m.openRecord('final', 1_000)!;
    expect(open).toEqual({ match_id: 'final', state: 'open', opened_at: 1_000, closed_at: null });
    m.apply('final', open);
    expect(m.openRecord('final', 2_000)).toBeNull(); // already open
    expect(m.admit(['final'], 2_000)).toEqual({ ok: true });
    expect(m.subscribable('final', 2_000)).toEqual({ ok: true });
    const closed = m.closeRecord('final', 5_000)!;
    expect(closed).toEqual({ match_id: 'final', state: 'closed', opened_at: 1_000, closed_at: 5_000 });
    m.apply('final', closed);
    expect(m.closeRecord('final', 6_000)).toBeNull();
    expect(m.admit(['final'], 6_000)).toMatchObject({ ok: false, status: 409, code: 'match_closed' });
    expect(m.subscribable('final', 6_000)).toMatchObject({ ok: false, status: 409, code: 'match_closed' });
    expect(m.queryable('final', 6_000)).toEqual({ ok: true });
    // windows that started before the close still reach the viewers; later ones do not
    expect(m.delivers('final', 4_000)).toBe(true);
    expect(m.delivers('final', 5_000)).toBe(false);
    // forgotten after the retention
    expect(m.sweep(64_999).forgotten).toEqual([]);
    expect(m.queryable('final', 65_000)).toMatchObject({ ok: false, status: 404 });
    expect(m.sweep(65_000).forgotten).toEqual(['final']);
    expect(m.list()).toEqual([]);
  });

  it('a batch naming one unregistered match is refused whole', () => {
    const m = reg();
    m.apply('a', m.openRecord('a', 0)!);
    expect(m.admit(['a', 'b'], 0)).toMatchObject({ ok: false, code: 'unknown_match', matchId: 'b' });
    expect(m.list()[0]!.last_event_at).toBeNull();
    expect(m.admit(['a'], 3_000)).toEqual({ ok: true });
    expect(m.list()[0]).toMatchObject({ match_id: 'a', state: 'open', last_event_at: new Date(3_000).toISOString() });
  });

  it('a tombstone (null) forgets the match; a closed match can be opened again', () => {
    const m = reg();
    m.apply('a', m.openRecord('a', 0)!);
    m.apply('a', m.closeRecord('a', 10)!);
    const again = m.openRecord('a', 20)!;
    expect(again.state).toBe('open');
    m.apply('a', again);
    expect(m.admit(['a'], 30)).toEqual({ ok: true });
    m.apply('a', null);
    expect(m.admit(['a'], 40)).toMatchObject({ code: 'unknown_match' });
  });
});

describe('parseMatchRecord', () => {
  it('reads the log records and refuses anything else', () => {
    expect(parseMatchRecord('{"match_id":"a","state":"open","opened_at":1,"closed_at":null}')).toEqual({ match_id: 'a', state: 'open', opened_at: 1, closed_at: null });
    expect(parseMatchRecord('{"match_id":"a","state":"closed","opened_at":1,"closed_at":2}')?.closed_at).toBe(2);
    for (const bad of ['nope', 'null', '{"match_id":"a","state":"gone","opened_at":1,"closed_at":null}', '{"match_id":"a","state":"closed","opened_at":1,"closed_at":null}', '{"state":"open","opened_at":1,"closed_at":null}']) {
      expect(parseMatchRecord(bad)).toBeNull();
    }
  });
});
