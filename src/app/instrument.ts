// The platform's instrumentation: the composition root hooks these onto the parts it starts, so their figures
// reach the registry (src/metrics/registry.ts) without the parts knowing about it: the producer's send, the
// batcher's depth, the broadcast's viewers and windows.
import type { BroadcastFacade, SupervisorActor } from '../actors/facade.ts';
import {
  deliveryLatency,
  kafkaErrors,
  producerBatchSize,
  producerLatency,
  setBufferDepthSource,
  setDeliveredSource,
  setViewersSource,
  windowsDelivered,
  windowsReceived,
} from '../metrics/registry.ts';

/** Wrap the batcher's send function: batch sizes, time to the broker's ack, and Kafka errors. */
export function instrumentSend<R>(send: (records: R[]) => Promise<void>): (records: R[]) => Promise<void> {
  return async function instrumentedSend(records) {
    const t0 = performance.now();
    producerBatchSize.observe(records.length);
    try {
      await send(records);
      producerLatency.observe({ outcome: 'ok' }, (performance.now() - t0) / 1000);
    } catch (err) {
      producerLatency.observe({ outcome: 'error' }, (performance.now() - t0) / 1000);
      kafkaErrors.inc({ component: 'producer', kind: err instanceof Error ? err.name : 'unknown' });
      throw err;
    }
  };
}

/** The buffer-depth gauge reads `depth()` at scrape time; returns the undo. */
export function observeBufferDepth(depth: () => number): () => void {
  setBufferDepthSource(depth);
  return () => setBufferDepthSource(null);
}

/**
 * Viewers per cluster and subscriber and the session-write total, read from the facade at scrape time; and
 * every window the supervisor reports (new or a repeat), with window end → written to the viewers' sockets.
 * Returns the undo.
 */
export function observeBroadcast(actor: SupervisorActor, facade: BroadcastFacade): () => void {
  setViewersSource(() => facade.clusters().flatMap((c) => c.subscribers.map((s): [string, string, number] => [c.cluster_id, s.subscriber_id, s.viewers])));
  setDeliveredSource(() => facade.stats().delivered);
  const startedAt = Date.now();
  const windows = actor.on('window.received', ({ window, fresh, clusters }) => {
    windowsReceived.inc({ outcome: fresh ? 'new' : 'duplicate' });
    if (!fresh) return;
    const end = Date.parse(window.window_end);
    // a window that ended before this process started fills the replay history; it is not a live delivery
    if (Number.isFinite(end) && end >= startedAt) deliveryLatency.observe(Math.max(0, Date.now() - end) / 1000);
    for (const cluster of clusters) windowsDelivered.inc({ cluster });
  });
  return () => {
    windows.unsubscribe();
    setViewersSource(null);
    setDeliveredSource(null);
  };
}
