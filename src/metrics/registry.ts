// Prometheus metrics for the whole API process: ONE registry, and the metric objects as named exports.
// Modules import the object they feed (`eventsAccepted.inc({ endpoint: 'single' })`) and never create
// metrics of their own, so `GET /metrics` (src/api/routes/metrics.routes.ts) shows everything in one place.
// Names are prefixed `emostream_`; label values are bounded sets (routes are patterns, never raw paths).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
const registers = [registry];

// process CPU, RSS, heap, event-loop lag: `process_cpu_seconds_total`, `process_resident_memory_bytes`, …
collectDefaultMetrics({ register: registry });

// ---------- HTTP ----------
export const httpRequests = new Counter({
  name: 'emostream_http_requests_total',
  help: 'HTTP requests by method, route pattern and status',
  labelNames: ['method', 'route', 'status'] as const,
  registers,
});
export const httpRequestDuration = new Histogram({
  name: 'emostream_http_request_duration_seconds',
  help: 'Time from request arrival to the response headers, by method and route pattern (for SSE: until the stream opens)',
  labelNames: ['method', 'route'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers,
});

// ---------- ingest ----------
export const eventsAccepted = new Counter({
  name: 'emostream_ingest_events_accepted_total',
  help: 'Events acknowledged by Kafka and answered (202, or 200 on the compatibility routes), by endpoint (single | batch | compat)',
  labelNames: ['endpoint'] as const,
  registers,
});
export const ingestRefused = new Counter({
  name: 'emostream_ingest_refused_total',
  help: 'Ingest requests refused (nothing written), by endpoint, status and error code; a refused batch counts once',
  labelNames: ['endpoint', 'status', 'code'] as const,
  registers,
});
export const producerBatchSize = new Histogram({
  name: 'emostream_producer_batch_records',
  help: 'Records per batch sent to Kafka by the group-commit batcher, counted before packing (events and ticks; INGEST_PACK_EVENTS packs the events in fewer Kafka records)',
  buckets: [1, 5, 10, 50, 100, 500, 1000, 5000, 10000, 20000],
  registers,
});
export const producerLatency = new Histogram({
  name: 'emostream_producer_send_seconds',
  help: 'Time from a batch leaving the buffer to the broker acknowledging it',
  labelNames: ['outcome'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers,
});
/** Where bufferDepth reads from at scrape time (the running ingest service sets it). */
let bufferDepthSource: (() => number) | null = null;
export const setBufferDepthSource = (fn: (() => number) | null): void => {
  bufferDepthSource = fn;
};
export const bufferDepth = new Gauge({
  name: 'emostream_producer_buffer_events',
  help: 'Events waiting in the batcher buffer or in flight (not yet acknowledged)',
  registers,
  collect() {
    if (bufferDepthSource) this.set(bufferDepthSource());
  },
});
export const kafkaErrors = new Counter({
  name: 'emostream_kafka_errors_total',
  help: 'Kafka client errors, by component (producer | publisher | spark-progress | lag) and kind',
  labelNames: ['component', 'kind'] as const,
  registers,
});

// ---------- matches (src/matches) ----------
/** Where liveMatches reads from at scrape time (the match service sets it). */
let liveMatchesSource: (() => number) | null = null;
export const setLiveMatchesSource = (fn: (() => number) | null): void => {
  liveMatchesSource = fn;
};
export const liveMatches = new Gauge({
  name: 'emostream_matches_live',
  help: 'Matches this instance admits events for (MATCH_POLICY=open: live on this instance, at most MAX_LIVE_MATCHES; registered: open)',
  registers,
  collect() {
    if (liveMatchesSource) this.set(liveMatchesSource());
  },
});
export const matchesRetired = new Counter({
  name: 'emostream_matches_retired_total',
  help: 'Matches that stopped being live on this instance (idle past MATCH_IDLE_MS, or closed/retired through the admin API)',
  registers,
});

// ---------- broadcast ----------
/** Where viewers reads from at scrape time: [cluster, subscriber, viewers] rows (the broadcast sets it). */
let viewersSource: (() => [string, string, number][]) | null = null;
export const setViewersSource = (fn: (() => [string, string, number][]) | null): void => {
  viewersSource = fn;
};
export const viewers = new Gauge({
  name: 'emostream_broadcast_viewers',
  help: 'Connected viewer sessions (open SSE streams) by cluster and subscriber',
  labelNames: ['cluster', 'subscriber'] as const,
  registers,
  collect() {
    if (!viewersSource) return;
    this.reset();
    for (const [cluster, subscriber, n] of viewersSource()) this.set({ cluster, subscriber }, n);
  },
});
export const windowsDelivered = new Counter({
  name: 'emostream_broadcast_windows_total',
  help: 'Windows broadcast by a cluster publisher (one per window per cluster)',
  labelNames: ['cluster'] as const,
  registers,
});
/** Where sessionMessages reads from at scrape time (a running total kept by the subscribers). */
let deliveredSource: (() => number) | null = null;
export const setDeliveredSource = (fn: (() => number) | null): void => {
  deliveredSource = fn;
};
export const sessionMessages = new Counter({
  name: 'emostream_broadcast_session_writes_total',
  help: 'Window messages written to viewer sessions (windows × viewers)',
  registers,
  collect() {
    if (!deliveredSource) return;
    this.reset();
    this.inc(deliveredSource());
  },
});
export const windowsReceived = new Counter({
  name: 'emostream_publisher_windows_total',
  help: 'Window records read by the main publisher from emoji-windows, by outcome (new | duplicate | invalid | match_not_open: MATCH_POLICY=registered, the match was not open when the window started)',
  labelNames: ['outcome'] as const,
  registers,
});
export const deliveryLatency = new Histogram({
  name: 'emostream_broadcast_delivery_latency_seconds',
  help: "Time from a window's end (window_end) to its bytes being written to every viewer's socket",
  buckets: [0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 20, 30, 60],
  registers,
});
export const disconnects = new Counter({
  name: 'emostream_broadcast_disconnects_total',
  help: 'Viewer streams ended, by reason (gone = the viewer closed it; slow | left | replaced | expired | shutdown | cluster_failed: the server did)',
  labelNames: ['reason'] as const,
  registers,
});

// ---------- supervision ----------
export const restartsTotal = new Counter({
  name: 'restarts_total',
  help: 'Restarts of a supervised part after it died on its own, by part (kafka-broker | spark | kafka-streams | window-consumer)',
  labelNames: ['part'] as const,
  registers,
});

// ---------- consumers ----------
/** What consumerLag awaits at scrape time (the lag poller of src/metrics/lag.ts: asks the broker then). */
let lagSource: (() => Promise<void>) | null = null;
export const setLagSource = (fn: (() => Promise<void>) | null): void => {
  lagSource = fn;
};
export const consumerLag = new Gauge({
  name: 'emostream_consumer_lag_records',
  help: 'Records behind the end of the input topic, by consumer (main-publisher | kafka-streams); on emoji-events a packed record carries many events',
  labelNames: ['consumer'] as const,
  registers,
  async collect() {
    if (lagSource) await lagSource();
  },
});

// ---------- Spark job, from its StreamingQueryListener reports on emoji-metrics ----------
export const sparkInputRate = new Gauge({
  name: 'emostream_spark_input_rows_per_second',
  help: "Spark job's latest progress: input rows per second",
  registers,
});
export const sparkProcessedRate = new Gauge({
  name: 'emostream_spark_processed_rows_per_second',
  help: "Spark job's latest progress: processed rows per second",
  registers,
});
export const sparkInputRows = new Gauge({
  name: 'emostream_spark_batch_input_rows',
  help: "Spark job's latest progress: rows in the last micro-batch",
  registers,
});
export const sparkBatchDuration = new Gauge({
  name: 'emostream_spark_batch_duration_seconds',
  help: "Spark job's latest progress: duration of the last micro-batch",
  registers,
});
export const sparkBatchId = new Gauge({
  name: 'emostream_spark_batch_id',
  help: "Spark job's latest progress: id of the last micro-batch",
  registers,
});
export const sparkWatermark = new Gauge({
  name: 'emostream_spark_watermark_seconds',
  help: "Spark job's latest progress: event-time watermark (epoch seconds)",
  registers,
});
export const sparkLateRows = new Gauge({
  name: 'emostream_spark_late_rows_dropped',
  help: "Spark job's latest progress: rows dropped as late (in the last batch, or cumulative if the job reports so)",
  registers,
});
export const sparkLateEvents = new Gauge({
  name: 'emostream_spark_late_events',
  help: "Spark job's latest progress: events that reached it after their window had closed, counted as `late` in their match's next window (since the job started)",
  registers,
});
export const sparkWindowsCorrected = new Gauge({
  name: 'emostream_spark_windows_corrected',
  help: "Spark job's latest progress: windows its driver closed early (on the instances' ticks) whose counts then changed, so Spark's closed record was written as a correction (since the job started; 0 unless an instance the ticks did not cover wrote into a closed window)",
  registers,
});
export const sparkDuplicates = new Gauge({
  name: 'emostream_spark_duplicate_events',
  help: "Spark job's latest progress: repeats of a (user_id, event_id) within SPARK_DEDUP_RETENTION_MS, not counted (since the job started)",
  registers,
});
export const sparkInvalidRecords = new Gauge({
  name: 'emostream_spark_invalid_records',
  help: "Spark job's latest progress: invalid records set aside (as the job reports them)",
  registers,
});
export const sparkStateRows = new Gauge({
  name: 'emostream_spark_state_rows',
  help: "Spark job's latest progress: rows held in its state stores (only when it counts them: spark.sql.streaming.stateStore.rocksdb.trackTotalNumberOfRows=true; it does not by default)",
  registers,
});
export const sparkLastProgress = new Gauge({
  name: 'emostream_spark_last_progress_seconds',
  help: 'When the latest Spark progress report was produced (epoch seconds); 0 before the first',
  registers,
});

/** The Prometheus text exposition of every metric. */
