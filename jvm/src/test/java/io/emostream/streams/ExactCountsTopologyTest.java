package io.emostream.streams;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

public class ExactCountsTopologyTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long T0 = Instant.parse("2026-11-28T15:00:00.000Z").toEpochMilli(); // a window start
    private static final long GRACE = 500;

    private TopologyTestDriver driver;
    private TestInputTopic<String, String> events;
    private TestOutputTopic<String, String> exact;
    private TopologyCounters counters;
    private int seq;

    @Before
    public void setUp() throws Exception {
        ExactCountsConfig d = ExactCountsConfig.defaults();
        ExactCountsConfig cfg = new ExactCountsConfig("dummy:9092", "exact-test-" + System.nanoTime(),
                Files.createTempDirectory("exact-test").toString(), Topics.EVENTS, Topics.EXACT,
                Duration.ofMillis(2000), Duration.ofMillis(GRACE), Duration.ofMinutes(10), Duration.ofHours(1),
                100, 1000, 2, d.rocksDbCacheBytes(), 1 /* the driver feeds one partition */, "earliest",
                Topics.MOMENTS, d.moments(), d.momentsRetention(), 1, 1);
        counters = new TopologyCounters();
        Properties props = ExactCountsTopology.streamsProperties(cfg);
        props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        driver = new TopologyTestDriver(ExactCountsTopology.buildTopology(cfg, counters), props);
        events = driver.createInputTopic(Topics.EVENTS, new StringSerializer(), new StringSerializer());
        exact = driver.createOutputTopic(Topics.EXACT, new StringDeserializer(), new StringDeserializer());
    }

    @After
    public void tearDown() {
        if (driver != null) driver.close();
    }

    private String event(String eventId, String match, String emoji, long receivedAt) {
        return "{\"event_id\":\"" + eventId + "\",\"user_id\":\"u-1\",\"emoji_type\":\"" + emoji
                + "\",\"timestamp\":\"" + WindowFormat.iso(receivedAt - 5) + "\",\"match_id\":\"" + match
                + "\",\"received_at\":\"" + WindowFormat.iso(receivedAt) + "\"}";
    }

    /** A new event (fresh id); the record's own Kafka timestamp is deliberately unrelated to received_at. */
    private String send(String match, String emoji, long receivedAt) {
        String id = "e" + (++seq);
        events.pipeInput("u-1", event(id, match, emoji, receivedAt), 0L);
        return id;
    }

    private void tick(long at) {
        events.pipeInput(Topics.TICK_KEY, "{\"type\":\"tick\",\"received_at\":\"" + WindowFormat.iso(at) + "\"}", 0L);
    }

    private Map<String, Long> totals(String match) {
        KeyValueStore<String, Counts> store = driver.getKeyValueStore(ExactCountsConfig.TOTALS_STORE);
        Counts c = store.get(match);
        return c == null ? Map.of() : c.asMap();
    }

    private List<KeyValue<Long, Map<String, Long>>> windows(String match, long from, long to) {
        WindowStore<String, Counts> store = driver.getWindowStore(ExactCountsConfig.WINDOWS_STORE);
        List<KeyValue<Long, Map<String, Long>>> out = new ArrayList<>();
        try (WindowStoreIterator<Counts> it = store.fetch(match, Instant.ofEpochMilli(from), Instant.ofEpochMilli(to))) {
            it.forEachRemaining(kv -> out.add(KeyValue.pair(kv.key, kv.value.asMap())));
        }
        return out;
    }

    private List<JsonNode> exactRecords() throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (KeyValue<String, String> kv : exact.readKeyValuesToList()) {
            JsonNode n = JSON.readTree(kv.value);
            assertEquals(kv.key, n.get("match_id").asText());
            out.add(n);
        }
        return out;
    }

    @Test
    public void countsEventsPerMatchAndEmojiInTwoSecondWindows() throws Exception {
        send("m1", "🔥", T0 + 10);
        send("m1", "🔥", T0 + 1999);
        send("m1", "😀", T0 + 500);
        send("m1", "🔥", T0 + 2000); // next window
        assertEquals(List.of(
                KeyValue.pair(T0, Map.of("🔥", 2L, "😀", 1L)),
                KeyValue.pair(T0 + 2000, Map.of("🔥", 1L))), windows("m1", T0, T0 + 2000));
        assertTrue("no window is emitted before it closes", exact.isEmpty());

        send("m1", "😀", T0 + 4000 + GRACE); // stream time passes end+grace of both windows
        List<JsonNode> recs = exactRecords();
        assertEquals(2, recs.size());
        assertEquals(JSON.readTree("{\"match_id\":\"m1\",\"window_start\":\"2026-11-28T15:00:00.000Z\","
                + "\"window_end\":\"2026-11-28T15:00:02.000Z\",\"counts\":{\"🔥\":2,\"😀\":1},\"swarm\":{\"🔥\":1,\"😀\":1},\"total\":3,"
                + "\"mood\":{\"score\":0.78,\"feeling\":\"hype\"}}"), recs.get(0));
        assertEquals("2026-11-28T15:00:02.000Z", recs.get(1).get("window_start").asText());
        assertEquals(1, recs.get(1).get("total").asLong());
    }

    @Test
    public void aRepeatedEventIdIsCountedOnce() {
        String first = event("retry-1", "m1", "🔥", T0 + 100);
        events.pipeInput("u-1", first, 0L);
        events.pipeInput("u-1", first, 0L); // the same record again (producer retry)
        events.pipeInput("u-1", event("retry-1", "m1", "🔥", T0 + 1300), 0L); // client retry: new received_at
        events.pipeInput("u-1", event("retry-1", "m1", "🔥", T0 + 5 * 60_000), 0L); // 5 min later: still a duplicate
        send("m1", "🔥", T0 + 200);
        assertEquals(Map.of("🔥", 2L), totals("m1"));
        assertEquals(Map.of("🔥", 2L), windows("m1", T0, T0).get(0).value);
        assertEquals(3, counters.duplicates.get());
        assertEquals(2, counters.events.get());
    }

    @Test
    public void theSameEventIdFromAnotherUserIsAnotherEvent() {
        String mine = event("shared-id", "m1", "🔥", T0 + 100);
        events.pipeInput("u-1", mine, 0L);
        events.pipeInput("u-2", mine.replace("\"user_id\":\"u-1\"", "\"user_id\":\"u-2\""), 0L);
        events.pipeInput("u-1", event("shared-id", "m1", "🔥", T0 + 900), 0L); // u-1's retry: a duplicate
        send("m1", "🔥", T0 + 4000 + GRACE);
        assertEquals(Map.of("🔥", 3L), totals("m1"));
        assertEquals(1, counters.duplicates.get());
    }

    @Test
    public void anEventIdSeenLongerAgoThanTheRetentionCountsAgain() {
        events.pipeInput("u-1", event("old-1", "m1", "🔥", T0), 0L);
        events.pipeInput("u-1", event("old-1", "m1", "🔥", T0 + 11 * 60_000), 0L); // retention is 10 min
        assertEquals(Map.of("🔥", 2L), totals("m1"));
    }

    @Test
    public void aRecordThatDoesNotParseIsCountedAndSkipped() {
        events.pipeInput("u-1", "not json at all", 0L);
        events.pipeInput("u-1", "{\"event_id\":\"x\"}", 0L);
        events.pipeInput("u-1", (String) null, 0L);
        send("m1", "🔥", T0 + 1);
        events.pipeInput("u-1", "{\"emoji_type\":\"🔥\",\"match_id\":\"m1\"", 0L);
        send("m1", "🔥", T0 + 2);
        assertEquals(Map.of("🔥", 2L), totals("m1"));
        assertEquals(4, counters.invalid.get());
    }

    @Test
    public void totalsAddUpAcrossWindowsAndKeepMatchesApart() {
        for (int w = 0; w < 5; w++) {
            send("m1", "🔥", T0 + w * 2000L + 7);
            send("m1", "😮", T0 + w * 2000L + 9);
            send("m2", "🔥", T0 + w * 2000L + 11);
        }
        send("m2", "👏", T0 + 10_001);
        assertEquals(Map.of("🔥", 5L, "😮", 5L), totals("m1"));
        assertEquals(Map.of("🔥", 5L, "👏", 1L), totals("m2"));
        assertEquals(Map.of(), totals("m3"));
        assertEquals(5, windows("m1", T0, T0 + 10_000).size());
        assertEquals(6, windows("m2", T0, T0 + 10_000).size());
    }

    /**
     * A packed record (contracts/event-records.json) is read as its events, each at its own received_at: its events
     * fall in two windows, a repeat of one of them (packed or not) is a duplicate, an invalid element is counted.
     */
    @Test
    public void aPackedRecordCountsAsItsEventsEachAtItsOwnTime() throws Exception {
        String a = event("p-1", "m1", "🔥", T0 + 100), b = event("p-2", "m1", "😀", T0 + 1999), c = event("p-3", "m1", "🔥", T0 + 2100);
        events.pipeInput("u-1", "{\"type\":\"events\",\"events\":[" + a + "," + b + ",{\"event_id\":\"x\"}," + c + "]}", 0L);
        events.pipeInput("u-1", a, 0L); // the first event again, one-event record: a duplicate
        events.pipeInput("u-1", "{\"type\":\"events\",\"events\":[" + b + "]}", 0L); // packed again: a duplicate
        assertEquals(List.of(
                KeyValue.pair(T0, Map.of("🔥", 1L, "😀", 1L)),
                KeyValue.pair(T0 + 2000, Map.of("🔥", 1L))), windows("m1", T0, T0 + 2000));
        assertEquals(3, counters.events.get());
        assertEquals(2, counters.duplicates.get());
        assertEquals(1, counters.invalid.get());
        tick(T0 + 2000 + GRACE); // stream time past the first window end + grace: it closes with both events
        List<JsonNode> recs = exactRecords();
        assertEquals(1, recs.size());
        assertEquals(2, recs.get(0).get("total").asLong());
        assertEquals(Map.of("🔥", 2L, "😀", 1L), totals("m1"));
    }

    @Test
    public void ticksCloseWindowsAndAreNotCounted() throws Exception {
        send("m1", "🔥", T0 + 100);
        tick(T0 + 1500);
        tick(T0 + 2000 + GRACE - 1);
        assertTrue("window still inside its grace period", exact.isEmpty());
        tick(T0 + 2000 + GRACE); // window end + grace: closed
        List<JsonNode> recs = exactRecords();
        assertEquals(1, recs.size());
        assertEquals(1, recs.get(0).get("total").asLong());
        tick(T0 + 60_000);
        assertTrue("ticks alone produce no windows", exact.isEmpty());
        assertEquals(Map.of("🔥", 1L), totals("m1"));
        assertNull(((KeyValueStore<String, Counts>) driver.<String, Counts>getKeyValueStore(ExactCountsConfig.TOTALS_STORE)).get(Topics.TICK_KEY));
        assertEquals(4, counters.ticks.get());
        assertEquals(1, counters.events.get());
    }

    @Test
    public void anEventLaterThanTheGracePeriodStillCountsInTheTotals() throws Exception {
        send("m1", "🔥", T0 + 100);
        tick(T0 + 5000);
        assertEquals(1, exactRecords().size());
        send("m1", "🔥", T0 + 200); // its window closed long ago
        assertEquals(Map.of("🔥", 2L), totals("m1"));
        tick(T0 + 9000);
        assertTrue("a closed window is not emitted again", exact.isEmpty());
        assertEquals(1, counters.late.get());
    }
}
