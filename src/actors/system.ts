// The broadcast actor system: the supervisor with its clock and its window feed (provided as the
// supervisor's `windowSource` actor), and the facade the HTTP routes use. No I/O here: the composition root
// (src/app/broadcast.ts) feeds it from Kafka; tests feed it by hand, on a SimulatedClock.
import { randomUUID } from 'node:crypto';
import { createActor, fromCallback, type SimulatedClock } from 'xstate';
import type { Config } from '../config.ts';
import type { MomentRecord } from '../domain/moment.ts';
import type { LiveRecord, WindowRecord } from '../domain/window.ts';
import { createFacade, type BroadcastFacade, type SupervisorActor } from './facade.ts';
import { supervisorMachine, type SupervisorInput } from './supervisor.machine.ts';

export type BroadcastConfig = Config['broadcast'];

export function supervisorInput(b: BroadcastConfig, now: () => number, newId: () => string = randomUUID): SupervisorInput {
  return {
    clusters: b.clusters,
    params: {
      subscribersPerCluster: b.subscribersPerCluster,
      maxSubscribersPerCluster: Math.max(b.maxSubscribersPerCluster, b.subscribersPerCluster),
      subscriberCapacity: b.subscriberCapacity,
      historyMs: b.historyMs,
      replayMaxFrames: b.replayMaxFrames,
      replayMaxBytes: b.replayMaxBytes,
      heartbeatMs: b.heartbeatMs,
      sessionMaxPendingBytes: b.sessionMaxPendingBytes,
      subscriptionGraceMs: b.subscriptionGraceMs,
      subscriptionAttachMs: b.subscriptionAttachMs,
      sessionIdleMs: b.sessionIdleMs,
      sessionStallMs: b.sessionStallMs,
    },
    backoff: { initialMs: b.restartBackoffMs, maxMs: b.restartBackoffMaxMs, resetAfterMs: 60_000 },
    now,
    dedupMs: Math.max(b.historyMs, 600_000),
    newId,
  };
}

/** Something that pushes windows (the Kafka consumer, or a test): returns an unsubscribe function. */
export type WindowFeed = (onWindow: (w: WindowRecord) => void) => () => void;
/** Something that pushes moments (the consumer of emoji-moments, or a test). */
export type MomentFeed = (onMoment: (m: MomentRecord) => void) => () => void;
/** Something that pushes live records (the consumer of emoji-live, or a test). */
export type LiveFeed = (onLive: (l: LiveRecord) => void) => () => void;

export interface BroadcastSystem {
  actor: SupervisorActor;
  facade: BroadcastFacade;
}

export function createBroadcastSystem(o: {
  broadcast: BroadcastConfig;
  clock?: SimulatedClock;
  feed?: WindowFeed;
  momentFeed?: MomentFeed;
  liveFeed?: LiveFeed;
  newId?: () => string;
}): BroadcastSystem {
  const now = o.clock ? () => o.clock!.now() : () => Date.now();
  const feed = o.feed;
  const machine = supervisorMachine.provide({
    actors: {
      windowSource: fromCallback(({ sendBack }) => {
        const offWindows = feed ? feed((window) => sendBack({ type: 'WINDOW.RECEIVED', window })) : () => {};
        const offMoments = o.momentFeed ? o.momentFeed((moment) => sendBack({ type: 'MOMENT.RECEIVED', moment })) : () => {};
        const offLive = o.liveFeed ? o.liveFeed((live) => sendBack({ type: 'LIVE.RECEIVED', live })) : () => {};
        return () => {
          offWindows();
          offMoments();
          offLive();
        };
      }),
    },
  });
  const actor = createActor(machine, {
    input: supervisorInput(o.broadcast, now, o.newId),
    systemId: 'supervisor',
    ...(o.clock ? { clock: o.clock } : {}),
  });
  actor.start();
  return { actor, facade: createFacade(actor) };
}
