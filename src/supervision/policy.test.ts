import { describe, expect, it } from 'vitest';
import { backoffMs, initialRestartState, onFailure, policyProblem, waitBackoffMs, type FailureInfo, type RestartPolicy, type RestartState } from './policy.ts';

const policy: RestartPolicy = { initialBackoffMs: 500, maxBackoffMs: 4000, maxRestarts: 3, periodMs: 60_000, waitMaxMs: 2000, healthyAfterMs: 30_000 };

/** Feed failures at the given times; return every decision. */
function run(times: (number | [number, FailureInfo])[], p = policy) {
  let s: RestartState = initialRestartState;
  return times.map((x) => {
    const [t, info] = typeof x === 'number' ? [x, {}] : x;
    const r = onFailure(s, p, t, info);
    s = r.state;
    return r.decision;
  });
}

describe('restart policy (restart intensity + capped exponential backoff)', () => {
  it('backs off exponentially from the initial delay up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 40].map((n) => backoffMs(policy, n))).toEqual([500, 1000, 2000, 4000, 4000, 4000, 4000]);
  });

  it('restarts up to maxRestarts times inside the period, then gives up', () => {
    const d = run([0, 1000, 2000, 3000]);
    expect(d.slice(0, 3)).toEqual([
      { action: 'restart', delayMs: 500, attempt: 1 },
      { action: 'restart', delayMs: 1000, attempt: 2 },
      { action: 'restart', delayMs: 2000, attempt: 3 },
    ]);
    expect(d[3]).toMatchObject({ action: 'give_up' });
    expect((d[3] as { reason: string }).reason).toContain('4 failures within 60 s');
  });

  it('counts failures per period, not per process life: old failures fall out of the budget', () => {
    // 3 failures, a quiet minute, 3 more: never more than 3 inside any 60 s, so always restarted
    const d = run([0, 1000, 2000, 62_001, 63_000, 64_000]);
    expect(d.every((x) => x.action === 'restart')).toBe(true);
    // and the backoff starts small again once the earlier failures are out of the period
    expect(d[3]).toEqual({ action: 'restart', delayMs: 500, attempt: 1 });
  });

  it('a failure exactly one period after another no longer counts it', () => {
    const d = run([0, 10, 20, 60_000]);
    expect(d[3]).toEqual({ action: 'restart', delayMs: 2000, attempt: 3 }); // 10, 20, 60000 are inside; 0 is not
  });

  it('maxRestarts 0: gives up at the first failure', () => {
    expect(run([5], { ...policy, maxRestarts: 0 })[0]).toMatchObject({ action: 'give_up' });
  });

  it('state is a value: deciding does not change the state passed in', () => {
    const s0: RestartState = { failures: [1, 2], waiting: 0 };
    onFailure(s0, policy, 3);
    expect(s0.failures).toEqual([1, 2]);
  });

  it('names a bad policy', () => {
    expect(policyProblem(policy)).toBeNull();
    expect(policyProblem({ ...policy, maxBackoffMs: 100 })).toMatch(/maxBackoffMs/);
    expect(policyProblem({ ...policy, periodMs: 0 })).toMatch(/periodMs/);
    expect(policyProblem({ ...policy, waitMaxMs: 0 })).toMatch(/waitMaxMs/);
    expect(policyProblem({ ...policy, healthyAfterMs: 0 })).toMatch(/healthyAfterMs/);
  });

  const kafka = (t: number, ranMs?: number): [number, FailureInfo] => [t, { dependency: 'kafka', ranMs }];

  it('a dependency away does not spend the budget: retried for as long as it lasts, the delay capped at waitMaxMs', () => {
    // a 74 s broker outage: a failure a second, 20 times the budget of 3
    const d = run(Array.from({ length: 74 }, (_, i) => kafka(i * 1000)));
    expect(d.every((x) => x.action === 'restart')).toBe(true);
    expect(d.slice(0, 5).map((x) => (x as { delayMs: number }).delayMs)).toEqual([500, 1000, 2000, 2000, 2000]);
    expect(d[73]).toEqual({ action: 'restart', delayMs: 2000, attempt: 74, waitingFor: 'kafka' });
    expect([1, 2, 3, 4, 40].map((n) => waitBackoffMs(policy, n))).toEqual([500, 1000, 2000, 2000, 2000]);
  });

  it('crashes still count between the waits: a crash loop is given up on', () => {
    const d = run([0, kafka(100), kafka(200), 1000, kafka(1100), 2000, kafka(2100), 3000]);
    expect(d.slice(0, 7).every((x) => x.action === 'restart')).toBe(true);
    expect(d[3]).toEqual({ action: 'restart', delayMs: 1000, attempt: 2 }); // the waits did not count
    expect(d[7]).toMatchObject({ action: 'give_up' });
    expect((d[7] as { reason: string }).reason).toContain('4 failures within 60 s');
  });

  it('a crash after waiting backs off by the crashes, and the next wait starts from the initial delay again', () => {
    const d = run([kafka(0), kafka(1000), kafka(2000), 3000, kafka(4000)]);
    expect(d[3]).toEqual({ action: 'restart', delayMs: 500, attempt: 1 });
    expect(d[4]).toEqual({ action: 'restart', delayMs: 500, attempt: 1, waitingFor: 'kafka' });
  });

  it('an instance that ran healthyAfterMs forgets the failures before it; a shorter run does not', () => {
    // three crashes, then one after a healthy run: restarted as a first failure
    expect(run([0, 1000, 2000, [40_000, { ranMs: 30_000 }]])[3]).toEqual({ action: 'restart', delayMs: 500, attempt: 1 });
    // the same with a run just short of it: the 4th failure inside the period, given up on
    expect(run([0, 1000, 2000, [40_000, { ranMs: 29_999 }]])[3]).toMatchObject({ action: 'give_up' });
    // a healthy run ends the waiting streak too
    expect(run([kafka(0), kafka(1000), kafka(2000), kafka(60_000, 50_000)])[3]).toEqual({ action: 'restart', delayMs: 500, attempt: 1, waitingFor: 'kafka' });
  });
});
