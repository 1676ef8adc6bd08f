// Group commit in front of the Kafka producer. Callers submit a group of records (one HTTP request) and
// wait until the broker has acknowledged the batch that carried it. A group is never split: it travels in
// one send, so an HTTP batch is written entirely or not at all.
//
// When a batch goes out: at once if nothing is in flight (a request waits about one broker round trip at
// low load); otherwise when the previous batch is acknowledged, or, with `maxInFlightBatches` > 1, as soon as
// `batchMaxEvents` are queued or when the oldest queued event has waited `flushIntervalMs` (then batches overlap,
// up to `maxInFlightBatches`; the ingest path keeps kafkajs at one, see producer.ts). With `pipeline`
// (a producer that keeps several requests in flight in order, the Java one), what is queued goes out at
// the end of each event-loop turn while fewer than `maxInFlightBatches` are in flight.
//
// A batch spans at most `maxSpanMs` of admission time (the stamps passed to submit): the Spark job's watermark
// is the newest event time it has read minus SPARK_WATERMARK_MS, and a consumer may see one produce request's
// partitions in two reads (the broker appends them one after another). A request whose stamps spanned more than
// the watermark could then make its own older records late once the newer ones had been read: after a stall
// (a slow or frozen broker, the groups queued behind a trial batch) a queue spans seconds. With spans capped at the
// watermark, a record is never behind the watermark of anything written with or before it.
//
// Memory is bounded: queued + in-flight events never exceed `bufferMaxEvents`. A send that fails or is not
// acknowledged within `produceTimeoutMs` fails its callers and everything queued with `UnavailableError`,
// and the batcher goes `down`: new submissions fail at once (fast 503s) until `probeIntervalMs` has passed;
// then the next non-empty submission is a trial (`probing`): what arrives meanwhile waits behind it, its
// success brings the batcher back `up`, its failure `down` again. An empty submission never changes the state.
// Contract (held by batcher.property.test.ts): whenever the broker is reachable, every submission settles
// within flushIntervalMs + produceTimeoutMs, and once it has been reachable for produceTimeoutMs +
// probeIntervalMs every submission that fits in the buffer is written; no promise is left pending.
import { UnavailableError, type UnavailableReason } from '../ports/ingest.ts';

export interface OutRecord {
  key: string;
  value: string;
  /** Explicit partition (ticks); otherwise the producer's partitioner decides from the key. */
  partition?: number;
}

export type SendFn = (records: OutRecord[]) => Promise<void>;

export interface BatcherOptions {
  send: SendFn;
  flushIntervalMs: number;
  batchMaxEvents: number;
  bufferMaxEvents: number;
  produceTimeoutMs: number;
  /** After a failure, how long new submissions are refused before a trial batch is let through. */
  probeIntervalMs?: number;
  maxInFlightBatches?: number;
  /**
   * The send function pipelines batches itself (the Java producer keeps five requests in flight): what is
   * queued goes out at the end of each event-loop turn while fewer than maxInFlightBatches are in flight,
   * instead of waiting for the previous batch's ack. Off for kafkajs, which serializes idempotent sends.
   */
  pipeline?: boolean;
  /** The longest admission-time span of one batch (ms); default unbounded. */
  maxSpanMs?: number;
  /** Told about every failed send (the producer uses it to replace its kafkajs producer). */
  onSendFailure?: (err: unknown) => void;
  now?: () => number;
}

export type BatcherState = 'up' | 'down' | 'probing' | 'stopped';

export interface BatcherStatus {
  state: BatcherState;
  queuedEvents: number;
  inFlightEvents: number;
  inFlightBatches: number;
  lastError: string | null;
  /** Counters since start. */
  sentBatches: number;
  sentEvents: number;
  failedBatches: number;
  refused: number;
}

