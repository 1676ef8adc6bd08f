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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import java.util.function.Supplier;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.state.HostInfo;
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
 *
 * Several instances (one application.id, each with its own application.server): a query about one match
 * asks Kafka Streams which instance holds the match's active store partition (queryMetadataForKey) and runs
 * on that partition here if it is this instance; otherwise it returns {"$owner":"host:port"} and the
 * TypeScript side asks that instance's internal listener (src/streams/distributed.ts), whose facade then
 * answers from its own partition. While the owner is not known (state not RUNNING, a rebalance) or the
 * partition is not queryable here (restoring, just moved) the query throws InvalidStateStoreException, which
 * the API answers with 503: never an answer from a part of the stores. Queries over every match
 * (localMatches) answer for the partitions active here and name them, so the caller can check that the
 * union of its peers' answers covers every partition. Without an application.server (one instance, no
 * peers) every query runs on all local stores.
 */
public final class ExactCountsFacade {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper ASCII_JSON = JsonMapper.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII).build();
    private static final long QUERY_RETRY_BUDGET_MS = 300;
    private static final Serializer<String> KEYS = new StringSerializer();

    private final TopologyCounters counters = new TopologyCounters();
    private volatile ExactCountsConfig config;
    private volatile KafkaClientSettings client = KafkaClientSettings.defaults();
    /** This instance's application.server; null: the only instance (no interactive queries across instances). */
    private volatile HostInfo self;
    private volatile KafkaStreams streams;
    private volatile boolean closed;
    private volatile String lastError;
    private volatile long startedAtMs = -1;
    private volatile String startPosition;
    private volatile long runningAtMs = -1;

    /** Build and start the topology. Returns at once (the client then joins the group and restores state). */
    public synchronized void start(String configJson) {
        if (streams != null) throw new IllegalStateException("already started");
        if (closed) throw new IllegalStateException("closed");
        // before any store opens: RocksDB's native load would otherwise take SIGCHLD away from Node
        NativeLibraries.loadRocksDbKeepingSigchld();
        ExactCountsConfig cfg = ExactCountsConfig.fromJson(configJson);
        KafkaClientSettings cs = KafkaClientSettings.fromJson(configJson);
        this.client = cs;
        this.self = cs.applicationServer() == null ? null : HostInfo.buildFromEndpoint(cs.applicationServer());
        cfg = fromCluster(cfg, cs);
        if ("latest".equals(cfg.autoOffsetReset())) {
            startPosition = pinStart(cfg, cs);
            cfg = cfg.withAutoOffsetReset("earliest");
        }
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
        Properties props = ExactCountsTopology.streamsProperties(config);
        props.putAll(client.streamsProperties()); // application.server, standbys, TLS / SASL
        KafkaStreams ks = new KafkaStreams(ExactCountsTopology.buildTopology(config, counters), props);
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
    private static ExactCountsConfig fromCluster(ExactCountsConfig cfg, KafkaClientSettings cs) {
        boolean needPartitions = cfg.sourcePartitions() < 1;
        boolean needBrokers = cfg.replicationFactor() < 1 || cfg.minInsyncReplicas() < 1;
        if (!needPartitions && !needBrokers) return cfg;
        Properties p = cs.securityProperties();
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

    /**
     * autoOffsetReset=latest with several instances: Kafka Streams applies the reset per partition at the first
     * fetch of whichever instance holds it, so a partition that moves to another instance before its first
     * commit would start again at the (later) end of the topic and skip what arrived meanwhile. Instead the
     * start of a new application id is committed once, for every partition of the events topic without a
     * committed offset, at its end as it is now, before the client joins; the client then runs with earliest
     * (which also suits the internal topics, the application's own). The broker refuses the commit while the
     * group has members (another instance is running, and pinned or committed already): that is left alone.
     */
    private static String pinStart(ExactCountsConfig cfg, KafkaClientSettings cs) {
        Properties p = cs.securityProperties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cfg.bootstrapServers());
        String topic = cfg.eventsTopic();
        try (Admin admin = Admin.create(p)) {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(cfg.applicationId())
                    .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            Map<TopicPartition, OffsetSpec> missing = new HashMap<>();
            for (int i = 0; i < cfg.sourcePartitions(); i++) {
                TopicPartition tp = new TopicPartition(topic, i);
                if (committed.get(tp) == null) missing.put(tp, OffsetSpec.latest());
            }
            if (missing.isEmpty()) return "resumed at the group's committed offsets";
            Map<TopicPartition, OffsetAndMetadata> ends = new HashMap<>();
            admin.listOffsets(missing).all().get(30, TimeUnit.SECONDS).forEach((tp, info) -> ends.put(tp, new OffsetAndMetadata(info.offset())));
            try {
                admin.alterConsumerGroupOffsets(cfg.applicationId(), ends).all().get(30, TimeUnit.SECONDS);
                return "pinned " + ends.size() + " partition(s) of " + topic + " at their end";
            } catch (ExecutionException e) {
                return "not pinned (" + e.getCause() + "): the group's running members hold the start";
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot pin the start of " + cfg.applicationId() + " on " + topic + ": " + e, e);
        }
    }

    /** How the start position was settled (autoOffsetReset=latest: pinStart), or null. */
    public String startPosition() {
        return startPosition;
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

    /**
     * RUNNING and both stores answer (a lookup of a key that need not exist) — with peers, only where this
     * instance holds active partitions of them (an instance may hold none: it then forwards every query).
     */
    public boolean isQueryable() {
        KafkaStreams ks = streams;
        if (ks == null || ks.state() != KafkaStreams.State.RUNNING) return false;
        try {
            if (self == null || !localActivePartitions(ks, ExactCountsConfig.TOTALS_STORE).isEmpty()) totalsStore(ks, -1).get(Topics.TICK_KEY);
            if (self == null || !localActivePartitions(ks, ExactCountsConfig.WINDOWS_STORE).isEmpty()) windowStore(ks, -1).fetch(Topics.TICK_KEY, 0L);
            return true;
        } catch (InvalidStateStoreException e) {
            return false;
        }
    }

    /**
     * Where a query about {@code matchId} on {@code store} runs: on partition {@code partition} here (owner
     * null), or on the instance {@code owner}. partition -1: every local store (no peers).
     */
    record Where(int partition, String owner) {}

    private Where locate(KafkaStreams ks, String store, String matchId) {
        if (self == null) return new Where(-1, null);
        KafkaStreams.State st = ks.state();
        if (st != KafkaStreams.State.RUNNING) {
            throw new InvalidStateStoreException("Kafka Streams is " + st + ": which instance holds " + matchId + " is being settled");
        }
        KeyQueryMetadata md = ks.queryMetadataForKey(store, matchId, KEYS);
        if (md == null || md == KeyQueryMetadata.NOT_AVAILABLE || md.partition() < 0 || md.activeHost() == null
                || HostInfo.unavailable().equals(md.activeHost())) {
            throw new InvalidStateStoreException("no instance holds " + matchId + " in " + store + " yet (rebalancing)");
        }
        if (md.activeHost().equals(self)) return new Where(md.partition(), null);
        return new Where(md.partition(), md.activeHost().host() + ":" + md.activeHost().port());
    }

    /** The answer when another instance holds the key: the TypeScript side asks it (src/streams/distributed.ts). */
    private static String elsewhere(Where w) {
        ObjectNode n = JSON.createObjectNode();
        n.put("$owner", w.owner());
        n.put("partition", w.partition());
        return ascii(n);
    }

    /** Partitions of the store's source topic whose active task runs here (empty without peers' metadata). */
    private List<Integer> localActivePartitions(KafkaStreams ks, String store) {
        List<Integer> out = new ArrayList<>();
        if (self == null) return out;
        String topic = config.applicationId() + "-" + ExactCountsConfig.REPARTITION + "-repartition";
        for (StreamsMetadata m : ks.streamsMetadataForStore(store)) {
            if (!m.hostInfo().equals(self) || !m.stateStoreNames().contains(store)) continue;
            for (TopicPartition tp : m.topicPartitions()) if (tp.topic().equals(topic)) out.add(tp.partition());
        }
        out.sort(null);
        return out;
    }

    /**
     * The instances holding the totals store (active or standby): {"self":"host:port"|null,
     * "partitions": n, "instances":[{"host":"h:p","active":[partitions],"standby":[partitions]}]}.
     */
    public String instances() {
        KafkaStreams ks = requireStreams();
        String topic = config.applicationId() + "-" + ExactCountsConfig.REPARTITION + "-repartition";
        ObjectNode n = JSON.createObjectNode();
        if (self == null) n.putNull("self");
        else n.put("self", self.host() + ":" + self.port());
        n.put("state", ks.state().name());
        n.put("partitions", config.repartitionPartitions());
        ArrayNode arr = n.putArray("instances");
        if (self != null) {
            for (StreamsMetadata m : ks.streamsMetadataForStore(ExactCountsConfig.TOTALS_STORE)) {
                ObjectNode i = arr.addObject();
                i.put("host", m.hostInfo().host() + ":" + m.hostInfo().port());
                ArrayNode a = i.putArray("active");
                m.topicPartitions().stream().filter(tp -> tp.topic().equals(topic)).map(TopicPartition::partition).sorted().forEach(a::add);
                ArrayNode sb = i.putArray("standby");
                m.standbyTopicPartitions().stream().filter(tp -> tp.topic().equals(topic)).map(TopicPartition::partition).sorted().forEach(sb::add);
            }
        }
        return ascii(n);
    }

    /**
     * Running totals of every match in the totals partitions active HERE: {"partitions":[p…],
     * "matches":[{"match_id","totals","total"}]}. Without peers: every local partition (listed as all).
     */
    public String localMatches() {
        KafkaStreams ks = requireStreams();
        if (self != null && ks.state() != KafkaStreams.State.RUNNING) {
            throw new InvalidStateStoreException("Kafka Streams is " + ks.state() + ": which instance holds which matches is being settled");
        }
        List<Integer> parts = new ArrayList<>();
        if (self == null) for (int p = 0; p < config.repartitionPartitions(); p++) parts.add(p);
        else parts.addAll(localActivePartitions(ks, ExactCountsConfig.TOTALS_STORE));
        ObjectNode n = JSON.createObjectNode();
        ArrayNode ps = n.putArray("partitions");
        parts.forEach(ps::add);
        ArrayNode arr = n.putArray("matches");
        List<Integer> scan = self == null ? List.of(-1) : parts;
        for (int p : scan) {
            List<ObjectNode> found = retrying(() -> {
                List<ObjectNode> out = new ArrayList<>();
                try (KeyValueIterator<String, Counts> it = totalsStore(ks, p).all()) {
                    while (it.hasNext()) {
                        KeyValue<String, Counts> kv = it.next();
                        if (kv.value == null || Topics.TICK_KEY.equals(kv.key)) continue;
                        ObjectNode m = JSON.createObjectNode();
                        m.put("match_id", kv.key);
                        ObjectNode t = m.putObject("totals");
                        kv.value.asMap().forEach(t::put);
                        m.put("total", kv.value.total());
                        out.add(m);
                    }
                }
                return out;
            });
            found.forEach(arr::add);
        }
        return ascii(n);
    }

    /** {"match_id","totals":{emoji:n},"total","as_of"} — running totals of distinct events for the match. */
    public String totals(String matchId) {
        KafkaStreams ks = requireStreams();
        Where w = locate(ks, ExactCountsConfig.TOTALS_STORE, matchId);
        if (w.owner() != null) return elsewhere(w);
        Counts c = retrying(() -> totalsStore(ks, w.partition()).get(matchId));
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
        Where where = locate(ks, ExactCountsConfig.WINDOWS_STORE, matchId);
        if (where.owner() != null) return elsewhere(where);
        ExactCountsConfig cfg = config;
        long windowMs = cfg.window().toMillis();
        long emittedThrough = retrying(() -> emittedThrough(ks, where.partition()));
        ObjectNode n = JSON.createObjectNode();
        n.put("match_id", matchId);
        n.put("from", WindowFormat.iso(fromMs));
        n.put("to", WindowFormat.iso(toMs));
        ArrayNode arr = n.putArray("windows");
        if (toMs > fromMs) {
            retrying(() -> {
                arr.removeAll();
                try (WindowStoreIterator<Counts> it = windowStore(ks, where.partition())
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
        Where where = locate(ks, ExactCountsConfig.MOMENTS_STORE, matchId);
        if (where.owner() != null) return elsewhere(where);
        ObjectNode n = JSON.createObjectNode();
        n.put("match_id", matchId);
        n.put("from", WindowFormat.iso(fromMs));
        n.put("to", WindowFormat.iso(toMs));
        ArrayNode arr = n.putArray("moments");
        if (toMs > fromMs && limit > 0) {
            retrying(() -> {
                arr.removeAll();
                try (WindowStoreIterator<String> it = momentsStore(ks, where.partition())
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
        Where where = locate(ks, ExactCountsConfig.MOMENTS_STORE, matchId);
        if (where.owner() != null) return elsewhere(where);
        List<ObjectNode> all = retrying(() -> {
            List<ObjectNode> out = new ArrayList<>();
            try (WindowStoreIterator<String> it = momentsStore(ks, where.partition()).fetch(matchId, Instant.EPOCH, Instant.ofEpochMilli(Long.MAX_VALUE / 2))) {
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

    /**
     * Whether the topology has counted any event of the match (the routes answer 404 for a match it never
     * saw): {"known":true|false}, or {"$owner"} when another instance holds it.
     */
    public String knowsMatch(String matchId) {
        KafkaStreams ks = requireStreams();
        Where w = locate(ks, ExactCountsConfig.TOTALS_STORE, matchId);
        if (w.owner() != null) return elsewhere(w);
        ObjectNode n = JSON.createObjectNode();
        n.put("known", retrying(() -> totalsStore(ks, w.partition()).get(matchId)) != null);
        return ascii(n);
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

    /**
     * End of the last window emitted by the window task of {@code partition} (the one holding the match), or
     * with -1 the minimum over every local task; Long.MIN_VALUE before any.
     */
    private static long emittedThrough(KafkaStreams ks, int partition) {
        ReadOnlyKeyValueStore<String, Long> store = ks.store(on(StoreQueryParameters.fromNameAndType(
                ExactCountsConfig.PROGRESS_STORE, QueryableStoreTypes.<String, Long>keyValueStore()), partition));
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

    /** The store of one partition (active here, else InvalidStateStoreException), or with -1 every local one. */
    private static <T> StoreQueryParameters<T> on(StoreQueryParameters<T> q, int partition) {
        return partition < 0 ? q : q.withPartition(partition);
    }

    private static ReadOnlyKeyValueStore<String, Counts> totalsStore(KafkaStreams ks, int partition) {
        return ks.store(on(StoreQueryParameters.fromNameAndType(ExactCountsConfig.TOTALS_STORE, QueryableStoreTypes.<String, Counts>keyValueStore()), partition));
    }

    private static ReadOnlyWindowStore<String, String> momentsStore(KafkaStreams ks, int partition) {
        return ks.store(on(StoreQueryParameters.fromNameAndType(ExactCountsConfig.MOMENTS_STORE, QueryableStoreTypes.<String, String>windowStore()), partition));
    }

    private static ObjectNode parse(String json) {
        try {
            return (ObjectNode) JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a stored moment does not parse: " + e.getMessage(), e);
        }
    }

    private static ReadOnlyWindowStore<String, Counts> windowStore(KafkaStreams ks, int partition) {
        return ks.store(on(StoreQueryParameters.fromNameAndType(ExactCountsConfig.WINDOWS_STORE, QueryableStoreTypes.<String, Counts>windowStore()), partition));
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
