package io.emostream.streams;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/** MATCH_TOTALS_RETENTION_MS: a match's totals are dropped (tombstoned in the changelog) after that long without an event. */
public class MatchRetentionTest {
    private static final long T0 = Instant.parse("2026-11-28T15:00:00.000Z").toEpochMilli();
    private static final Duration RETENTION = Duration.ofSeconds(60);

    private TopologyTestDriver driver;
    private TestInputTopic<String, String> events;
    private TopologyCounters counters;
    private String appId;
    private int seq;

    @Before
    public void setUp() throws Exception {
        ExactCountsConfig d = ExactCountsConfig.defaults();
        appId = "retention-test-" + System.nanoTime();
        ExactCountsConfig cfg = new ExactCountsConfig("dummy:9092", appId,
                Files.createTempDirectory("retention-test").toString(), Topics.EVENTS, Topics.EXACT,
                Duration.ofMillis(2000), Duration.ofMillis(500), Duration.ofMinutes(10), Duration.ofHours(1),
                100, 1000, 2, d.rocksDbCacheBytes(), 1, "earliest", Topics.MOMENTS, d.moments(),
                d.momentsRetention(), 1, 1).withMatchTotalsRetention(RETENTION);
        counters = new TopologyCounters();
        Properties props = ExactCountsTopology.streamsProperties(cfg);
        props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        // the driver's wall clock starts where the events are (received_at), so "now - last event" is meaningful
        driver = new TopologyTestDriver(ExactCountsTopology.buildTopology(cfg, counters), props, Instant.ofEpochMilli(T0));
        events = driver.createInputTopic(Topics.EVENTS, new StringSerializer(), new StringSerializer());
    }

    @After
    public void tearDown() {
        if (driver != null) driver.close();
    }

    private void send(String match, String emoji, long receivedAt) {
        String id = "e" + (++seq);
        events.pipeInput("u-1", "{\"event_id\":\"" + id + "\",\"user_id\":\"u-1\",\"emoji_type\":\"" + emoji
                + "\",\"timestamp\":\"" + WindowFormat.iso(receivedAt - 5) + "\",\"match_id\":\"" + match
                + "\",\"received_at\":\"" + WindowFormat.iso(receivedAt) + "\"}", 0L);
    }

    private Map<String, Long> totals(String match) {
        KeyValueStore<String, Counts> store = driver.getKeyValueStore(ExactCountsConfig.TOTALS_STORE);
        Counts c = store.get(match);
        return c == null ? Map.of() : c.asMap();
    }

    private Long lastEvent(String match) {
        KeyValueStore<String, Long> store = driver.getKeyValueStore(ExactCountsConfig.MATCH_ACTIVITY_STORE);
        return store.get(match);
    }

    @Test
    public void totalsOfAMatchWithoutEventsForTheRetentionAreDroppedAndTombstoned() {
        send("old", "🔥", T0 + 10);
        send("old", "🔥", T0 + 20);
        send("new", "😀", T0 + 30_000);
        assertEquals(Map.of("🔥", 2L), totals("old"));
        assertEquals(Long.valueOf(T0 + 20), lastEvent("old"));

        driver.advanceWallClockTime(Duration.ofMillis(59_000)); // old's last event is 58.98 s ago: kept
        assertEquals(Map.of("🔥", 2L), totals("old"));

        driver.advanceWallClockTime(Duration.ofMillis(2_000)); // 60.98 s: dropped; new (31 s) kept
        assertEquals(Map.of(), totals("old"));
        assertNull(lastEvent("old"));
        assertEquals(Map.of("😀", 1L), totals("new"));
        assertNotNull(lastEvent("new"));
        assertEquals(1, counters.retiredMatches.get());

        // the drop is a tombstone in the totals changelog (compacted: the match's entry goes from Kafka too)
        TestOutputTopic<String, String> changelog = driver.createOutputTopic(appId + "-" + ExactCountsConfig.TOTALS_STORE + "-changelog",
                new StringDeserializer(), new StringDeserializer());
        List<TestRecord<String, String>> records = changelog.readRecordsToList();
        TestRecord<String, String> last = null;
        for (TestRecord<String, String> r : records) if ("old".equals(r.key())) last = r;
        assertNotNull("the totals changelog has records of the match", last);
        assertNull("the match's last changelog record is a tombstone", last.value());

        // a later event starts the match afresh
        send("old", "🔥", T0 + 70_000);
        assertEquals(Map.of("🔥", 1L), totals("old"));
    }

    @Test
    public void anEventKeepsItsMatch() {
        send("m", "🔥", T0);
        driver.advanceWallClockTime(Duration.ofMillis(50_000));
        send("m", "👏", T0 + 50_000);
        driver.advanceWallClockTime(Duration.ofMillis(50_000)); // 100 s after the first event, 50 s after the last
        assertEquals(Map.of("🔥", 1L, "👏", 1L), totals("m"));
        assertEquals(0, counters.retiredMatches.get());
    }

    @Test
    public void sweepIntervalIsATenthOfTheRetentionWithinBounds() {
        assertEquals(Duration.ofSeconds(6), TotalsProcessor.sweepInterval(Duration.ofSeconds(60)));
        assertEquals(Duration.ofSeconds(1), TotalsProcessor.sweepInterval(Duration.ofSeconds(2)));
        assertEquals(Duration.ofMinutes(1), TotalsProcessor.sweepInterval(Duration.ofDays(7)));
        assertTrue(ExactCountsConfig.fromJson("{\"matchTotalsRetentionMs\":120000}").matchTotalsRetention().equals(Duration.ofMinutes(2)));
        assertEquals(ExactCountsConfig.DEFAULT_MATCH_TOTALS_RETENTION, ExactCountsConfig.fromJson("{}").matchTotalsRetention());
    }
}