interface Group {
  records: OutRecord[];
  enqueuedAt: number;
  /** The admission stamp of the records (their received_at), or enqueuedAt. */
  stampedAt: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

const resolveAll = (groups: readonly Group[]): void => {
  for (const g of groups) g.resolve();
};

export class Batcher {
  private readonly o: Required<Omit<BatcherOptions, 'onSendFailure'>> & Pick<BatcherOptions, 'onSendFailure'>;
  private queue: Group[] = [];
  private queuedEvents = 0;
  private inFlightEvents = 0;
  private inFlightBatches = 0;
  private state: BatcherState = 'up';
  private retryAt = 0;
  private lastError: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private idleWaiters: (() => void)[] = [];
  private counters = { sentBatches: 0, sentEvents: 0, failedBatches: 0, refused: 0 };

  constructor(opts: BatcherOptions) {
    this.o = {
      probeIntervalMs: 1000,
      maxInFlightBatches: 4,
      maxSpanMs: Infinity,
      pipeline: false,
      now: Date.now,
      ...opts,
    };
  }

  /**
   * Resolves once the broker acknowledged the batch carrying `records`; rejects with UnavailableError.
   * `stampedAt`: the admission time stamped on the records (received_at), for the batch span; default now.
   */
  submit(records: OutRecord[], stampedAt?: number): Promise<void> {
    const refuse = (reason: UnavailableReason, msg: string) => {
      this.counters.refused++;
      return Promise.reject(new UnavailableError(reason, msg));
    };
    const n = records.length;
    // Nothing to store (e.g. every client event_id was acknowledged before): answered at once, in any state.
    // Checked before anything else, so it can neither change the state nor stand in for a trial batch.
    if (n === 0) return Promise.resolve();
    if (this.state === 'stopped') return refuse('stopped', 'ingest is shutting down');
    if (this.state === 'down' && (this.o.now() < this.retryAt || this.inFlightBatches > 0)) {
      return refuse('kafka_unavailable', `Kafka is unavailable: ${this.lastError}`);
    }
    if (this.queuedEvents + this.inFlightEvents + n > this.o.bufferMaxEvents) {
      return refuse('buffer_full', `the ingest buffer is full (${this.o.bufferMaxEvents} events waiting for Kafka)`);
    }
    // Admitted. From `down` this submission becomes the trial batch; while `probing`, submissions wait
    // behind the trial and go out on its ack (or fail with it). Either way a batch is queued, and every
    // batch ends (ack, error or produceTimeoutMs), so `probing` always ends.
    if (this.state === 'down') this.state = 'probing';
    return new Promise<void>((resolve, reject) => {
      const now = this.o.now();
      this.queue.push({ records, enqueuedAt: now, stampedAt: stampedAt ?? now, resolve, reject });
      this.queuedEvents += n;
      this.schedule();
    });
  }

  status(): BatcherStatus {
    return {
      state: this.state,
      queuedEvents: this.queuedEvents,
      inFlightEvents: this.inFlightEvents,
      inFlightBatches: this.inFlightBatches,
      lastError: this.lastError,
      ...this.counters,
    };
  }

  /** True when a submission now would be attempted rather than refused at once. */
  get accepting(): boolean {
    if (this.state === 'up' || this.state === 'probing') return true;
    return this.state === 'down' && this.o.now() >= this.retryAt && this.inFlightBatches === 0;
  }

  /** Refuse new submissions, send what is queued, wait for every in-flight batch to settle. */
  async stop(): Promise<void> {
    if (this.state !== 'stopped') {
      const wasUp = this.state === 'up' || this.state === 'probing';
      this.state = 'stopped';
      if (!wasUp) this.failQueue(new UnavailableError('stopped', 'ingest is shutting down'));
      // within maxInFlightBatches, as pump: the ingest path keeps kafkajs at one send in flight (producer.ts)
      while (this.queue.length > 0) {
        if (this.inFlightBatches >= this.o.maxInFlightBatches) await this.waitIdle();
        else this.sendNext();
      }
    }
    this.clearTimers();
    if (this.inFlightBatches > 0) await this.waitIdle();
  }

  private schedule(): void {
    if (this.inFlightBatches === 0 || (this.o.pipeline && this.state === 'up' && this.inFlightBatches < this.o.maxInFlightBatches)) {
      // Let the submissions of this event-loop turn join the batch; no timer needed.
      this.immediate ??= setImmediate(() => {
        this.immediate = null;
        this.pump();
      });
      return;
    }
    this.pump();
  }

