package io.emostream.streams;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.Stores;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * The window stage on its own, fed as the repartition topic would feed it ("p|emoji" from source partition
 * p): a window closes only when EVERY source partition's clock has passed its end + grace.
 */
public class WindowCountsProcessorTest {
    private static final long T0 = Instant.parse("2026-11-28T15:00:00.000Z").toEpochMilli();
    private TopologyTestDriver driver;
    private TestInputTopic<String, String> in;
    private TestOutputTopic<String, String> out;
    private final TopologyCounters counters = new TopologyCounters();

    @Before
    public void setUp() throws Exception {
        ExactCountsConfig d = ExactCountsConfig.defaults();
        ExactCountsConfig cfg = new ExactCountsConfig("dummy:9092", "wcp-test", Files.createTempDirectory("wcp").toString(),
                Topics.EVENTS, Topics.EXACT, Duration.ofMillis(2000), Duration.ofMillis(500), Duration.ofMinutes(10),
                Duration.ofHours(1), 100, 1000, 2, d.rocksDbCacheBytes(), 3, "earliest",
                Topics.MOMENTS, d.moments(), d.momentsRetention(), 1, 1);
        Topology t = new Topology();
        t.addSource("in", new StringDeserializer(), new StringDeserializer(), "by-match");
        t.addProcessor("windows", () -> new WindowCountsProcessor(cfg, 3, counters), "in");
        t.addStateStore(Stores.windowStoreBuilder(Stores.persistentWindowStore(ExactCountsConfig.WINDOWS_STORE,
                Duration.ofHours(1), Duration.ofMillis(2000), false), Serdes.String(), Counts.serde()), "windows");
        t.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(ExactCountsConfig.PROGRESS_STORE),
                Serdes.String(), Serdes.Long()), "windows");
        t.addSink("out", Topics.EXACT, new StringSerializer(), new StringSerializer(), "windows");
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "wcp-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "dummy:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, cfg.stateDir());
        driver = new TopologyTestDriver(t, props);
        in = driver.createInputTopic("by-match", new StringSerializer(), new StringSerializer());
        out = driver.createOutputTopic(Topics.EXACT, new StringDeserializer(), new StringDeserializer());
    }

    @After
    public void tearDown() {
        driver.close();
    }

    private void event(int p, String match, String emoji, long ts) {
        in.pipeInput(match, p + "|" + emoji, ts);
    }

    private void tick(int p, long ts) {
        in.pipeInput(Topics.TICK_KEY, p + "|", ts);
    }

    @Test
    public void aWindowWaitsForTheSlowestSourcePartition() throws Exception {
        event(0, "m1", "🔥", T0 + 100);
        tick(0, T0 + 60_000); // partition 0 is far ahead…
        tick(1, T0 + 60_000);
        assertTrue("partition 2 has not spoken yet: nothing closes", out.isEmpty());
        tick(2, T0 + 1000);  // …partition 2 is catching up
        event(2, "m1", "🔥", T0 + 1500); // still on time: counted in its window
        tick(2, T0 + 2499);
        assertTrue(out.isEmpty());
        tick(2, T0 + 2500);
        List<String> recs = out.readValuesToList();
        assertEquals(1, recs.size());
        assertEquals(2, new ObjectMapper().readTree(recs.get(0)).get("counts").get("🔥").asLong());
        assertEquals(0, counters.late.get());
        event(1, "m1", "😀", T0 + 1999); // its window has been emitted: late
        assertEquals(1, counters.late.get());
        tick(2, T0 + 9000);
        assertTrue("an emitted window is not emitted again", out.readValuesToList().stream().noneMatch(v -> v.contains("15:00:00.000Z\",")));
    }

    @Test
    public void quietWindowsBetweenEventsProduceNothingAndTicksAreNotCounted() throws Exception {
        for (int p = 0; p < 3; p++) tick(p, T0);
        event(1, "m1", "🔥", T0 + 10);
        event(1, "m2", "🔥", T0 + 20);
        for (int p = 0; p < 3; p++) tick(p, T0 + 20_000);
        List<String> recs = out.readValuesToList();
        assertEquals(2, recs.size());
        for (String r : recs) assertEquals(1, new ObjectMapper().readTree(r).get("total").asLong());
    }
}
