// The broadcast half of the platform: the actor system (src/actors/) fed by the main publisher, a Kafka
// consumer of emoji-windows of its own (src/kafka/window-consumer.ts), with its figures in /metrics.
import type { Kafka } from 'kafkajs';
import { createBroadcastSystem } from '../actors/system.ts';
import type { BroadcastFacade } from '../actors/facade.ts';
import type { Config } from '../config.ts';
import { parseMomentRecord, type MomentRecord } from '../domain/moment.ts';
import { parseLiveRecord, type LiveRecord, type WindowRecord } from '../domain/window.ts';
import { startWindowConsumer, windowGroupId, type WindowConsumer, type WindowConsumerOptions } from '../kafka/window-consumer.ts';
import { windowsReceived } from '../metrics/registry.ts';
import { supervise, type Supervised, type SupervisorDeps } from '../supervision/supervisor.ts';
import type { ViewerDirectory } from '../ports/viewers.ts';
import { startControl } from './control.ts';
import { observeBroadcast } from './instrument.ts';

/** Whether a window (or moment) of this match that started then reaches the actors (the match lifecycle; absent: all). */
export type DeliversFilter = (matchId: string, windowStartMs: number) => boolean;

export interface BroadcastHandle {
  facade: BroadcastFacade;
  /** Every new window the broadcast receives (repeats dropped), also handed to `fn` (the summary's mood curves); returns an unsubscribe. */
  onWindow: (fn: (w: WindowRecord) => void) => () => void;
  /** The main publisher under supervision (restarted on its group, so it resumes where it was); null without Kafka. */
  consumer: Supervised<WindowConsumer> | null;
  /** The consumer of emoji-moments (`event: moment`), supervised the same way; null without Kafka. */
  momentConsumer: Supervised<WindowConsumer> | null;
  /** Viewers across instances: stream tokens, deletes and the deployment view (src/app/control.ts). */
  directory: ViewerDirectory;
  /** The control topic's consumer, supervised like the others; null without Kafka. */
  controlConsumer: Supervised<WindowConsumer> | null;
  /** The consumer of emoji-live (`event: live`, the running counts of open windows), supervised the same way. */
  liveConsumer: Supervised<WindowConsumer> | null;
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
  delivers?: DeliversFilter,
  controlSupervision?: SupervisorDeps,
  liveSupervision?: SupervisorDeps,
  /** This instance's id (EmoStream-Instance; the platform shares it with the ticks); default: a new one. */
  instanceId?: string,
): Promise<BroadcastHandle> {
  let consumer: Supervised<WindowConsumer> | null = null;
  let momentConsumer: Supervised<WindowConsumer> | null = null;
  let liveConsumer: Supervised<WindowConsumer> | null = null;
  const windows = fanIn<WindowRecord>();
  const moments = fanIn<MomentRecord>();
  const lives = fanIn<LiveRecord>();
  const { actor, facade } = createBroadcastSystem({ broadcast: config.broadcast, feed: windows.feed, momentFeed: moments.feed, liveFeed: lives.feed });
  const unobserve = observeBroadcast(actor, facade); // viewers, windows and delivery latency in /metrics
  if (kafka) {
    // A consumer of one topic under supervision; its group id is kept across restarts, so it resumes there.
    const superviseConsumer = <R>(part: string, o: Omit<WindowConsumerOptions<R>, 'kafka' | 'log'>, deps: SupervisorDeps | undefined) =>
      supervise<WindowConsumer>(
        part,
        { start: () => startWindowConsumer<R>({ kafka, log, maxWaitMs: config.kafka.consumerMaxWaitMs, ...o }), died: (c) => c.died, stop: (c) => c.stop() },
        deps ?? { policy: config.supervision },
      );
    consumer = superviseConsumer<WindowRecord>(
      'window-consumer',
      {
        topic: config.topics.windows,
        groupId: windowGroupId(`${config.kafka.clientId}-broadcast`),
        // a new process (a restarted worker) fills its replay history: a viewer reconnecting here misses nothing
        startAtMs: Date.now() - config.broadcast.historyMs,
        onWindow: admitted(windows.emit, delivers),
      },
      supervision,
    );
    // moments (Kafka Streams, emoji-moments) reach the same viewers as `event: moment`; supervised and
    // resumed like the window consumer (the supervisor drops a moment id it has already fanned out)
    momentConsumer = superviseConsumer<MomentRecord>(
      'moment-consumer',
      {
        topic: config.topics.moments,
        groupId: windowGroupId(`${config.kafka.clientId}-moments`),
        parse: parseMomentRecord,
        lagName: 'moments-publisher',
        onWindow: admitted(moments.emit, delivers),
      },
      momentSupervision,
    );
    // the running counts of open windows (Spark, emoji-live) as `event: live`; a re-read after a restart is
    // dropped by the supervisor (a closed window's, or a seq not newer than one already fanned out)
    liveConsumer = superviseConsumer<LiveRecord>(
      'live-consumer',
      { topic: config.topics.live, groupId: windowGroupId(`${config.kafka.clientId}-live`), parse: parseLiveRecord, lagName: 'live-publisher', onWindow: admitted(lives.emit, delivers) },
      liveSupervision,
    );
  }
  // the consumers start at once: each is ready after its first fetch, which on a quiet topic waits
  // KAFKA_CONSUMER_MAX_WAIT_MS at the broker
  const [control] = await Promise.all([
    startControl(config, kafka, facade, { log, supervision: controlSupervision, instanceId }),
    consumer?.started,
    momentConsumer?.started,
    liveConsumer?.started,
  ]);
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
    directory: control.directory,
    controlConsumer: control.consumer,
    liveConsumer,
    async stop() {
      if (stopped) return;
      stopped = true;
      const controlStopped = control.stop();
      facade.stop('shutdown');
      unobserve();
      // at once: each stop waits for its fetch in flight (up to KAFKA_CONSUMER_MAX_WAIT_MS when nothing comes)
      await Promise.all([controlStopped, consumer?.stop(), momentConsumer?.stop(), liveConsumer?.stop()]);
    },
  };
}

/**
 * Records of matches the lifecycle no longer serves never reach the actors: no frame, no history entry, no
 * walk over the sessions (MATCH_POLICY=registered: a match closed before the window started, or unknown).
 */
function admitted<R extends { match_id: string; window_start: string }>(emit: (r: R) => void, delivers: DeliversFilter | undefined): (r: R) => void {
  if (!delivers) return emit;
  return (r) => {
    if (delivers(r.match_id, Date.parse(r.window_start))) emit(r);
    else windowsReceived.inc({ outcome: 'match_not_open' });
  };
}

/** Listeners as a feed the actors subscribe to (returns the unsubscribe), and `emit` to hand each of them a record. */
function fanIn<R>(): { feed: (fn: (r: R) => void) => () => void; emit: (r: R) => void } {
  const listeners = new Set<(r: R) => void>();
  return {
    feed: (fn) => {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    emit: (r) => {
      for (const l of listeners) l(r);
    },
  };
}
