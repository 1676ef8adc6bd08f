// The restart policy of every supervised part, as pure functions of (state, now): Erlang/OTP's restart
// intensity (at most `maxRestarts` restarts in any `periodMs`, else give up and report) with a capped
// exponential backoff before each restart. The clock is an argument, so tests never sleep; the wiring that
// actually stops and starts processes lives in ./supervisor.ts.

export interface RestartPolicy {
  /** Delay before the first restart after a quiet period (ms). */
  initialBackoffMs: number;
  /** The delay doubles with every failure still inside the period, up to this cap (ms). */
  maxBackoffMs: number;
  /** Restart intensity: at most this many restarts in any window of `periodMs`... */
  maxRestarts: number;
  /** ...else the supervisor gives up on the part (ms). */
  periodMs: number;
}

/** The failures a part has had, oldest first (epoch ms); only those inside the period matter. */
export interface RestartState {
  readonly failures: readonly number[];
}

export type RestartDecision =
  | { action: 'restart'; delayMs: number; /** 1-based: the n-th failure inside the period */ attempt: number }
  | { action: 'give_up'; reason: string };

export const initialRestartState: RestartState = { failures: [] };

/** Failures that still count at `now` (inside the last `periodMs`). */
export const recentFailures = (s: RestartState, p: RestartPolicy, now: number): number[] =>
  s.failures.filter((t) => now - t < p.periodMs);

/** The delay before the restart that follows the n-th failure inside the period (n ≥ 1). */
export function backoffMs(p: RestartPolicy, n: number): number {
  const exp = Math.min(Math.max(n - 1, 0), 30); // 2^30 × anything is past any sane cap
  return Math.min(p.maxBackoffMs, p.initialBackoffMs * 2 ** exp);
}

/**
 * A part failed at `now`: restart it after a backoff, or give up when this failure would exceed the budget
 * (more than `maxRestarts` failures inside `periodMs`). Old failures fall out of the period, so a part that
 * fails now and then is restarted for ever, and one that keeps failing is given up on.
 */
export function onFailure(s: RestartState, p: RestartPolicy, now: number): { state: RestartState; decision: RestartDecision } {
  const failures = [...recentFailures(s, p, now), now];
  const state = { failures };
  if (failures.length > p.maxRestarts) {
    return {
      state,
      decision: {
        action: 'give_up',
        reason: `${failures.length} failures within ${Math.round(p.periodMs / 1000)} s (budget: ${p.maxRestarts} restarts per ${Math.round(p.periodMs / 1000)} s)`,
      },
    };
  }
  return { state, decision: { action: 'restart', delayMs: backoffMs(p, failures.length), attempt: failures.length } };
}

/** Checks a policy's numbers; returns the problem or null. */
export function policyProblem(p: RestartPolicy): string | null {
  if (!(p.initialBackoffMs >= 1)) return 'initialBackoffMs must be at least 1';
  if (!(p.maxBackoffMs >= p.initialBackoffMs)) return 'maxBackoffMs must be at least initialBackoffMs';
  if (!(p.maxRestarts >= 0)) return 'maxRestarts must not be negative';
  if (!(p.periodMs >= 1)) return 'periodMs must be at least 1';
  return null;
}
