// kafkajs 2.2.4 keeps every connection it has used busy for ever: RequestQueue.scheduleCheckPendingRequests
// schedules its next check with `throttledUntil - Date.now()`, which is negative when the broker never throttled
// (throttledUntil is -1) and nothing is pending, i.e. a 1 ms timer; the check reschedules itself the same way
// (tulios/kafkajs#1556, #1604, #1704; the fix, PR #1667, was never released). With the ~17 connections of an API
// process that woke the event loop about 1,000 times a second at rest and cost the API process most of its idle
// CPU (README "Benchmarks", the idle row). This replaces the method on the class, once per process, with the
// fixed one: a check is scheduled only when a request waits (after a throttle ends, or every
// CHECK_PENDING_REQUESTS_INTERVAL while in-flight requests are at their maximum) or while a throttle lasts.
// Every place a request is queued (`push`) or one finishes (`fulfillRequest`, a timeout) still checks the queue at
// once, as before. `kafkajsIdleFixed` says whether it took effect in this process.
import { createRequire } from 'node:module';

/** kafkajs' own constant (src/network/requestQueue/index.js). */
export const CHECK_PENDING_REQUESTS_INTERVAL = 10;

interface RequestQueueLike {
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  pending: unknown[];
  checkPendingRequests(): void;
}

/** How long until the next check of the pending queue, or null for none (nothing waits, no throttle). */
export function nextPendingCheckMs(pending: number, throttledUntil: number, now: number): number | null {
  const untilUnthrottled = throttledUntil - now;
  if (pending > 0) return untilUnthrottled > 0 ? untilUnthrottled : CHECK_PENDING_REQUESTS_INTERVAL;
  return untilUnthrottled > 0 ? untilUnthrottled : null;
}

function scheduleCheckPendingRequests(this: RequestQueueLike): void {
  if (this.throttleCheckTimeoutId) return; // one check scheduled is enough (it reschedules if needed)
  const ms = nextPendingCheckMs(this.pending.length, this.throttledUntil, Date.now());
  if (ms === null) return;
  this.throttleCheckTimeoutId = setTimeout(() => {
    this.throttleCheckTimeoutId = null;
    this.checkPendingRequests();
  }, ms);
}

const require = createRequire(import.meta.url);
const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as { prototype: Record<string, unknown> };
const version = (require('kafkajs/package.json') as { version: string }).version;
// only the release whose bug this is: another version may have fixed it differently
export const kafkajsIdleFixed = version === '2.2.4' && typeof RequestQueue.prototype.scheduleCheckPendingRequests === 'function';
if (kafkajsIdleFixed) RequestQueue.prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
