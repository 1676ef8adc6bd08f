// The restart policy of every supervised part, as pure functions of (state, now): Erlang/OTP's restart
// intensity (at most `maxRestarts` restarts in any `periodMs`, else give up and report) with a capped
// exponential backoff before each restart. The clock is an argument, so tests never sleep; the wiring that
// actually stops and starts processes lives in ./supervisor.ts.
//
// Two kinds of failure are told apart (./causes.ts classifies them):
// - a crash (the part died or failed to start on its own account): counts against the budget; a crash loop
//   (a bad config, a part that dies right after starting) is given up on;
// - a dependency away (Kafka unreachable: connection refused, no broker, request timeouts): does NOT count.
//   The part is retried for as long as the dependency stays away, the delay doubling up to `waitMaxMs`, so
//   it comes back soon after the dependency does, however long the outage.
// An instance that ran `healthyAfterMs` before it failed forgets the failures before it: a part that fails
// now and then after long healthy runs is not a crash loop.

export interface RestartPolicy {
  /** Delay before the first restart after a quiet period (ms). */
  initialBackoffMs: number;
  /** The delay doubles with every failure still inside the period, up to this cap (ms). */
  maxBackoffMs: number;
  /** Restart intensity: at most this many restarts in any window of `periodMs`... */
  maxRestarts: number;
  /** ...else the supervisor gives up on the part (ms). */
  periodMs: number;
  /** Longest delay between retries of a part waiting for a dependency that is away (ms). */
  waitMaxMs: number;
  /** An instance that ran this long before failing forgets the failures before it (ms). */
  healthyAfterMs: number;
}

/** The failures a part has had (oldest first, epoch ms), and how many retries in a row waited for a dependency. */
export interface RestartState {
  /** Crashes; only those inside the period count against the budget. */
  readonly failures: readonly number[];
  /** Failures in a row that were a dependency being away (not counted against the budget; sets the delay). */
  readonly waiting: number;
}

export type RestartDecision =
  | {
      action: 'restart';
      delayMs: number;
      /** 1-based: the n-th crash inside the period, or (waiting) the n-th retry in a row for the dependency */
      attempt: number;
      /** Set when the failure was this dependency being away: the retry does not spend the budget. */
      waitingFor?: string;
    }
  | { action: 'give_up'; reason: string };

/** What is known about one failure beside its time. */
export interface FailureInfo {
  /** How long the failed instance had been running (absent: a start that failed). */
  ranMs?: number;
  /** The dependency the failure says is away (./causes.ts), or null/absent for a crash. */
  dependency?: string | null;
}

export const initialRestartState: RestartState = { failures: [], waiting: 0 };

/** Failures that still count at `now` (inside the last `periodMs`). */
export const recentFailures = (s: RestartState, p: RestartPolicy, now: number): number[] =>
  s.failures.filter((t) => now - t < p.periodMs);

/** The delay before the restart that follows the n-th failure inside the period (n ≥ 1). */
export function backoffMs(p: RestartPolicy, n: number): number {
  const exp = Math.min(Math.max(n - 1, 0), 30); // 2^30 × anything is past any sane cap
  return Math.min(p.maxBackoffMs, p.initialBackoffMs * 2 ** exp);
}

/** The delay before the n-th retry in a row of a part waiting for a dependency (n ≥ 1). */
export function waitBackoffMs(p: RestartPolicy, n: number): number {
  const exp = Math.min(Math.max(n - 1, 0), 30);
  return Math.min(p.waitMaxMs, p.initialBackoffMs * 2 ** exp);
}

/**
 * A part failed at `now`: restart it after a backoff, or give up when this failure would exceed the budget
 * (more than `maxRestarts` crashes inside `periodMs`). Old failures fall out of the period, so a part that
 * fails now and then is restarted for ever, and one that keeps crashing is given up on. A failure that names
 * a dependency (`info.dependency`) is retried without spending the budget; a failure after a healthy run
 * (`info.ranMs` ≥ `healthyAfterMs`) starts the count afresh.
 */
export function onFailure(s: RestartState, p: RestartPolicy, now: number, info: FailureInfo = {}): { state: RestartState; decision: RestartDecision } {
  const healthy = info.ranMs !== undefined && info.ranMs >= p.healthyAfterMs;
  const before = healthy ? [] : recentFailures(s, p, now);
  if (info.dependency) {
    const waiting = (healthy ? 0 : s.waiting) + 1;
    return {
      state: { failures: before, waiting },
      decision: { action: 'restart', delayMs: waitBackoffMs(p, waiting), attempt: waiting, waitingFor: info.dependency },
    };
  }
  const failures = [...before, now];
  const state = { failures, waiting: 0 };
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
  if (!(p.waitMaxMs >= 1)) return 'waitMaxMs must be at least 1';
  if (!(p.healthyAfterMs >= 1)) return 'healthyAfterMs must be at least 1';
  return null;
}
