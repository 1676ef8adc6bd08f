// Moments through the broadcast actors: `event: moment` to the match's viewers, once, and replayed after a
// Last-Event-ID like windows (window and moment ids share one history, in arrival order).
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import type { MomentRecord } from '../domain/moment.ts';
import { FakeTransport, broadcastConfig, testWindow } from '../../tests/support/broadcast.ts';
import { createBroadcastSystem } from './system.ts';

const T0 = Date.UTC(2026, 10, 28, 15, 0, 0);
const moment = (matchId: string, startMs: number): MomentRecord => ({
  match_id: matchId, window_start: new Date(startMs).toISOString(), window_end: new Date(startMs + 2000).toISOString(),
  peak_emoji: '🔥', peak_count: 5000, peak_baseline: 20, total: 5040, total_baseline: 60, trigger: '🔥', score: 300,
  baseline_windows: 30, counts: { '🔥': 5000, '😀': 40 },
});
const momentIds = (t: FakeTransport) => [...t.text().matchAll(/^id: (.+)\nevent: moment\ndata: (.+)\n\n/gm)].map((m) => m[1]!);

function setup() {
  const clock = new SimulatedClock();
  clock.set(T0);
  const { facade } = createBroadcastSystem({ broadcast: broadcastConfig(), clock });
  const join = (matchId: string | null, lastEventId: string | null = null) => {
    const sub = facade.subscribe({ matchId });
    if (!sub.ok) throw new Error(sub.code);
    const transport = new FakeTransport();
    const att = facade.attach({ clusterId: sub.clusterId, subscriptionId: sub.subscriptionId, matchId: null, lastEventId, transport });
    if (!att.ok) throw new Error(att.code);
    return transport;
  };
  return { facade, join };
}

describe('event: moment', () => {
  it("reaches every viewer of the match once, as `event: moment` with the moment's id", () => {
    const { facade, join } = setup();
    const viewers = Array.from({ length: 6 }, () => join('ind-aus'));
    const other = join('eng-nz');
    const all = join(null);
    facade.publishMoment(moment('ind-aus', T0));
    facade.publishMoment(moment('ind-aus', T0)); // re-read of emoji-moments: dropped
    for (const v of [...viewers, all]) expect(momentIds(v)).toEqual([`moment:ind-aus:${T0}`]);
    expect(momentIds(other)).toEqual([]);
    const data = JSON.parse(viewers[0]!.text().split('event: moment\ndata: ')[1]!.split('\n')[0]!);
    expect(data).toMatchObject({ peak_emoji: '🔥', score: 300, window_start: new Date(T0).toISOString() });
  });

  it('is replayed after a Last-Event-ID, in arrival order with the windows', () => {
    const { facade, join } = setup();
    facade.publish(testWindow('ind-aus', T0));
    facade.publish(testWindow('ind-aus', T0 + 2000));
    facade.publishMoment(moment('ind-aus', T0 + 2000));
    facade.publish(testWindow('ind-aus', T0 + 4000));
    const back = join('ind-aus', `ind-aus:${T0}`);
    const ids = [...back.text().matchAll(/^id: (.+)$/gm)].map((m) => m[1]);
    expect(ids).toEqual([`ind-aus:${T0 + 2000}`, `moment:ind-aus:${T0 + 2000}`, `ind-aus:${T0 + 4000}`]);
    // resuming from the moment's own id: only what came after it
    const fromMoment = join('ind-aus', `moment:ind-aus:${T0 + 2000}`);
    expect([...fromMoment.text().matchAll(/^id: (.+)$/gm)].map((m) => m[1])).toEqual([`ind-aus:${T0 + 4000}`]);
  });

  it("after an id the history no longer holds but still spans, a window's moment is replayed with what follows it", () => {
    const { facade, join } = setup();
    facade.publishMoment(moment('ind-aus', T0 + 2000)); // this instance never had the window itself
    facade.publish(testWindow('ind-aus', T0 + 4000));
    const back = join('ind-aus', `ind-aus:${T0 + 2000}`);
    expect(back.text()).not.toMatch(/event: reset/);
    expect([...back.text().matchAll(/^id: (.+)$/gm)].map((m) => m[1])).toEqual([`moment:ind-aus:${T0 + 2000}`, `ind-aus:${T0 + 4000}`]);
  });
});
