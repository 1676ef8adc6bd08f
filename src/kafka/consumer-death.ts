// `died` for a kafkajs consumer under the supervisor (src/supervision/supervisor.ts): resolves, once, with why
// the consumer stopped on its own, and releases it so that it cannot come back behind its replacement.
// kafkajs 2.2.4 (consumer/index.js, onCrash) handles a crash in this order: it stops the consumer (STOP), then
// reports the crash (CRASH, with `restart`), then, for a retriable error, schedules a restart of that same
// consumer. The supervisor replaces a consumer that stopped, so:
// - the reason is the crash's error (`crashed: KafkaJSNumberOfRetriesExceeded: Connection error: connect
//   ECONNREFUSED …`), not a bare "stopped on its own": it is what tells the supervisor that Kafka is away
//   (src/supervision/causes.ts) rather than that the part crashed;
// - the dead consumer is disconnected once kafkajs has scheduled its own restart (which cancels it): before,
//   every death left a consumer restarting itself every few seconds, and rejoining its group (beside the
//   replacement) once Kafka was back.
import type { Consumer } from 'kafkajs';

export function consumerDeath(
  consumer: Consumer,
  o: {
    /** true once stop() was called: a stop asked for is not a death */
    stoppedByUs: () => boolean;
    /** disconnect what is left (the caller marks itself stopped) */
    release: () => Promise<unknown>;
    /** how long a STOP waits for the CRASH that explains it (ms) */
    graceMs?: number;
  },
): Promise<string> {
  let markDied!: (reason: string) => void;
  const died = new Promise<string>((r) => (markDied = r));
  let dead = false;
  const die = (reason: string) => {
    if (dead || o.stoppedByUs()) return;
    dead = true;
    markDied(reason);
    // kafkajs schedules its restart right after the CRASH listeners ran: disconnect after that, which clears it
    setImmediate(() => void o.release().catch(() => {}));
  };
  consumer.on(consumer.events.CRASH, (e) => die(`crashed: ${String(e.payload.error)}`));
  consumer.on(consumer.events.STOP, () => {
    if (!o.stoppedByUs()) setTimeout(() => die('stopped on its own'), o.graceMs ?? 1000).unref();
  });
  return died;
}
