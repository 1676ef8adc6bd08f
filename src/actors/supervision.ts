// How the supervisor restarts a failed cluster publisher: exponential backoff on the injected clock, with
// the failure count forgotten once a cluster has stayed up `resetAfterMs` (Erlang/OTP's restart intensity,
// per cluster). Pure functions over a cluster's record; the supervisor applies them in its `assign`s.
import type { ActorRefFrom } from 'xstate';
import type { clusterMachine } from './cluster.machine.ts';

export interface Backoff {
  initialMs: number;
  maxMs: number;
  /** a cluster up this long forgets its past failures */
  resetAfterMs: number;
}

export interface ClusterRecord {
  id: string;
  generation: number;
  ref: ActorRefFrom<typeof clusterMachine> | null;
  status: 'up' | 'restarting';
  failures: number;
  restarts: number;
  startedAt: number;
  restartAt: number | null;
}

export const backoffMs = (failures: number, b: Backoff) => Math.min(b.maxMs, b.initialMs * 2 ** Math.max(0, failures - 1));

/** The actor id of a cluster's generation: a restarted cluster is a new actor. */
export const actorIdOf = (clusterId: string, generation: number) => `${clusterId}@${generation}`;

/** The record after a failure at `now`: restarting, with the delay until the restart. */
export function afterFailure(rec: ClusterRecord, now: number, b: Backoff): { rec: ClusterRecord; delayMs: number } {
  const failures = (now - rec.startedAt >= b.resetAfterMs ? 0 : rec.failures) + 1;
  const delayMs = backoffMs(failures, b);
  return { rec: { ...rec, failures, status: 'restarting', ref: null, restartAt: now + delayMs }, delayMs };
}

/** The record of the next generation, started at `now` (the caller spawns its actor). */
export function nextGeneration(rec: ClusterRecord, now: number): ClusterRecord {
  return { ...rec, generation: rec.generation + 1, restarts: rec.restarts + 1, startedAt: now, restartAt: null, status: 'up' };
}

/** How long until a cluster that is down is expected back (the retry hint). */
export function retryIn(rec: ClusterRecord, now: number, b: Backoff): number {
  return rec.restartAt === null ? b.initialMs : Math.max(0, rec.restartAt - now);
}