  private pump(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.queue.length > 0) {
      if (this.inFlightBatches === 0) {
        this.sendNext();
        continue;
      }
      if (this.state !== 'up' || this.inFlightBatches >= this.o.maxInFlightBatches) return; // the next ack pumps again
      const waited = this.o.now() - this.queue[0]!.enqueuedAt;
      if (this.o.pipeline || this.queuedEvents >= this.o.batchMaxEvents || waited >= this.o.flushIntervalMs) {
        this.sendNext();
        continue;
      }
      this.timer = setTimeout(() => {
        this.timer = null;
        this.pump();
      }, this.o.flushIntervalMs - waited);
      this.timer.unref?.();
      return;
    }
  }

  private sendNext(): void {
    const groups: Group[] = [];
    let count = 0;
    // Whole groups only; a batch may pass batchMaxEvents by its last group (groups are never split), never maxSpanMs.
    const from = this.queue[0]?.stampedAt ?? 0;
    while (
      this.queue.length > 0 &&
      (count === 0 || (count + this.queue[0]!.records.length <= this.o.batchMaxEvents && this.queue[0]!.stampedAt - from <= this.o.maxSpanMs))
    ) {
      const g = this.queue.shift()!;
      groups.push(g);
      count += g.records.length;
    }
    if (groups.length === 0) return;
    this.queuedEvents -= count;
    this.inFlightEvents += count;
    this.inFlightBatches++;
    const records = groups.length === 1 ? groups[0]!.records : groups.flatMap((g) => g.records);

    let settled = false;
    const finish = (err: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timeout);
      this.inFlightEvents -= count;
      this.inFlightBatches--;
      if (err === null) {
        this.counters.sentBatches++;
        this.counters.sentEvents += count;
        if (this.state === 'probing' || this.state === 'down') this.state = 'up';
      } else {
        this.counters.failedBatches++;
        this.lastError = err instanceof Error ? err.message : String(err);
        const why = err instanceof UnavailableError ? err.message : `Kafka is unavailable: ${this.lastError}`;
        // This batch was sent: the broker may have written it (a timeout, a lost answer). The queue was not.
        const sent = new UnavailableError('kafka_unavailable', why, err, 'unknown');
        for (const g of groups) g.reject(sent);
        if (this.state !== 'stopped') {
          this.state = 'down';
          this.retryAt = this.o.now() + this.o.probeIntervalMs;
          // they would wait for a timeout of their own: answer them now
          this.failQueue(new UnavailableError('kafka_unavailable', why, err, 'not_written'));
        }
        try {
          this.o.onSendFailure?.(err);
        } catch {
          /* a failing observer must not break the batcher */
        }
      }
      if (this.inFlightBatches === 0) for (const w of this.idleWaiters.splice(0)) w();
      const before = this.inFlightBatches;
      if (this.state === 'up' || this.state === 'stopped') this.pump();
      if (err !== null) return;
      // Acknowledged. When the next batch went out just now, its send (encoding, socket write) is a chain of
      // microtasks: answer this batch's callers on the next turn, after it, so the broker already has the next
      // batch while they are answered (their continuations would otherwise run first and delay that write).
      if (this.inFlightBatches > before) setImmediate(resolveAll, groups);
      else resolveAll(groups);
    };
    const timeout = setTimeout(
      () => finish(new UnavailableError('kafka_unavailable', `Kafka did not acknowledge within ${this.o.produceTimeoutMs} ms`)),
      this.o.produceTimeoutMs,
    );
    let p: Promise<void>;
    try {
      p = this.o.send(records);
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(() => finish(null), (err: unknown) => finish(err ?? new Error('send failed')));
  }

  private failQueue(err: UnavailableError): void {
    const q = this.queue;
    this.queue = [];
    this.queuedEvents = 0;
    for (const g of q) g.reject(err);
  }

  private waitIdle(): Promise<void> {
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private clearTimers(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
  }
}
