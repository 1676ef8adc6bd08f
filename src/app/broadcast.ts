// The broadcast half of the platform: the actor system (src/actors/) fed by the main publisher, a Kafka
// consumer of emoji-windows of its own (src/kafka/window-consumer.ts), with its figures in /metrics.
import type { Kafka } from 'kafkajs';
import { createBroadcastSystem, type MomentFeed, type WindowFeed } from '../actors/system.ts';
import type { BroadcastFacade } from '../actors/facade.ts';
import type { Config } from '../config.ts';
import { parseMomentRecord, type MomentRecord } from '../domain/moment.ts';
import type { WindowRecord } from '../domain/window.ts';
import { startWindowConsumer, windowGroupId, type WindowConsumer } from '../kafka/window-consumer.ts';
import { supervise, type Supervised, type SupervisorDeps } from '../supervision/supervisor.ts';
import { observeBroadcast } from './instrument.ts';

export interface BroadcastHandle {
  facade: BroadcastFacade;
  /** Every new window the broadcast receives (repeats dropped), also handed to `fn` (the summary's mood curves); returns an unsubscribe. */
  onWindow: (fn: (w: WindowRecord) => void) => () => void;
  /** The main publisher under supervision (restarted on its group, so it resumes where it was); null without Kafka. */
  consumer: Supervised<WindowConsumer> | null;
  /** The consumer of emoji-moments (`event: moment`), supervised the same way; null without Kafka. */
  momentConsumer: Supervised<WindowConsumer> | null;
  /** Close every SSE stream (reason `shutdown`), stop the actors, disconnect the consumer. */
  stop(): Promise<void>;
}

/**
 * Start the broadcast half: actors first, then the main publisher (consumer of emoji-windows) feeding them.
 * `kafka` null → no consumer (windows only through `facade.publish`, e.g. the fan-out bench).
 */
export async function startBroadcast(
  config: Config,
  kafka: Kafka | null,
  log: (msg: string) => void = () => {},
  supervision?: SupervisorDeps,
  momentSupervision?: SupervisorDeps,
): Promise<BroadcastHandle> {
  let consumer: Supervised<WindowConsumer> | null = null;
  let momentConsumer: Supervised<WindowConsumer> | null = null;
  const listeners = new Set<(w: WindowRecord) => void>();
  const feed: WindowFeed = (fn) => {
    listeners.add(fn);
    return () => listeners.delete(fn);
  };
  const momentListeners = new Set<(m: MomentRecord) => void>();
  const momentFeed: MomentFeed = (fn) => {
    momentListeners.add(fn);
    return () => momentListeners.delete(fn);
  };
  const { actor, facade } = createBroadcastSystem({ broadcast: config.broadcast, feed, momentFeed });
  const unobserve = observeBroadcast(actor, facade); // viewers, windows and delivery latency in /metrics
  if (kafka) {
    const k = kafka;
    const groupId = windowGroupId(`${config.kafka.clientId}-broadcast`); // kept across restarts: resume there
    consumer = supervise<WindowConsumer>(
      'window-consumer',
      {
        start: () =>
          startWindowConsumer({
            kafka: k,
            topic: config.topics.windows,
            groupId,
            onWindow: (w) => {
              for (const l of listeners) l(w);
            },
            log,
          }),
        died: (c) => c.died,
        stop: (c) => c.stop(),
      },
      supervision ?? { policy: config.supervision },
    );
    await consumer.started;
    // moments (Kafka Streams, emoji-moments) reach the same viewers as `event: moment`; supervised and
    // resumed like the window consumer (the supervisor drops a moment id it has already fanned out)
    const momentGroupId = windowGroupId(`${config.kafka.clientId}-moments`);
    momentConsumer = supervise<WindowConsumer>(
      'moment-consumer',
      {
        start: () =>
          startWindowConsumer<MomentRecord>({
            kafka: k,
            topic: config.topics.moments,
            groupId: momentGroupId,
            parse: parseMomentRecord,
            lagName: 'moments-publisher',
            onWindow: (m) => {
              for (const l of momentListeners) l(m);
            },
            log,
          }),
        died: (c) => c.died,
        stop: (c) => c.stop(),
      },
      momentSupervision ?? { policy: config.supervision },
    );
    await momentConsumer.started;
  }
  let stopped = false;
  return {
    facade,
    onWindow: (fn) => {
      const sub = actor.on('window.received', (e) => {
        if (e.fresh) fn(e.window);
      });
      return () => sub.unsubscribe();
    },
    consumer,
    momentConsumer,
    async stop() {
      if (stopped) return;
      stopped = true;
      facade.stop('shutdown');
      unobserve();
      if (consumer) await consumer.stop();
      if (momentConsumer) await momentConsumer.stop();
    },
  };
}
