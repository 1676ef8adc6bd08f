// The platform's supervision wiring: one restart policy from Config for every part, each restart logged and
// counted in /metrics (restarts_total{part}), each part's phase shown in GET /status. The policy itself is
// pure (src/supervision/policy.ts); supervise() (src/supervision/supervisor.ts) runs one part.
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { restartsTotal } from '../metrics/registry.ts';
import type { Readiness } from '../ports/readiness.ts';
import type { PartStatus, SupervisorDeps } from '../supervision/supervisor.ts';

export const PARTS = ['kafka-broker', 'spark', 'kafka-streams', 'window-consumer', 'moment-consumer', 'live-consumer', 'control-consumer', 'match-log', 'api-worker'] as const;
export type PartName = (typeof PARTS)[number];

/** SupervisorDeps for one part: Config's policy, the part's logger, restarts_total{part}. */
export function supervisorDeps(config: Config, part: PartName, log: Logger): SupervisorDeps {
  restartsTotal.inc({ part }, 0); // the series exists (at 0) from the start
  return {
    policy: config.supervision,
    log: { info: (m) => log.info(m), warn: (m) => log.warn(m), error: (m) => log.error(m) },
    onRestart: () => restartsTotal.inc({ part }),
    // the broker child IS the dependency: its own failures are crashes (the default classifier would read a
    // start that timed out reaching its port as "Kafka unreachable" and retry it for ever)
    ...(part === 'kafka-broker' ? { dependencyOf: () => null } : {}),
  };
}

/** A supervised part as a /status entry; `detail` adds what the part itself knows (e.g. Spark's progress). */
/** A part retried while a dependency is away says so: `waitingFor` (public) and "waiting for kafka" in its detail. */
export function partReadiness(s: PartStatus, ok: boolean, detail?: string): Readiness {
  const phase = s.phase;
  const waiting = s.waitingFor ? ` (waiting for ${s.waitingFor})` : '';
  const why = phase === 'running' ? detail : `${phase}${waiting}${s.lastFailure ? `: ${s.lastFailure}` : ''}`;
  return { name: s.part, ok: ok && phase === 'running', detail: why, phase, restarts: s.restarts, ...(s.waitingFor ? { waitingFor: s.waitingFor } : {}) };
}
