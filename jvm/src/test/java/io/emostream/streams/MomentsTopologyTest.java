package io.emostream.streams;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.junit.After;
import org.junit.Test;

/** Moments through the real topology: events in, exact windows, moments out on emoji-moments and in the store. */
public class MomentsTopologyTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long GRACE = 500;

    private TopologyTestDriver driver;
    private int seq;

    private final List<String> dirs = new ArrayList<>();

    @After
    public void tearDown() throws Exception {
        if (driver != null) driver.close();
        for (String d : dirs) {
            try (java.util.stream.Stream<java.nio.file.Path> w = Files.walk(java.nio.file.Path.of(d))) {
                w.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /**
     * The driver commits (and checkpoints, with an fsync) after every record: on a disk shared with other jobs
     * that took many minutes for the contract cases. State on tmpfs (/dev/shm) when there is one.
     */
    private String stateDir() throws Exception {
        java.nio.file.Path shm = java.nio.file.Path.of("/dev/shm");
        String d = (Files.isDirectory(shm) && Files.isWritable(shm)
                ? Files.createTempDirectory(shm, "moments-test") : Files.createTempDirectory("moments-test")).toString();
        dirs.add(d);
        return d;
    }

    private ExactCountsConfig config(int rf, int isr) throws Exception {
        ExactCountsConfig d = ExactCountsConfig.defaults();
        return new ExactCountsConfig("dummy:9092", "moments-test-" + System.nanoTime(),
                stateDir(), Topics.EVENTS, Topics.EXACT,
                Duration.ofMillis(2000), Duration.ofMillis(GRACE), Duration.ofMinutes(10), Duration.ofHours(1),
                100, 1000, 2, d.rocksDbCacheBytes(), 1, "earliest", Topics.MOMENTS, d.moments(), d.momentsRetention(), rf, isr);
    }

    private String event(String match, String emoji, long receivedAt) {
        return "{\"event_id\":\"e" + (++seq) + "\",\"user_id\":\"u-1\",\"emoji_type\":\"" + emoji
                + "\",\"timestamp\":\"" + WindowFormat.iso(receivedAt) + "\",\"match_id\":\"" + match
                + "\",\"received_at\":\"" + WindowFormat.iso(receivedAt) + "\"}";
    }

    /**
     * The contract cases the topology runs from raw events (~7,500 records; all of them, ~33,000, took 150 s on
     * a loaded machine); MomentRuleTest runs every case through the same rule.
     */
    private static final java.util.Set<String> THROUGH_THE_TOPOLOGY = java.util.Set.of("ind-aus", "quiet-club", "surge");

    @Test
    public void contractCasesProduceExactlyTheirMomentsFromRawEvents() throws Exception {
        ExactCountsConfig cfg = config(1, 1);
        Properties props = ExactCountsTopology.streamsProperties(cfg);
        props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        driver = new TopologyTestDriver(ExactCountsTopology.buildTopology(cfg, new TopologyCounters()), props);
        TestInputTopic<String, String> events = driver.createInputTopic(Topics.EVENTS, new StringSerializer(), new StringSerializer());
        TestOutputTopic<String, String> moments = driver.createOutputTopic(Topics.MOMENTS, new StringDeserializer(), new StringDeserializer());

        // every case's windows on one time line, all matches at once (the window stage keys by match)
        JsonNode contract = MomentRuleTest.contract();
        TreeMap<Long, List<String[]>> byTime = new TreeMap<>();
        long last = 0;
        List<JsonNode> cases = new ArrayList<>();
        for (JsonNode k : contract.get("cases")) if (THROUGH_THE_TOPOLOGY.contains(k.get("match_id").asText())) cases.add(k);
        assertEquals(THROUGH_THE_TOPOLOGY.size(), cases.size());
        for (JsonNode k : cases) {
            String match = k.get("match_id").asText();
            for (Map.Entry<Long, Map<String, Long>> w : MomentRuleTest.windowsOf(k)) {
                last = Math.max(last, w.getKey());
                List<String[]> at = byTime.computeIfAbsent(w.getKey(), x -> new ArrayList<>());
                w.getValue().forEach((emoji, n) -> { for (long i = 0; i < n; i++) at.add(new String[] {match, emoji}); });
            }
        }
        byTime.forEach((start, evs) -> {
            for (int i = 0; i < evs.size(); i++) {
                events.pipeInput("u-1", event(evs.get(i)[0], evs.get(i)[1], start + (i % 1900)), 0L);
            }
        });
        events.pipeInput(Topics.TICK_KEY, "{\"type\":\"tick\",\"received_at\":\"" + WindowFormat.iso(last + 2000 + GRACE) + "\"}", 0L);

        Map<String, List<JsonNode>> got = new HashMap<>();
        for (KeyValue<String, String> kv : moments.readKeyValuesToList()) {
            JsonNode m = JSON.readTree(kv.value);
            assertEquals(kv.key, m.get("match_id").asText());
            got.computeIfAbsent(kv.key, x -> new ArrayList<>()).add(m);
        }
        WindowStore<String, String> store = driver.getWindowStore(ExactCountsConfig.MOMENTS_STORE);
        for (JsonNode k : cases) {
            String name = k.get("name").asText();
            List<JsonNode> mine = got.getOrDefault(k.get("match_id").asText(), List.of());
            assertEquals(name + ": moments on the topic", k.get("moments").size(), mine.size());
            for (int i = 0; i < mine.size(); i++) MomentRuleTest.assertMoment(name + " #" + i, k.get("moments").get(i), mine.get(i));
            List<JsonNode> stored = new ArrayList<>();
            try (WindowStoreIterator<String> it = store.fetch(k.get("match_id").asText(), Instant.EPOCH, Instant.ofEpochMilli(last))) {
                while (it.hasNext()) stored.add(JSON.readTree(it.next().value));
            }
            assertEquals(name + ": moments in the store", mine, stored);
        }
    }

    @Test
    public void aWindowSeenAgainDoesNotMakeASecondMoment() throws Exception {
        ExactCountsConfig cfg = config(1, 1);
        Topology t = new Topology();
        t.addSource("in", new StringDeserializer(), new StringDeserializer(), "closed");
        t.addProcessor("moments", () -> new MomentsProcessor(cfg.momentRule(), 2000, new TopologyCounters()), "in");
        t.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(ExactCountsConfig.MOMENT_HISTORY_STORE),
                org.apache.kafka.common.serialization.Serdes.String(), MomentHistory.serde()), "moments");
        t.addStateStore(Stores.windowStoreBuilder(Stores.persistentWindowStore(ExactCountsConfig.MOMENTS_STORE,
                Duration.ofHours(1), Duration.ofMillis(2000), false),
                org.apache.kafka.common.serialization.Serdes.String(), org.apache.kafka.common.serialization.Serdes.String()), "moments");
        t.addSink("out", "moments-out", new StringSerializer(), new StringSerializer(), "moments");
        Properties props = ExactCountsTopology.streamsProperties(cfg);
        driver = new TopologyTestDriver(t, props);
        TestInputTopic<String, String> in = driver.createInputTopic("closed", new StringSerializer(), new StringSerializer());
        TestOutputTopic<String, String> out = driver.createOutputTopic("moments-out", new StringDeserializer(), new StringDeserializer());
        long t0 = Instant.parse("2026-11-28T15:00:00.000Z").toEpochMilli();
        for (int i = 0; i < 10; i++) {
            in.pipeInput("m", WindowFormat.windowJson("m", t0 + i * 2000L, 2000, Map.of("🔥", 20L), 1000));
        }
        String burst = WindowFormat.windowJson("m", t0 + 20_000, 2000, Map.of("🔥", 900L), 1000);
        in.pipeInput("m", burst);
        in.pipeInput("m", burst); // the window stage re-emitting after a crash before its commit
        in.pipeInput("m", WindowFormat.windowJson("m", t0 + 18_000, 2000, Map.of("🔥", 900L), 1000)); // older: ignored
        List<String> got = out.readValuesToList();
        assertEquals(1, got.size());
        assertEquals("2026-11-28T15:00:20.000Z", JSON.readTree(got.get(0)).get("window_start").asText());
    }

    @Test
    public void internalTopicsGetTheConfiguredReplication() throws Exception {
        Properties p = ExactCountsTopology.streamsProperties(config(3, 2));
        assertEquals(3, p.get(StreamsConfig.REPLICATION_FACTOR_CONFIG));
        assertEquals("2", p.get(StreamsConfig.topicPrefix(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG)));
        // 0 = resolved against the cluster: min(3, brokers), then one fewer in sync (at least 1); explicit kept
        ExactCountsConfig open = config(0, 0);
        assertEquals(1, open.resolveReplication(1).replicationFactor());
        assertEquals(1, open.resolveReplication(1).minInsyncReplicas());
        assertEquals(2, open.resolveReplication(2).replicationFactor());
        assertEquals(1, open.resolveReplication(2).minInsyncReplicas());
        assertEquals(3, open.resolveReplication(5).replicationFactor());
        assertEquals(2, open.resolveReplication(5).minInsyncReplicas());
        assertEquals(3, config(3, 0).resolveReplication(1).replicationFactor());
        assertEquals(2, config(3, 0).resolveReplication(1).minInsyncReplicas());
        assertTrue(ExactCountsConfig.fromJson("{\"replicationFactor\":0}").replicationFactor() == 0);
    }
}
