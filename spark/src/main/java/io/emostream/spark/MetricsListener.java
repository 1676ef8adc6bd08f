package io.emostream.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.streaming.StateOperatorProgress;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.apache.spark.sql.streaming.StreamingQueryProgress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns each query progress report into one JSON record on emoji-metrics (key "spark") and one log line
 * ({@code progress {...}}; src/spark/job.ts reads these lines to know the job is up). Record counts come from the
 * query's observed metrics ({@code Job.OBSERVED_INPUT}, {@code OBSERVED_DEDUP}, {@code OBSERVED_OUTPUT}), so they are exact per batch.
 */
public final class MetricsListener extends StreamingQueryListener implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MetricsListener.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Consumer<String> sink;
    private final AutoCloseable closer;
    private final Map<String, Object> static_;
    private final AtomicLong invalidTotal = new AtomicLong();
    private final AtomicLong droppedTotal = new AtomicLong();
    private final AtomicLong duplicatesTotal = new AtomicLong();
    private final AtomicLong lateTotal = new AtomicLong();
    private final AtomicLong windowsTotal = new AtomicLong();

    /** Whether the state stores count their rows (RocksDB's trackTotalNumberOfRows): if not, reports carry no counts. */
    private volatile boolean countsStateRows = true;

    void countsStateRows(boolean counts) {
        countsStateRows = counts;
    }

    /** @param sink receives each JSON report (besides the log); {@code staticFields} are added to every report. */
    public MetricsListener(Consumer<String> sink, AutoCloseable closer, Map<String, Object> staticFields) {
        this.sink = sink;
        this.closer = closer;
        this.static_ = staticFields;
    }

    /** A listener that produces to {@code topic} on {@code brokers}. */
    public static MetricsListener toKafka(String brokers, String topic, Map<String, Object> staticFields) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
        p.put(ProducerConfig.ACKS_CONFIG, "1");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "5000");
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "emostream-spark-metrics");
        p.putAll(KafkaClientProperties.load()); // TLS / SASL
        KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
        return new MetricsListener(
            json -> producer.send(new ProducerRecord<>(topic, "spark", json), (md, err) -> {
                if (err != null) LOG.warn("could not write metrics to {}: {}", topic, err.toString());
            }),
            () -> producer.close(java.time.Duration.ofSeconds(2)),
            staticFields);
    }

    @Override
    public void onQueryStarted(QueryStartedEvent event) {
        LOG.info("query started: name={} id={} runId={}", event.name(), event.id(), event.runId());
    }

    @Override
    public void onQueryProgress(QueryProgressEvent event) {
        try {
            String json = toJson(event.progress());
            LOG.info("progress {}", json);
            sink.accept(json);
        } catch (RuntimeException e) {
            LOG.warn("could not report progress", e);
        }
    }

    /**
     * No micro-batch runs on a quiet stream (ticks back off, see README "Quiet streams: ticks"), so progress reports
     * stop; Spark posts this instead, every {@code spark.sql.streaming.noDataProgressEventInterval} (10 s) while the
     * query keeps triggering and finds nothing new. One log line each: src/spark/job.ts reads it as a sign of life,
     * so the platform's /status neither needs ticks at rest nor calls a quiet query stuck. Not sent to emoji-metrics
     * (no batch, nothing to report).
     */
    @Override
    public void onQueryIdle(QueryIdleEvent event) {
        LOG.info("idle {}", idleJson(event));
    }

    static String idleJson(QueryIdleEvent e) {
        ObjectNode o = JSON.createObjectNode();
        o.put("type", "spark-idle");
        o.put("run_id", String.valueOf(e.runId()));
        o.put("timestamp", e.timestamp());
        return o.toString();
    }

    @Override
    public void onQueryTerminated(QueryTerminatedEvent event) {
        if (event.exception().isDefined()) {
            LOG.error("query terminated with an error: {}", event.exception().get());
        } else {
            LOG.info("query terminated: id={}", event.id());
        }
    }

    String toJson(StreamingQueryProgress p) {
        ObjectNode o = JSON.createObjectNode();
        o.put("type", "spark-progress");
        o.put("query", p.name());
        o.put("run_id", String.valueOf(p.runId()));
        o.put("batch_id", p.batchId());
        o.put("timestamp", p.timestamp());
        o.put("input_rows", p.numInputRows());
        o.put("input_rows_per_second", round(p.inputRowsPerSecond()));
        o.put("processed_rows_per_second", round(p.processedRowsPerSecond()));
        o.put("batch_duration_ms", p.batchDuration());
        ObjectNode d = o.putObject("durations_ms");
        p.durationMs().forEach((k, v) -> d.put(k, v));
        Map<String, String> et = p.eventTime();
        o.put("watermark", et.getOrDefault("watermark", null));
        o.put("max_event_time", et.getOrDefault("max", null));
        long dropped = 0, stateRows = 0, stateBytes = 0;
        // a state store that does not count its rows (Job.session) reports 0: unknown, not none
        boolean rowsKnown = countsStateRows;
        // per stateful step (dedup, window counts), where a batch's state time goes
        ArrayNode ops = JSON.createArrayNode();
        for (StateOperatorProgress s : p.stateOperators()) {
            dropped += s.numRowsDroppedByWatermark();
            stateRows += s.numRowsTotal();
            stateBytes += s.memoryUsedBytes();
            ObjectNode op = ops.addObject();
            op.put("op", s.operatorName());
            if (rowsKnown) op.put("rows", s.numRowsTotal());
            else op.putNull("rows");
            op.put("updated", s.numRowsUpdated());
            op.put("removed", s.numRowsRemoved());
            op.put("update_ms", s.allUpdatesTimeMs());
            op.put("removal_ms", s.allRemovalsTimeMs());
            op.put("commit_ms", s.commitTimeMs());
        }
        o.put("rows_dropped_by_watermark", dropped);
        o.put("rows_dropped_by_watermark_total", droppedTotal.addAndGet(dropped));
        if (rowsKnown) o.put("state_rows", stateRows);
        else o.putNull("state_rows");
        o.put("state_memory_bytes", stateBytes);
        o.set("state_ops", ops);
        Row in = p.observedMetrics().get(Job.OBSERVED_INPUT);
        long invalid = longOf(in, "invalid");
        o.put("records", longOf(in, "records"));
        o.put("events", longOf(in, "events"));
        o.put("ticks", longOf(in, "ticks"));
        o.put("invalid", invalid);
        o.put("invalid_total", invalidTotal.addAndGet(invalid));
        Row dedup = p.observedMetrics().get(Job.OBSERVED_DEDUP);
        long duplicates = longOf(dedup, "duplicates"), late = longOf(dedup, "late");
        o.put("duplicates", duplicates);
        o.put("duplicates_total", duplicatesTotal.addAndGet(duplicates));
        o.put("late", late);
        o.put("late_total", lateTotal.addAndGet(late));
        Row out = p.observedMetrics().get(Job.OBSERVED_OUTPUT);
        BatchStats.Written written = BatchStats.take(p.batchId());
        o.put("windows", written.windows());
        o.put("windows_total", windowsTotal.addAndGet(written.windows()));
        // of them closed on the API instances' ticks before the watermark reached their end (WindowCloser)
        o.put("windows_on_ticks", written.onTicks());
        o.put("windows_corrected_total", BatchStats.corrections());
        o.put("live_records", longOf(out, "live"));
        if (written.windows() > 0) o.put("last_window_end_ms", written.latestEndMs());
        static_.forEach((k, v) -> o.putPOJO(k, v));
        return o.toString();
    }

    private static double round(double v) {
        return Double.isFinite(v) ? Math.round(v * 10) / 10.0 : 0;
    }

    private static long longOf(Row r, String field) {
        if (r == null) return 0;
        int i;
        try {
            i = r.fieldIndex(field);
        } catch (IllegalArgumentException e) {
            return 0;
        }
        return r.isNullAt(i) ? 0 : ((Number) r.get(i)).longValue();
    }

    @Override
    public void close() {
        try {
            closer.close();
        } catch (Exception e) {
            LOG.warn("closing the metrics producer", e);
        }
    }
}
