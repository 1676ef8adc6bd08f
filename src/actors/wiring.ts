// The ONE place where the broadcast actors meet I/O: the clock, and the main publisher (the Kafka consumer
// of emoji-windows) provided as the supervisor's `windowSource` actor. The HTTP transport comes in per
// session (src/api/sse.ts) through the facade. Tests call `createBroadcastSystem` with a SimulatedClock
// and no window source; the platform calls `startBroadcast`.
import type { Kafka } from 'kafkajs';
import { createActor, fromCallback, type SimulatedClock } from 'xstate';
import type { Config } from '../config.ts';
import type { WindowRecord } from '../domain/window.ts';
import { startWindowConsumer, type WindowConsumer } from '../kafka/window-consumer.ts';
import { observeWindowDelivery } from '../metrics/instrument.ts';
import { createFacade, type BroadcastFacade, type SupervisorActor } from './facade.ts';
import { supervisorMachine, type SupervisorInput } from './supervisor.machine.ts';

export type BroadcastConfig = Config['broadcast'];

export function supervisorInput(b: BroadcastConfig, now: () => number): SupervisorInput {
  return {
    clusters: b.clusters,
    params: {
      subscribersPerCluster: b.subscribersPerCluster,
      maxSubscribersPerCluster: Math.max(b.maxSubscribersPerCluster, b.subscribersPerCluster),
      subscriberCapacity: b.subscriberCapacity,
      historyMs: b.historyMs,
      heartbeatMs: b.heartbeatMs,
      sessionMaxPendingBytes: b.sessionMaxPendingBytes,
      subscriptionGraceMs: b.subscriptionGraceMs,
    },
    backoff: { initialMs: b.restartBackoffMs, maxMs: b.restartBackoffMaxMs, resetAfterMs: 60_000 },
    now,
    dedupMs: Math.max(b.historyMs, 600_000),
  };
}

/** Something that pushes windows (the Kafka consumer, or a test): returns an unsubscribe function. */
export type WindowFeed = (onWindow: (w: WindowRecord) => void) => () => void;

export interface BroadcastSystem {
  actor: SupervisorActor;
  facade: BroadcastFacade;
}

export function createBroadcastSystem(o: { broadcast: BroadcastConfig; clock?: SimulatedClock; feed?: WindowFeed }): BroadcastSystem {
  const now = o.clock ? () => o.clock!.now() : () => Date.now();
  const feed = o.feed;
  const machine = supervisorMachine.provide({
    actors: {
      windowSource: fromCallback(({ sendBack }) =>
        feed ? feed((window) => sendBack({ type: 'WINDOW.RECEIVED', window })) : () => {},
      ),
    },
  });
  const actor = createActor(machine, {
    input: supervisorInput(o.broadcast, now),
    systemId: 'supervisor',
    ...(o.clock ? { clock: o.clock } : {}),
  });
  actor.start();
  return { actor, facade: createFacade(actor) };
}

export interface BroadcastHandle {
  facade: BroadcastFacade;
  consumer: WindowConsumer | null;
  /** Close every SSE stream (reason `shutdown`), stop the actors, disconnect the consumer. */
  stop(): Promise<void>;
}

/**
 * Start the broadcast half: actors first, then the main publisher (consumer of emoji-windows) feeding them.
 * `kafka` null → no consumer (windows only through `facade.publish`, e.g. tests and the fan-out bench).
 */
export async function startBroadcast(config: Config, kafka: Kafka | null, log: (msg: string) => void = () => {}): Promise<BroadcastHandle> {
  let consumer: WindowConsumer | null = null;
  const listeners = new Set<(w: WindowRecord) => void>();
  const feed: WindowFeed = (fn) => {
    listeners.add(fn);
    return () => listeners.delete(fn);
  };
  const { facade } = createBroadcastSystem({ broadcast: config.broadcast, feed });
  if (kafka) {
    consumer = await startWindowConsumer({
      kafka,
      topic: config.topics.windows,
      groupPrefix: `${config.kafka.clientId}-broadcast`,
      onWindow: (w) => {
        observeWindowDelivery(facade, w, () => {
          for (const l of listeners) l(w);
        });
      },
      log,
    });
  }
  let stopped = false;
  return {
    facade,
    consumer,
    async stop() {
      if (stopped) return;
      stopped = true;
      facade.stop('shutdown');
      if (consumer) await consumer.stop();
    },
  };
}
