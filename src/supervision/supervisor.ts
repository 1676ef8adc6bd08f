// Supervision of one part (the broker child, the Spark job, the Kafka Streams client, the window consumer):
// start it, watch for it dying on its own, and restart it after the policy's backoff until the failure
// budget (./policy.ts) is spent; then give up, log it, and report `failed` in the part's status. A failure
// that says a dependency is away (./causes.ts: Kafka unreachable) does not spend the budget: the part is
// retried until the dependency is back, and its status says what it waits for (`waitingFor`). Every
// restart is logged and counted (the `onRestart` hook feeds /metrics' restarts_total{part}). The clock and
// the timers are injected, so the tests drive a supervisor without sleeping.
import { unreachableDependency } from './causes.ts';
import { initialRestartState, onFailure, type RestartPolicy, type RestartState } from './policy.ts';

export type PartPhase = 'starting' | 'running' | 'restarting' | 'failed' | 'stopped';

export interface PartStatus {
  part: string;
  phase: PartPhase;
  /** Restarts attempted since the platform started (not only inside the current period). */
  restarts: number;
  /** When the part entered this phase (epoch ms). */
  since: number;
  /** Why it last died (or why a restart failed). */
  lastFailure?: string;
  /** When the pending restart is due (phase `restarting`). */
  nextRestartAt?: number;
  /**
   * The dependency the part waits for (phases `restarting` and `starting`): its last failure said this
   * dependency is unreachable, so it is retried until it is back, without spending the restart budget.
   */
  waitingFor?: string;
}

/** How to run one part. `died` resolves (with a reason) when a running instance dies on its own. */
export interface Supervisable<H> {
  start(): Promise<H>;
  died(h: H): Promise<string>;
  stop(h: H): Promise<void>;
}

export interface SupervisorDeps {
  policy: RestartPolicy;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (t: unknown) => void;
  log?: { info(m: string): void; warn(m: string): void; error(m: string): void };
  /** Called when a restart is attempted (after the backoff), with the 1-based attempt inside the period. */
  onRestart?: (attempt: number) => void;
  /** Called once the part has been given up on. */
  onGiveUp?: (reason: string) => void;
  /** Called after every successful (re)start with the new instance. */
  onStarted?: (h: unknown, restart: boolean) => void;
  /**
   * The dependency a failure (a start's rejection, or the text `died` resolved with) says is away, or null for
   * a crash of the part itself. Default: ./causes.ts' Kafka classification.
   */
  dependencyOf?: (failure: unknown) => string | null;
}

export interface Supervised<H> {
  readonly name: string;
  /** The first start: resolves with the instance, rejects if it failed (the first start is not retried). */
  readonly started: Promise<H>;
  /** The running instance, or null while starting, restarting, failed or stopped. */
  current(): H | null;
  status(): PartStatus;
  /** Cancel a pending restart and stop the running instance; idempotent. */
  stop(): Promise<void>;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export function supervise<H>(name: string, part: Supervisable<H>, deps: SupervisorDeps): Supervised<H> {
  const now = deps.now ?? Date.now;
  const setTimer = deps.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms).unref());
  const clearTimer = deps.clearTimer ?? ((t: unknown) => clearTimeout(t as NodeJS.Timeout));
  const log = deps.log ?? { info() {}, warn() {}, error() {} };
  const dependencyOf = deps.dependencyOf ?? unreachableDependency;

  let budget: RestartState = initialRestartState;
  let status: PartStatus = { part: name, phase: 'starting', restarts: 0, since: now() };
  let handle: H | null = null;
  let timer: unknown = null;
  let stopping: Promise<void> | null = null;
  /** A start in progress (stop() waits for it, and the start then stops what it started). */
  let inFlight: Promise<unknown> | null = null;
  /** Bumped on every (re)start: a `died` from an older instance is ignored. */
  let generation = 0;

  const enter = (phase: PartPhase, extra: Partial<PartStatus> = {}) => {
    status = { part: name, phase, restarts: status.restarts, since: now(), lastFailure: status.lastFailure, ...extra };
  };

  const watch = (h: H, gen: number, startedAt: number) => {
    const ranMs = () => now() - startedAt;
    part.died(h).then(
      (reason) => gen === generation && !stopping && failed(`died: ${reason}`, reason, ranMs()),
      (err) => gen === generation && !stopping && failed(`died: ${message(err)}`, err, ranMs()),
    );
  };

  /** An instance died (`ranMs` after its start) or a start failed (no `ranMs`); `cause` is classified. */
  const failed = (reason: string, cause: unknown, ranMs?: number) => {
    handle = null;
    const dependency = dependencyOf(cause);
    const { state, decision } = onFailure(budget, deps.policy, now(), { ranMs, dependency });
    budget = state;
    if (decision.action === 'give_up') {
      enter('failed', { lastFailure: reason });
      log.error(`${name} ${reason}; giving up: ${decision.reason}`);
      deps.onGiveUp?.(decision.reason);
      return;
    }
    const waitingFor = decision.waitingFor;
    enter('restarting', { lastFailure: reason, nextRestartAt: now() + decision.delayMs, ...(waitingFor ? { waitingFor } : {}) });
    if (!waitingFor) log.warn(`${name} ${reason}; restart ${decision.attempt} in ${decision.delayMs} ms`);
    else {
      // the first retry says it once; later ones (every few seconds for as long as the outage lasts) quietly
      const m = `${name} ${reason}; ${waitingFor} unreachable: retry ${decision.attempt} in ${decision.delayMs} ms (until ${waitingFor} is back; not counted against the restart budget)`;
      if (decision.attempt === 1) log.warn(m);
      else log.info(m);
    }
    timer = setTimer(() => {
      timer = null;
      inFlight = restart(decision.attempt);
    }, decision.delayMs);
  };

  const restart = async (attempt: number) => {
    if (stopping) return;
    status = { ...status, restarts: status.restarts + 1 };
    enter('starting', status.waitingFor ? { waitingFor: status.waitingFor } : {});
    deps.onRestart?.(attempt);
    const gen = ++generation;
    const t0 = now();
    let h: H;
    try {
      h = await part.start();
    } catch (err) {
      if (!stopping && gen === generation) failed(`restart failed: ${message(err)}`, err);
      return;
    }
    if (stopping) {
      await part.stop(h).catch(() => {});
      return;
    }
    handle = h;
    const waited = status.waitingFor;
    enter('running');
    log.info(`${name} restarted in ${now() - t0} ms (restart ${status.restarts}${waited ? `; ${waited} is back` : ''})`);
    deps.onStarted?.(h, true);
    watch(h, gen, now());
  };

  const first = (async () => {
    const gen = ++generation;
    const h = await part.start();
    if (stopping) {
      await part.stop(h).catch(() => {});
      throw new Error(`${name} stopped during start-up`);
    }
    handle = h;
    enter('running');
    deps.onStarted?.(h, false);
    watch(h, gen, now());
    return h;
  })();
  inFlight = first;
  first.catch((err) => {
    if (!stopping) enter('failed', { lastFailure: `start failed: ${message(err)}` });
  });

  return {
    name,
    started: first,
    current: () => handle,
    status: () => status,
    stop() {
      stopping ??= (async () => {
        if (timer !== null) clearTimer(timer);
        timer = null;
        await inFlight?.catch(() => {});
        const h = handle;
        handle = null;
        if (h !== null) await part.stop(h);
        enter('stopped');
      })();
      return stopping;
    },
  };
}
