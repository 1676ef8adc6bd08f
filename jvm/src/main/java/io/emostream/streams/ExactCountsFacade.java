package io.emostream.streams;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import java.util.function.Supplier;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * The one class TypeScript drives through java-bridge: it only wires, starts, queries and closes. Every
 * method returns a String (JSON) or a primitive — never a Java collection (each element would cost a
 * bridge call) and never a long (it would arrive as BigInt). Returned JSON is pure ASCII (non-ASCII escaped
 * as JSON unicode escapes): java-bridge 2.8.0 converts Java strings through JNI's modified UTF-8, which spells an emoji
 * outside the BMP as two 3-byte surrogates and fails on the Rust side ("invalid utf-8 sequence").
 *
 * Call start/awaitQueryable/close asynchronously from Node (they block); the queries are cheap and meant to be
 * called synchronously. Nothing here calls back into JavaScript.
 */
public final class ExactCountsFacade {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper ASCII_JSON = JsonMapper.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII).build();
    private static final long QUERY_RETRY_BUDGET_MS = 300;

    private final TopologyCounters counters = new TopologyCounters();
    private volatile ExactCountsConfig config;
    private volatile KafkaStreams streams;
    private volatile boolean closed;
    private volatile String lastError;
    private volatile long startedAtMs = -1;
    private volatile long runningAtMs = -1;

    /** Build and start the topology. Returns at once (the client then joins the group and restores state). */
    public synchronized void start(String configJson) {
        if (streams != null) throw new IllegalStateException("already started");
        if (closed) throw new IllegalStateException("closed");
        // before any store opens: RocksDB's native load would otherwise take SIGCHLD away from Node
        NativeLibraries.loadRocksDbKeepingSigchld();
        ExactCountsConfig cfg = ExactCountsConfig.fromJson(configJson);
        cfg = fromCluster(cfg);
        this.config = cfg;
        startClient();
    }

    /**
     * Replace the client by a new KafkaStreams object on the same configuration and state folder: close the
     * old one (an ERROR client cannot be started again), build the topology again, start. The supervisor in
     * TypeScript (src/streams/bridge.ts) calls this when the state is ERROR, with its own backoff and budget.
     */
    public synchronized void restart(int closeTimeoutMs) {
        if (closed) throw new IllegalStateException("closed");
        if (config == null) throw new IllegalStateException("not started");
        KafkaStreams old = streams;
        streams = null;
        if (old != null) old.close(new KafkaStreams.CloseOptions().timeout(Duration.ofMillis(closeTimeoutMs)).leaveGroup(true));
        startClient();
    }

    /** Fault injection for the fault suite: the next n records the stream thread processes throw. */
    public void failNextRecords(int n) {
        counters.injectedFailures.set(n);
    }

    private void startClient() {
        KafkaStreams ks = new KafkaStreams(ExactCountsTopology.buildTopology(config, counters),
                ExactCountsTopology.streamsProperties(config));
        // A failed stream thread stops the client (state ERROR) instead of being replaced here: the supervisor
        // in TypeScript recreates the client with a backoff and a failure budget per time period, the same
        // policy as every other part, logged and counted in restarts_total{part="kafka-streams"}.
        ks.setUncaughtExceptionHandler(e -> {
            lastError = describe(e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        runningAtMs = -1;
        ks.setStateListener((now, before) -> {
            if (now == KafkaStreams.State.RUNNING && runningAtMs < 0) runningAtMs = System.currentTimeMillis();
        });
        this.streams = ks;
        startedAtMs = System.currentTimeMillis();
        ks.start();
    }

    /**
     * What only the cluster knows, when the configuration leaves it open: the partition count of the events
     * topic (the window stage waits for each partition's clock) and the number of brokers (the internal topics'
     * default replication, ExactCountsConfig.resolveReplication).
     */
    private static ExactCountsConfig fromCluster(ExactCountsConfig cfg) {
        boolean needPartitions = cfg.sourcePartitions() < 1;
        boolean needBrokers = cfg.replicationFactor() < 1 || cfg.minInsyncReplicas() < 1;
        if (!needPartitions && !needBrokers) return cfg;
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cfg.bootstrapServers());
        try (Admin admin = Admin.create(p)) {
            if (needPartitions) {
                cfg = cfg.withSourcePartitions(admin.describeTopics(List.of(cfg.eventsTopic())).allTopicNames()
                        .get(30, TimeUnit.SECONDS).get(cfg.eventsTopic()).partitions().size());
            }
            if (needBrokers) cfg = cfg.resolveReplication(admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).size());
            return cfg;
        } catch (Exception e) {
            throw new IllegalStateException("cannot read " + (needPartitions ? "the partitions of " + cfg.eventsTopic() : "the cluster's brokers") + ": " + e, e);
        }
    }

    /** Blocks until RUNNING and the stores answer a query, or the timeout; returns whether it got there. */
    public boolean awaitQueryable(int timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            if (isQueryable()) return true;
            KafkaStreams ks = streams;
            if (ks == null || closed || ks.state() == KafkaStreams.State.ERROR
                    || ks.state() == KafkaStreams.State.NOT_RUNNING) return false;
            Thread.sleep(50);
        }
        return isQueryable();
    }

    /** CREATED, REBALANCING, RUNNING, PENDING_SHUTDOWN, NOT_RUNNING, PENDING_ERROR, ERROR; or NOT_STARTED / CLOSED. */
    public String state() {
        KafkaStreams ks = streams;
        if (ks == null) return closed ? "CLOSED" : "NOT_STARTED";
        return ks.state().name();
    }

    /** RUNNING and both stores answer (a lookup of a key that need not exist). */
    public boolean isQueryable() {
        KafkaStreams ks = streams;
        if (ks == null || ks.state() != KafkaStreams.State.RUNNING) return false;
        try {
            totalsStore(ks).get(Topics.TICK_KEY);
            windowStore(ks).fetch(Topics.TICK_KEY, 0L);
            return true;
        } catch (InvalidStateStoreException e) {
            return false;
        }
    }

    /** {"match_id","totals":{emoji:n},"total","as_of"} — running totals of distinct events for the match. */
    public String totals(String matchId) {
        KafkaStreams ks = requireStreams();
        Counts c = retrying(() -> totalsStore(ks).get(matchId));
        if (c == null) c = new Counts();
        ObjectNode n = JSON.createObjectNode();
        n.put("match_id", matchId);
        ObjectNode t = n.putObject("totals");
        c.asMap().forEach(t::put);
        n.put("total", c.total());
        n.put("as_of", WindowFormat.iso(System.currentTimeMillis()));
        long st = counters.streamTimeMs.get();
        if (st >= 0) n.put("stream_time", WindowFormat.iso(st));
        return ascii(n);
    }

    /**
     * Exact counts of every window of the match whose start lies in [fromMs, toMs):
     * {"match_id","from","to","windows":[{window_start,window_end,counts,swarm,total,closed}]}. A window is
     * `closed` once it has been emitted (every source partition's clock passed its end plus the grace period).
     */
    public String windows(String matchId, long fromMs, long toMs) {
        KafkaStreams ks = requireStreams();
        ExactCountsConfig cfg = config;
        long windowMs = cfg.window().toMillis();
        long emittedThrough = retrying(() -> emittedThrough(ks));
        ObjectNode n = JSON.createObjectNode();
        n.put("match_id", matchId);
        n.put("from", WindowFormat.iso(fromMs));
        n.put("to", WindowFormat.iso(toMs));
        ArrayNode arr = n.putArray("windows");
        if (toMs > fromMs) {
            retrying(() -> {
                arr.removeAll();
                try (WindowStoreIterator<Counts> it = windowStore(ks)
                        .fetch(matchId, Instant.ofEpochMilli(fromMs), Instant.ofEpochMilli(toMs - 1))) {
                    while (it.hasNext()) {
                        KeyValue<Long, Counts> kv = it.next();
                        if (kv.value == null || kv.value.isEmpty()) continue;
                        ObjectNode w = WindowFormat.windowNode(matchId, kv.key, windowMs, kv.value.asMap(), cfg.scaleFactor());
                        w.put("closed", kv.key + windowMs <= emittedThrough);
                        arr.add(w);
                    }
                }
                return null;
            });
        }
        return ascii(n);
    }

    /**
     * Moments of the match whose window starts in [fromMs, toMs), newest first, at most {@code limit}:
     * {"match_id","from","to","moments":[moment records (MomentRule)]}.
     */
    public String moments(String matchId, long fromMs, long toMs, int limit) {
        KafkaStreams ks = requireStreams();
        ObjectNode n = JSON.createObjectNode();
        n.put("match_id", matchId);
        n.put("from", WindowFormat.iso(fromMs));
        n.put("to", WindowFormat.iso(toMs));
        ArrayNode arr = n.putArray("moments");
        if (toMs > fromMs && limit > 0) {
            retrying(() -> {
                arr.removeAll();
                try (WindowStoreIterator<String> it = momentsStore(ks)
                        .backwardFetch(matchId, Instant.ofEpochMilli(fromMs), Instant.ofEpochMilli(toMs - 1))) {
                    while (it.hasNext() && arr.size() < limit) arr.add(parse(it.next().value));
                }
                return null;
            });
        }
        return ascii(n);
    }

    /** The match's {@code k} highest-scoring moments still retained (highest first; ties: the earlier window): a JSON array. */
    public String topMoments(String matchId, int k) {
        KafkaStreams ks = requireStreams();
        List<ObjectNode> all = retrying(() -> {
            List<ObjectNode> out = new ArrayList<>();
            try (WindowStoreIterator<String> it = momentsStore(ks).fetch(matchId, Instant.EPOCH, Instant.ofEpochMilli(Long.MAX_VALUE / 2))) {
                while (it.hasNext()) out.add(parse(it.next().value));
            }
            return out;
        });
        all.sort(Comparator.comparingDouble((ObjectNode m) -> -m.get("score").asDouble())
                .thenComparing(m -> m.get("window_start").asText()));
        ArrayNode arr = JSON.createArrayNode();
        all.stream().limit(Math.max(0, k)).forEach(arr::add);
        try {
            return ASCII_JSON.writeValueAsString(arr);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether the topology has counted any event of the match (the routes answer 404 for a match it never saw). */
    public boolean knowsMatch(String matchId) {
        KafkaStreams ks = requireStreams();
        return retrying(() -> totalsStore(ks).get(matchId)) != null;
    }

    /**
     * The moment rule alone, for the shared examples (contracts/moments.json) on the TypeScript side: runs one
     * match's closed windows {@code [{"window_start","counts"}]}, in order, through the same {@link MomentRule}
     * the topology uses, with the rule settings of {@code configJson} (ExactCountsConfig keys); returns the
     * moments as a JSON array.
     */
    public static String detectMoments(String configJson, String matchId, String windowsJson) {
        ExactCountsConfig cfg = ExactCountsConfig.fromJson(configJson);
        List<Map.Entry<Long, Map<String, Long>>> seq = new ArrayList<>();
        try {
            for (com.fasterxml.jackson.databind.JsonNode w : JSON.readTree(windowsJson)) {
                Map<String, Long> counts = new LinkedHashMap<>();
                w.get("counts").fields().forEachRemaining(f -> counts.put(f.getKey(), f.getValue().asLong()));
                seq.add(Map.entry(Instant.parse(w.get("window_start").asText()).toEpochMilli(), counts));
            }
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("windows are not JSON: " + e.getMessage(), e);
        }
        ArrayNode arr = JSON.createArrayNode();
        cfg.momentRule().run(matchId, seq).forEach(arr::add);
        try {
            return ASCII_JSON.writeValueAsString(arr);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Cheap figures for monitoring: state, counters, records processed, consumer lag on the events topic. */
    public String metrics() {
        ObjectNode n = JSON.createObjectNode();
        n.put("state", state());
        n.put("events", counters.events.get());
        n.put("duplicates", counters.duplicates.get());
        n.put("invalid", counters.invalid.get());
        n.put("ticks", counters.ticks.get());
        n.put("late", counters.late.get());
        n.put("moments", counters.moments.get());
        long st = counters.streamTimeMs.get();
        if (st >= 0) n.put("stream_time", WindowFormat.iso(st));
        if (startedAtMs >= 0 && runningAtMs >= 0) n.put("ms_to_running", runningAtMs - startedAtMs);
        if (lastError != null) n.put("last_error", lastError);
        KafkaStreams ks = streams;
        if (ks != null) {
            double processTotal = 0, processRate = 0, lag = 0;
            boolean lagKnown = false;
            String eventsTopic = config.eventsTopic();
            for (Map.Entry<MetricName, ? extends Metric> e : ks.metrics().entrySet()) {
                MetricName m = e.getKey();
                Object v;
                try {
                    v = e.getValue().metricValue();
                } catch (RuntimeException ex) {
                    continue;
                }
                if (!(v instanceof Number num) || Double.isNaN(num.doubleValue())) continue;
                if ("stream-thread-metrics".equals(m.group())) {
                    if ("process-total".equals(m.name())) processTotal += num.doubleValue();
                    if ("process-rate".equals(m.name())) processRate += num.doubleValue();
                } else if ("consumer-fetch-manager-metrics".equals(m.group()) && "records-lag".equals(m.name())
                        && eventsTopic.equals(m.tags().get("topic"))
                        && !String.valueOf(m.tags().get("client-id")).contains("restore")) {
                    lag += num.doubleValue();
                    lagKnown = true;
                }
            }
            n.put("records_processed", (long) processTotal);
            n.put("process_rate", Math.round(processRate * 10) / 10.0);
            if (lagKnown) n.put("events_lag", (long) lag);
        }
        return ascii(n);
    }

    /** Close the client (commits, flushes stores) and release it; idempotent. Returns whether it closed in time. */
    public synchronized boolean close(int timeoutMs) {
        closed = true;
        KafkaStreams ks = streams;
        if (ks == null) return true;
        // The group is left on close (consumer setting internal.leave.group.on.close, see ExactCountsTopology):
        // a restarted API with the same application id joins in ~1 s instead of waiting out the session timeout.
        boolean ok = ks.close(new KafkaStreams.CloseOptions().timeout(Duration.ofMillis(timeoutMs)).leaveGroup(true));
        streams = null;
        return ok;
    }

    /** The exception and its causes on one line (a StreamsException's own message hides the cause). */
    static String describe(Throwable e) {
        StringBuilder b = new StringBuilder(String.valueOf(e));
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) b.append(" <- ").append(c);
        return b.toString();
    }

    static String ascii(ObjectNode n) {
        try {
            return ASCII_JSON.writeValueAsString(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private KafkaStreams requireStreams() {
        KafkaStreams ks = streams;
        if (ks == null) throw new IllegalStateException("exact counts are not running (" + state() + ")");
        return ks;
    }

    /** End of the last window every window task has emitted (min over tasks); Long.MIN_VALUE before any. */
    private static long emittedThrough(KafkaStreams ks) {
        ReadOnlyKeyValueStore<String, Long> store = ks.store(StoreQueryParameters.fromNameAndType(
                ExactCountsConfig.PROGRESS_STORE, QueryableStoreTypes.keyValueStore()));
        long min = Long.MAX_VALUE;
        boolean any = false;
        try (KeyValueIterator<String, Long> it = store.all()) {
            while (it.hasNext()) {
                Long v = it.next().value;
                if (v != null) {
                    min = Math.min(min, v);
                    any = true;
                }
            }
        }
        return any ? min : Long.MIN_VALUE;
    }

    private static ReadOnlyKeyValueStore<String, Counts> totalsStore(KafkaStreams ks) {
        return ks.store(StoreQueryParameters.fromNameAndType(ExactCountsConfig.TOTALS_STORE, QueryableStoreTypes.keyValueStore()));
    }

    private static ReadOnlyWindowStore<String, String> momentsStore(KafkaStreams ks) {
        return ks.store(StoreQueryParameters.fromNameAndType(ExactCountsConfig.MOMENTS_STORE, QueryableStoreTypes.windowStore()));
    }

    private static ObjectNode parse(String json) {
        try {
            return (ObjectNode) JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a stored moment does not parse: " + e.getMessage(), e);
        }
    }

    private static ReadOnlyWindowStore<String, Counts> windowStore(KafkaStreams ks) {
        return ks.store(StoreQueryParameters.fromNameAndType(ExactCountsConfig.WINDOWS_STORE, QueryableStoreTypes.windowStore()));
    }

    /** Interactive queries fail with InvalidStateStoreException during a rebalance or restore: retry briefly. */
    private static <T> T retrying(Supplier<T> q) {
        long deadline = System.currentTimeMillis() + QUERY_RETRY_BUDGET_MS;
        while (true) {
            try {
                return q.get();
            } catch (InvalidStateStoreException e) {
                if (System.currentTimeMillis() > deadline) throw e;
                try {
                    Thread.sleep(20);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }
}
