package io.emostream.spark;

import static io.emostream.spark.TestSpark.event;
import static io.emostream.spark.TestSpark.tick;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.map;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.Test;

/** The aggregation on static frames. */
public class AggregationsTest {
    static final long T0 = WindowFormat.parseIso("2026-11-28T15:00:00.000Z");
    static final Aggregations.Settings S = Aggregations.Settings.defaults();

    /** Records by window id, parsed; asserts key = match_id. */
    static Map<String, JsonNode> windows(Dataset<Row> records) throws Exception {
        Map<String, JsonNode> out = new TreeMap<>();
        for (Row r : records.collectAsList()) {
            JsonNode v = TestSpark.JSON.readTree(r.<String>getAs("value"));
            assertEquals(v.get("match_id").asText(), r.getAs("key"));
            String id = WindowFormat.windowId(v.get("match_id").asText(), WindowFormat.parseIso(v.get("window_start").asText()));
            assertEquals("one record per (match, window)", null, out.put(id, v));
        }
        return out;
    }

    static List<String> repeat(int n, String matchId, String emoji, long atMs) {
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(event(matchId, emoji, atMs + (i % 7)));
        return out;
    }

    @Test
    public void theSharedExampleWindowComesOutExactlyAsInTheContract() throws Exception {
        JsonNode ex = TestSpark.contract("windows.json").get("records").get(0);
        long start = WindowFormat.parseIso(ex.get("window_start").asText());
        List<String> values = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> it = ex.get("counts").fields();
        int k = 0;
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            for (int i = 0; i < e.getValue().asInt(); i++) values.add(event(ex.get("match_id").asText(), e.getKey(), start + (i * 7 + k) % 2000));
            k++;
        }
        Collections.shuffle(values);
        Map<String, JsonNode> got = windows(Aggregations.aggregate(TestSpark.raw(values), S));
        JsonNode expected = ex.get("expected");
        assertEquals(1, got.size());
        JsonNode record = got.get(expected.get("id").asText());
        assertEquals(expected.get("record"), record);
        // field order as in the contract
        List<String> names = new ArrayList<>();
        record.fieldNames().forEachRemaining(names::add);
        assertEquals(Arrays.asList("match_id", "window_start", "window_end", "counts", "swarm", "total", "mood"), names);
    }

    @Test
    public void theSwarmExpressionFollowsTheSharedScaleRule() throws Exception {
        JsonNode examples = TestSpark.contract("scale-rule.json").get("examples");
        StructType schema = new StructType().add("count", DataTypes.LongType).add("factor", DataTypes.LongType).add("swarm", DataTypes.LongType);
        List<Row> rows = new ArrayList<>();
        for (JsonNode e : examples) rows.add(RowFactory.create(e.get("count").asLong(), e.get("factor").asLong(), e.get("swarm").asLong()));
        Dataset<Row> df = TestSpark.session().createDataFrame(rows, schema);
        int checked = 0;
        for (long factor : new long[] {1, 100, 500, 1000}) {
            for (Row r : df.filter(col("factor").equalTo(factor))
                    .select(col("count"), col("swarm"), Aggregations.swarm(map(lit("🔥"), col("count")), factor).getItem("🔥").as("got"))
                    .collectAsList()) {
                assertEquals("count " + r.get(0) + " factor " + factor, r.getLong(1), r.getLong(2));
                checked++;
            }
        }
        assertEquals(examples.size(), checked);
    }

    @Test
    public void severalMatchesAndEmojisInOneWindow() throws Exception {
        List<String> values = new ArrayList<>();
        values.addAll(repeat(2500, "m-a", "🔥", T0 + 100));
        values.addAll(repeat(3, "m-a", "😂", T0 + 1990));
        values.addAll(repeat(1, "m-b", "🔥", T0 + 1000));
        values.addAll(repeat(1200, "m-b", "👍🏽", T0));
        values.add(tick(T0 + 500));
        Map<String, JsonNode> got = windows(Aggregations.aggregate(TestSpark.raw(values), S));
        assertEquals(2, got.size());
        JsonNode a = got.get("m-a:" + T0), b = got.get("m-b:" + T0);
        assertEquals(2500, a.get("counts").get("🔥").asLong());
        assertEquals(3, a.get("counts").get("😂").asLong());
        assertEquals(2, a.get("swarm").get("🔥").asLong());
        assertEquals(1, a.get("swarm").get("😂").asLong());
        assertEquals(2503, a.get("total").asLong());
        assertEquals(2, a.get("counts").size());
        assertEquals(1, b.get("counts").get("🔥").asLong());
        assertEquals(1200, b.get("counts").get("👍🏽").asLong());
        assertEquals(1201, b.get("total").asLong());
        assertEquals("2026-11-28T15:00:02.000Z", b.get("window_end").asText());
    }

    @Test
    public void eventsInAdjacentWindowsGoToSeparateRecords() throws Exception {
        List<String> values = Arrays.asList(
            event("m", "🔥", T0 + 1999), event("m", "🔥", T0 + 1998), event("m", "🔥", T0 + 2000), event("m", "😀", T0 + 3999), event("m", "😀", T0 + 4000));
        Map<String, JsonNode> got = windows(Aggregations.aggregate(TestSpark.raw(values), S));
        assertEquals(3, got.size());
        assertEquals(2, got.get("m:" + T0).get("counts").get("🔥").asLong());
        JsonNode w2 = got.get("m:" + (T0 + 2000));
        assertEquals("2026-11-28T15:00:02.000Z", w2.get("window_start").asText());
        assertEquals("2026-11-28T15:00:04.000Z", w2.get("window_end").asText());
        assertEquals(1, w2.get("counts").get("🔥").asLong());
        assertEquals(1, w2.get("counts").get("😀").asLong());
        assertEquals(1, got.get("m:" + (T0 + 4000)).get("total").asLong());
    }

    /** {@link Aggregations#liveAndClosedWindows} on a static frame: kind → (window id → record), asserts key = match_id. */
    static Map<String, Map<String, JsonNode>> counterRecords(Dataset<Row> raw, Aggregations.Settings s) throws Exception {
        Map<String, Map<String, JsonNode>> out = new TreeMap<>();
        Dataset<Row> rows = Aggregations.liveAndClosedWindows(Aggregations.firstOccurrences(Aggregations.classify(raw), s), s);
        for (Row r : rows.collectAsList()) {
            if (WindowCounter.KIND_CLOCK.equals(r.getAs("kind"))) continue;
            JsonNode v = TestSpark.JSON.readTree(r.<String>getAs("value"));
            if (WindowCounter.KIND_LIVE.equals(r.getAs("kind"))) {
                // the record as it would close now: the live record without its seq
                assertEquals(withoutSeq(v), TestSpark.JSON.readTree(r.<String>getAs("record")));
            }
            assertEquals(v.get("match_id").asText(), r.getAs("match_id"));
            assertEquals(WindowFormat.parseIso(v.get("window_start").asText()), (long) r.<Long>getAs("window_start_ms"));
            assertEquals(WindowFormat.parseIso(v.get("window_end").asText()), (long) r.<Long>getAs("window_end_ms"));
            String id = WindowFormat.windowId(v.get("match_id").asText(), r.<Long>getAs("window_start_ms"));
            out.computeIfAbsent(r.getAs("kind"), k -> new TreeMap<>()).put(id, v);
        }
        return out;
    }

    /** A live record without its seq: what the closed record of the same counts is. */
    static JsonNode withoutSeq(JsonNode live) {
        com.fasterxml.jackson.databind.node.ObjectNode o = live.deepCopy();
        o.remove("seq");
        return o;
    }

    @Test
    public void theWindowCounterGivesTheSameRecordsAsToWindowRecordsWithALiveRecordOfTheSameCounts() throws Exception {
        List<String> values = new ArrayList<>();
        values.addAll(repeat(1500, "m-b", "🔥", T0 + 2100));
        values.addAll(repeat(4, "m-a", "😡", T0 + 10));
        values.addAll(repeat(2, "m-b", "😀", T0 + 1999));
        values.addAll(repeat(3, "m-a", "🔥", T0 + 2000));
        values.add(tick(T0 + 2500));
        Collections.shuffle(values);
        Dataset<Row> raw = TestSpark.raw(values);
        Map<String, JsonNode> expected = windows(Aggregations.toWindowRecords(Aggregations.windowCounts(Aggregations.classify(raw), S), S));
        Map<String, Map<String, JsonNode>> got = counterRecords(raw, S);
        assertEquals(4, expected.size());
        assertEquals(expected, got.get(WindowCounter.KIND_CLOSED));
        assertEquals(expected.keySet(), got.get(WindowCounter.KIND_LIVE).keySet());
        for (Map.Entry<String, JsonNode> live : got.get(WindowCounter.KIND_LIVE).entrySet()) {
            assertEquals(1, live.getValue().get("seq").asLong());
            assertEquals(expected.get(live.getKey()), withoutSeq(live.getValue()));
        }
        assertEquals(1500, expected.get("m-b:" + (T0 + 2000)).get("counts").get("🔥").asLong());
        // the shared example of a live record: the window record with seq last
        JsonNode ex = TestSpark.contract("windows.json").get("live");
        assertEquals(ex.get("record"), TestSpark.JSON.readTree(WindowFormat.liveJson(
            ex.get("record").get("match_id").asText(), WindowFormat.parseIso(ex.get("record").get("window_start").asText()),
            WindowFormat.parseIso(ex.get("record").get("window_end").asText()),
            new TreeMap<>(Map.of("🔥", 3L, "😀", 1L)), 1000, Mood.defaults(), 0, ex.get("record").get("seq").asLong())));
    }

    @Test
    public void aRetrySecondsLaterInALaterWindowIsNotCountedAgain() throws Exception {
        List<String> values = new ArrayList<>();
        values.add(event("m", "🔥", T0 + 100, "u-1", "e-1"));
        values.add(event("m", "😀", T0 + 200, "u-2", "e-2"));
        // the same two events again, admitted again by the API 7.9 s and 95 s later (new received_at)
        values.add(event("m", "🔥", T0 + 8000, "u-1", "e-1"));
        values.add(event("m", "😀", T0 + 95_000, "u-2", "e-2"));
        values.add(event("m", "😀", T0 + 8100, "u-3", "e-3"));
        Map<String, JsonNode> got = windows(Aggregations.aggregate(TestSpark.raw(values), S));
        assertEquals("the first occurrences' window and the one fresh event's: " + got.keySet(), 2, got.size());
        JsonNode w0 = got.get("m:" + T0);
        assertEquals(1, w0.get("counts").get("🔥").asLong());
        assertEquals(1, w0.get("counts").get("😀").asLong());
        assertEquals(2, w0.get("total").asLong());
        JsonNode w4 = got.get("m:" + (T0 + 8000));
        assertEquals(1, w4.get("total").asLong());
        assertEquals(1, w4.get("counts").get("😀").asLong());
        assertEquals(null, w4.get("late"));
    }

    @Test
    public void theFirstOccurrenceByOffsetIsTheOneCounted() throws Exception {
        // offsets follow list order: the earlier offset wins even when its received_at is later (clock skew)
        List<String> values = Arrays.asList(event("m", "🔥", T0 + 2500, "u-1", "e-1"), event("m", "🔥", T0 + 100, "u-1", "e-1"));
        Map<String, JsonNode> got = windows(Aggregations.aggregate(TestSpark.raw(values), S));
        assertEquals(Collections.singleton("m:" + (T0 + 2000)), got.keySet());
        assertEquals(1, got.get("m:" + (T0 + 2000)).get("total").asLong());
    }

    @Test
    public void differentUsersWithTheSameEventIdAllCount() throws Exception {
        List<String> values = Arrays.asList(
            event("m", "🔥", T0 + 100, "u-1", "e-1"), event("m", "🔥", T0 + 150, "u-2", "e-1"), event("m", "😡", T0 + 300, "u-3", "e-1"),
            // and one user's different event ids
            event("m", "🔥", T0 + 400, "u-1", "e-2"));
        JsonNode w = windows(Aggregations.aggregate(TestSpark.raw(values), S)).get("m:" + T0);
        assertEquals(3, w.get("counts").get("🔥").asLong());
        assertEquals(1, w.get("counts").get("😡").asLong());
        assertEquals(4, w.get("total").asLong());
    }

    @Test
    public void aRepeatAfterTheRetentionPeriodIsANewEvent() throws Exception {
        Aggregations.Settings shortRetention = new Aggregations.Settings(2000, 500, 1000, 5000);
        List<String> values = Arrays.asList(
            event("m", "🔥", T0 + 100, "u-1", "e-1"), event("m", "🔥", T0 + 5100, "u-1", "e-1"), event("m", "🔥", T0 + 5101, "u-1", "e-1"));
        Map<String, JsonNode> got = windows(Aggregations.aggregate(TestSpark.raw(values), shortRetention));
        assertEquals(2, got.size());
        assertEquals(1, got.get("m:" + T0).get("total").asLong());
        assertEquals("5001 ms after the first: counted again, once", 1, got.get("m:" + (T0 + 4000)).get("total").asLong());
    }

    @Test
    public void everyWindowCarriesItsMoodAngryNegativeHypePositive() throws Exception {
        List<String> values = new ArrayList<>();
        values.addAll(repeat(40, "m-angry", "😡", T0 + 100));
        values.addAll(repeat(30, "m-hype", "🔥", T0 + 100));
        values.addAll(repeat(20, "m-hype", "👏", T0 + 900));
        Collections.shuffle(values);
        Dataset<Row> counts = Aggregations.windowCounts(Aggregations.classify(TestSpark.raw(values)), S);
        Map<String, JsonNode> got = windows(Aggregations.toWindowRecords(counts, S));
        JsonNode angry = got.get("m-angry:" + T0).get("mood"), hype = got.get("m-hype:" + T0).get("mood");
        assertTrue(angry.toString(), angry.get("score").asDouble() < 0);
        assertEquals("anger", angry.get("feeling").asText());
        assertTrue(hype.toString(), hype.get("score").asDouble() > 0);
        assertEquals("hype", hype.get("feeling").asText());
        // the shared examples: the same numbers
        JsonNode examples = TestSpark.contract("mood.json").get("examples");
        assertEquals(examples.get(0).get("mood"), angry);
        assertEquals(examples.get(1).get("mood"), hype);
        // the window counter (what the Job writes) gives the same mood
        for (Map.Entry<String, JsonNode> w : counterRecords(TestSpark.raw(values), S).get(WindowCounter.KIND_CLOSED).entrySet()) {
            assertEquals(got.get(w.getKey()).get("mood"), w.getValue().get("mood"));
        }
    }

    @Test
    public void invalidRecordsAreClassifiedAndSetAsideWithoutFailing() throws Exception {
        List<String> bad = Arrays.asList(
            "not json",
            "{\"user_id\":\"u\"",
            "[1,2,3]",
            "42",
            "\"a string\"",
            "",
            null,
            "{}",
            // missing emoji_type / match_id / event_id
            "{\"event_id\":\"e\",\"user_id\":\"u\",\"timestamp\":\"2026-11-28T15:00:00.000Z\",\"match_id\":\"m\",\"received_at\":\"2026-11-28T15:00:00.000Z\"}",
            "{\"event_id\":\"e\",\"user_id\":\"u\",\"emoji_type\":\"🔥\",\"timestamp\":\"2026-11-28T15:00:00.000Z\",\"received_at\":\"2026-11-28T15:00:00.000Z\"}",
            "{\"user_id\":\"u\",\"emoji_type\":\"🔥\",\"timestamp\":\"2026-11-28T15:00:00.000Z\",\"match_id\":\"m\",\"received_at\":\"2026-11-28T15:00:00.000Z\"}",
            // blank, bad and missing received_at (ANSI mode would throw on a plain cast)
            "{\"event_id\":\"e\",\"user_id\":\" \",\"emoji_type\":\"🔥\",\"timestamp\":\"x\",\"match_id\":\"m\",\"received_at\":\"2026-11-28T15:00:00.000Z\"}",
            "{\"event_id\":\"e\",\"user_id\":\"u\",\"emoji_type\":\"🔥\",\"timestamp\":\"x\",\"match_id\":\"m\",\"received_at\":\"yesterday\"}",
            "{\"event_id\":\"e\",\"user_id\":\"u\",\"emoji_type\":\"🔥\",\"timestamp\":\"x\",\"match_id\":\"m\",\"received_at\":\"2026-13-45T99:00:00.000Z\"}",
            "{\"event_id\":\"e\",\"user_id\":\"u\",\"emoji_type\":\"🔥\",\"timestamp\":\"x\",\"match_id\":\"m\"}",
            // a tick without a usable clock, an unknown record type
            "{\"type\":\"tick\"}",
            "{\"type\":\"tick\",\"received_at\":12}",
            "{\"type\":\"other\",\"received_at\":\"2026-11-28T15:00:00.000Z\"}",
            // an over-long emoji
            event("m", "🔥".repeat(Schemas.MAX_EMOJI_CHARS + 1), T0));
        List<String> values = new ArrayList<>(bad);
        values.add(event("m", "🔥", T0 + 10));
        values.add(tick(T0 + 20));
        values.add(event("m", "😀", T0 + 30));
        Dataset<Row> classified = Aggregations.classify(TestSpark.raw(values)).cache();
        Map<String, Long> kinds = new HashMap<>();
        for (Row r : classified.groupBy("kind").count().collectAsList()) kinds.put(r.getString(0), r.getLong(1));
        List<Row> notInvalid = classified.filter(col("kind").notEqual(Schemas.KIND_INVALID).and(col("offset").lt(bad.size()))).collectAsList();
        assertEquals("classified as valid: " + notInvalid, 0, notInvalid.size());
        assertEquals(Long.valueOf(bad.size()), kinds.get(Schemas.KIND_INVALID));
        assertEquals(Long.valueOf(2), kinds.get(Schemas.KIND_EVENT));
        assertEquals(Long.valueOf(1), kinds.get(Schemas.KIND_TICK));
        // invalid rows keep their offset (for the log) and carry no event time
        Row first = classified.filter(col("kind").equalTo(Schemas.KIND_INVALID)).orderBy("offset").first();
        assertEquals(0L, first.<Long>getAs("offset").longValue());
        assertEquals(null, first.getAs("event_time"));
        assertEquals("not json", first.getAs("raw"));

        Map<String, JsonNode> got = windows(Aggregations.aggregate(TestSpark.raw(values), S));
        assertEquals(1, got.size());
        assertEquals(2, got.get("m:" + T0).get("total").asLong());
        classified.unpersist();
    }

    /** contracts/event-records.json: each record's events in order with their positions, ticks and invalid rows. */
    @Test
    public void classifiesTheRecordsOfTheContract() throws Exception {
        JsonNode c = TestSpark.contract("event-records.json");
        assertEquals(c.get("type").asText(), Schemas.TYPE_PACKED);
        List<String> values = new ArrayList<>();
        for (JsonNode r : c.get("records")) values.add(r.get("value").asText());
        List<Row> rows = Aggregations.classify(TestSpark.raw(values)).orderBy("offset", "position").collectAsList();
        for (int i = 0; i < values.size(); i++) {
            JsonNode r = c.get("records").get(i);
            String name = r.get("name").asText();
            final long offset = i;
            List<Row> mine = rows.stream().filter(x -> x.<Long>getAs("offset") == offset).toList();
            List<Row> events = mine.stream().filter(x -> Schemas.KIND_EVENT.equals(x.getAs("kind"))).toList();
            assertEquals(name, r.get("ticks").asLong(), mine.stream().filter(x -> Schemas.KIND_TICK.equals(x.getAs("kind"))).count());
            assertEquals(name, r.get("invalid").asLong(), mine.stream().filter(x -> Schemas.KIND_INVALID.equals(x.getAs("kind"))).count());
            assertEquals(name, r.get("events").size(), events.size());
            for (int j = 0; j < events.size(); j++) {
                JsonNode want = r.get("events").get(j);
                Row got = events.get(j);
                assertEquals(name, want.get("event_id").asText(), got.getAs("event_id"));
                assertEquals(name, want.get("user_id").asText(), got.getAs("user_id"));
                assertEquals(name, want.get("emoji_type").asText(), got.getAs("emoji_type"));
                assertEquals(name, want.get("match_id").asText(), got.getAs("match_id"));
                assertEquals(name, WindowFormat.parseIso(want.get("received_at").asText()), got.<java.sql.Timestamp>getAs("event_time").getTime());
                assertEquals(name, want.get("position").asInt(), got.<Integer>getAs("position").intValue());
                assertEquals(name, i % 6, got.<Integer>getAs("partition").intValue());
            }
        }
    }

    /** The same events packed or one per record: the same windows; a repeat inside and across packed records counted once. */
    @Test
    public void packedRecordsCountAsTheirEvents() throws Exception {
        List<String> one = new ArrayList<>();
        for (int i = 0; i < 30; i++) one.add(event("m", i % 3 == 0 ? "😀" : "🔥", T0 + i * 137L, "u-" + (i % 4), "e-" + i));
        List<String> packed = new ArrayList<>();
        for (int i = 0; i < one.size(); i += 7) packed.add("{\"type\":\"events\",\"events\":[" + String.join(",", one.subList(i, Math.min(one.size(), i + 7))) + "]}");
        // a retry of e-3 in a later packed record, and e-5 twice in one packed record: duplicates
        packed.add("{\"type\":\"events\",\"events\":[" + one.get(3) + "," + one.get(5) + "," + one.get(5) + "]}");
        Map<String, JsonNode> fromOne = windows(Aggregations.aggregate(TestSpark.raw(one), S));
        Map<String, JsonNode> fromPacked = windows(Aggregations.aggregate(TestSpark.raw(packed), S));
        assertTrue(fromOne.size() >= 2);
        assertEquals(fromOne, fromPacked);
        // the window counter (what the Job writes) agrees
        assertEquals(counterRecords(TestSpark.raw(one), S).get(WindowCounter.KIND_CLOSED), counterRecords(TestSpark.raw(packed), S).get(WindowCounter.KIND_CLOSED));
    }

    @Test
    public void ticksAloneProduceNoWindows() throws Exception {
        List<String> values = new ArrayList<>();
        for (int i = 0; i < 40; i++) values.add(tick(T0 + i * 250L));
        Dataset<Row> counts = Aggregations.windowCounts(Aggregations.classify(TestSpark.raw(values)), S);
        assertTrue("ticks do reach the aggregation (they are the clock)", counts.count() > 0);
        assertEquals(0, Aggregations.aggregate(TestSpark.raw(values), S).count());
    }

    @Test(expected = IllegalStateException.class)
    public void windowRecordsRefuseANonUtcSession() {
        String tz = TestSpark.session().conf().get("spark.sql.session.timeZone");
        TestSpark.session().conf().set("spark.sql.session.timeZone", "Asia/Kolkata");
        try {
            Aggregations.toWindowRecords(Aggregations.windowCounts(Aggregations.classify(TestSpark.raw(Arrays.asList(tick(T0)))), S), S);
        } finally {
            TestSpark.session().conf().set("spark.sql.session.timeZone", tz);
        }
    }
}
