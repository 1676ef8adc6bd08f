package io.emostream.spark;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.Test;

/** The Java side of the shared contracts: topic names, the scale rule, window bounds and ids. */
public class ContractsTest {
    @Test
    public void topicNamesMatchTheContract() throws Exception {
        JsonNode t = TestSpark.contract("topics.json");
        assertEquals(t.get("events").asText(), Topics.EVENTS);
        assertEquals(t.get("windows").asText(), Topics.WINDOWS);
        assertEquals(t.get("live").asText(), Topics.LIVE);
        assertEquals(t.get("exact").asText(), Topics.EXACT);
        assertEquals(t.get("metrics").asText(), Topics.METRICS);
    }

    @Test
    public void ticksWithAndWithoutAnInstanceAreTicks() throws Exception {
        JsonNode c = TestSpark.contract("ticks.json");
        java.util.List<String> values = new java.util.ArrayList<>();
        for (JsonNode t : c.get("ticks")) values.add(t.get("value").asText());
        for (JsonNode bad : c.get("invalid")) values.add(bad.asText());
        java.util.List<org.apache.spark.sql.Row> rows = Aggregations.classify(TestSpark.raw(values)).orderBy("offset").collectAsList();
        for (int i = 0; i < values.size(); i++) {
            org.apache.spark.sql.Row r = rows.get(i);
            JsonNode t = i < c.get("ticks").size() ? c.get("ticks").get(i) : null;
            assertEquals(values.get(i), t == null ? Schemas.KIND_INVALID : Schemas.KIND_TICK, r.getAs("kind"));
            if (t != null) assertEquals(t.get("received_at_ms").asLong(), r.<java.sql.Timestamp>getAs("event_time").getTime());
            if (t != null) assertEquals(t.get("instance").isNull() ? null : t.get("instance").asText(), r.getAs("instance"));
        }
    }

    @Test
    public void scaleRuleMatchesTheSharedExamples() throws Exception {
        JsonNode ex = TestSpark.contract("scale-rule.json").get("examples");
        assertEquals(true, ex.size() >= 10);
        for (JsonNode e : ex) {
            long count = e.get("count").asLong(), factor = e.get("factor").asLong();
            assertEquals(count + " / " + factor, e.get("swarm").asLong(), WindowFormat.scale(count, factor));
        }
        assertEquals(0, WindowFormat.scale(0, 1000));
    }

    @Test
    public void windowBoundsAndIdsMatchTheSharedExamples() throws Exception {
        JsonNode w = TestSpark.contract("windows.json");
        long windowMs = w.get("windowMs").asLong();
        for (JsonNode e : w.get("windowOf")) {
            long start = WindowFormat.windowStart(WindowFormat.parseIso(e.get("timestamp").asText()), windowMs);
            assertEquals(e.get("window_start").asText(), WindowFormat.iso(start));
            assertEquals(e.get("window_end").asText(), WindowFormat.iso(start + windowMs));
        }
        for (JsonNode r : w.get("records")) {
            long start = WindowFormat.parseIso(r.get("window_start").asText());
            assertEquals(r.get("expected").get("id").asText(), WindowFormat.windowId(r.get("match_id").asText(), start));
        }
    }

    @Test
    public void recordJsonIsTheContractRecord() throws Exception {
        JsonNode r = TestSpark.contract("windows.json").get("records").get(0);
        java.util.Map<String, Long> counts = new java.util.TreeMap<>();
        r.get("counts").fields().forEachRemaining(e -> counts.put(e.getKey(), e.getValue().asLong()));
        long start = WindowFormat.parseIso(r.get("window_start").asText());
        String json = WindowFormat.recordJson(r.get("match_id").asText(), start, start + 2000, counts, 1000);
        JsonNode got = TestSpark.JSON.readTree(json);
        assertEquals(r.get("expected").get("record"), got);
        java.util.List<String> names = new java.util.ArrayList<>();
        got.fieldNames().forEachRemaining(names::add);
        assertEquals(java.util.Arrays.asList("match_id", "window_start", "window_end", "counts", "swarm", "total", "mood"), names);
    }

    @Test
    public void moodFollowsTheSharedTableAndExamples() throws Exception {
        JsonNode m = TestSpark.contract("mood.json");
        Mood mood = Mood.defaults();
        assertEquals(m.get("emojis").size(), mood.table().size());
        assertEquals(Mood.fromJson(m.get("emojis")).table(), mood.table());
        for (JsonNode e : m.get("examples")) {
            java.util.Map<String, Long> counts = new java.util.TreeMap<>();
            e.get("counts").fields().forEachRemaining(f -> counts.put(f.getKey(), f.getValue().asLong()));
            Mood.Result r = mood.of(counts);
            assertEquals(e.get("note").asText(), e.get("mood").get("score").asDouble(), r.score(), 0.0);
            assertEquals(e.get("note").asText(), e.get("mood").get("feeling").asText(), r.feeling());
        }
        assertTrue("all 😡 is negative", mood.of(java.util.Map.of("😡", 50L)).score() < 0);
        assertTrue("all 🔥/👏 is positive", mood.of(java.util.Map.of("🔥", 30L, "👏", 20L)).score() > 0);
    }

    @Test
    public void moodParsesTheConfigForm() {
        Mood m = Mood.parse("🔥:0.5:1:hype, 😡:-1:0.5:anger");
        assertEquals(2, m.table().size());
        assertEquals(new Mood.Entry(-1, 0.5, "anger"), m.table().get("😡"));
        assertEquals(Mood.defaults(), Mood.parse(""));
        assertEquals(-1.0, m.of(java.util.Map.of("😡", 3L)).score(), 0.0);
    }

    @Test(expected = IllegalArgumentException.class)
    public void moodRefusesAValenceOutOfRange() {
        Mood.parse("🔥:1.5:1:hype");
    }

    @Test
    public void jobConfigReadsArgumentsWithDefaults() {
        JobConfig c = JobConfig.parse(new String[] {"--brokers", "b:9092", "--trigger-ms=100", "--data-dir", "/tmp/x", "--ui-port=0"});
        assertEquals("b:9092", c.brokers());
        assertEquals(100, c.triggerMs());
        assertEquals(JobConfig.DEFAULT_WATERMARK_MS, c.watermarkMs());
        assertEquals(0, c.uiPort());
        assertEquals(null, c.master());
        assertEquals("/tmp/x/spark/checkpoint", c.checkpointDir().toString());
        assertEquals(Topics.EVENTS, c.eventsTopic());
        assertEquals("earliest", c.startingOffsets());
        assertEquals(Aggregations.Settings.DEFAULT_DEDUP_RETENTION_MS, c.dedupRetentionMs());
        assertEquals(Mood.defaults(), c.mood());
        assertEquals(1, JobConfig.parse(new String[] {"--brokers", "b", "--mood", "🔥:0.5:1:hype"}).settings().mood().table().size());
        // the Kafka source's fetches are answered at once (see JobConfig.DEFAULT_SOURCE_FETCH_MAX_WAIT_MS)
        assertEquals(0, c.sourceFetchMaxWaitMs());
        assertEquals(250, JobConfig.parse(new String[] {"--brokers", "b", "--source-fetch-max-wait-ms=250"}).sourceFetchMaxWaitMs());
    }

    @Test(expected = IllegalArgumentException.class)
    public void jobConfigRefusesUnknownOptions() {
        JobConfig.parse(new String[] {"--brokers", "b:9092", "--trigger", "100"});
    }
}
