// Hooks that the other parts call (one line each) so their figures reach the registry without them
// depending on prom-client: the producer's send, the batcher's depth, the broadcast's viewers and windows.
import type { BroadcastFacade } from '../actors/facade.ts';
import type { WindowRecord } from '../domain/window.ts';
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
} from './registry.ts';

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

/** Viewers per cluster and subscriber and the session-write total, read from the facade at scrape time. */
export function observeBroadcast(facade: BroadcastFacade): () => void {
  setViewersSource(() => facade.clusters().flatMap((c) => c.subscribers.map((s): [string, string, number] => [c.cluster_id, s.subscriber_id, s.viewers])));
  setDeliveredSource(() => facade.stats().delivered);
  return () => {
    setViewersSource(null);
    setDeliveredSource(null);
  };
}

/**
 * Wrap the hand-over of a window to the supervisor (which writes it to every viewer before returning):
 * counts new windows and repeats, and observes window end → written to the viewers' sockets.
 */
export function observeWindowDelivery(facade: BroadcastFacade, w: WindowRecord, handOver: () => void): void {
  const before = facade.stats().windows;
  handOver();
  const fresh = facade.stats().windows > before;
  windowsReceived.inc({ outcome: fresh ? 'new' : 'duplicate' });
  if (!fresh) return;
  const end = Date.parse(w.window_end);
  if (Number.isFinite(end)) deliveryLatency.observe(Math.max(0, Date.now() - end) / 1000);
  for (const c of facade.clusters()) if (c.status === 'up') windowsDelivered.inc({ cluster: c.cluster_id });
}
