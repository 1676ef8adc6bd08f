import { describe, expect, it } from 'vitest';
import { backoffMs, initialRestartState, onFailure, policyProblem, type RestartPolicy, type RestartState } from './policy.ts';

const policy: RestartPolicy = { initialBackoffMs: 500, maxBackoffMs: 4000, maxRestarts: 3, periodMs: 60_000 };

/** Feed failures at the given times; return every decision. */
function run(times: number[], p = policy) {
  let s: RestartState = initialRestartState;
  return times.map((t) => {
    const r = onFailure(s, p, t);
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
    const s0: RestartState = { failures: [1, 2] };
    onFailure(s0, policy, 3);
    expect(s0.failures).toEqual([1, 2]);
  });

  it('names a bad policy', () => {
    expect(policyProblem(policy)).toBeNull();
    expect(policyProblem({ ...policy, maxBackoffMs: 100 })).toMatch(/maxBackoffMs/);
    expect(policyProblem({ ...policy, periodMs: 0 })).toMatch(/periodMs/);
  });
});
