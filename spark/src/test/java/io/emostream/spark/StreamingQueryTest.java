package io.emostream.spark;

import static io.emostream.spark.TestSpark.event;
import static io.emostream.spark.TestSpark.tick;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.streaming.StateOperatorProgress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.apache.spark.sql.streaming.Trigger;
import org.apache.spark.sql.streaming.StreamingQueryProgress;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * The streaming behaviour the static tests cannot show: a window appears once, only after the watermark passes its
 * end; ticks alone move the watermark (a quiet stream still closes its last window); a retry in a later micro-batch
 * is not counted again; a late event is counted as {@code late} in its match's next window, not dropped silently.
 * The running counts of an open window come out live (with a sequence number) in every batch that changed them, and
 * the last live record of a window carries its closed record's counts.
 * File source → Aggregations (what the Job runs) → memory sink, every 100 ms; each step waits until its records are read
 * and the query has gone quiet (no batch for ten triggers: a quiet stream costs no micro-batches).
 */
public class StreamingQueryTest {
    static final long T0 = AggregationsTest.T0;
    static Path dir;
    static int files;

    @BeforeClass
    public static void setUp() throws IOException {
        dir = Files.createTempDirectory("emostream-spark-stream");
        Files.createDirectories(dir.resolve("in"));
    }

    @AfterClass
    public static void tearDown() throws IOException {
        try (var walk = Files.walk(dir)) {
            walk.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
        }
    }

    static final AtomicLong rowsRead = new AtomicLong();
    static final AtomicLong lastBatch = new AtomicLong(-1);
    static long rowsWritten;

    /** Add one file of records atomically (written beside the folder, then moved in). */
    static void append(List<String> lines) throws IOException {
        rowsWritten += lines.size();
        Path tmp = dir.resolve("part-" + (++files) + ".tmp");
        Files.write(tmp, lines, StandardCharsets.UTF_8);
        Files.move(tmp, dir.resolve("in").resolve("part-" + files + ".txt"), StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Wait until every record written so far was read, then until the query is quiet: no batch for a second (ten
     * triggers). The batches the watermark needs (a window closes in the one after the batch that moved it) run by
     * themselves; after them, a quiet stream runs none (no processing-time timeout left to look for).
     */
    static void settle(StreamingQuery q) throws Exception {
        long deadline = System.currentTimeMillis() + 120_000;
        while (rowsRead.get() < rowsWritten) {
            if (System.currentTimeMillis() > deadline || q.exception().isDefined()) throw new AssertionError("records not read: " + q.exception());
            Thread.sleep(20);
        }
        long seen = lastBatch.get(), since = System.currentTimeMillis();
        while (System.currentTimeMillis() - since < 1000) {
            if (System.currentTimeMillis() > deadline || q.exception().isDefined()) throw new AssertionError("never quiet: " + q.exception());
            Thread.sleep(20);
            if (lastBatch.get() != seen || q.status().isTriggerActive()) {
                seen = lastBatch.get();
                since = System.currentTimeMillis();
            }
        }
    }

    /** Closed window records written so far, by window id (one per window: asserted). */
    static Map<String, JsonNode> emitted(SparkSession spark) throws Exception {
        Map<String, JsonNode> out = new java.util.TreeMap<>();
        for (Row r : spark.table("window_rows").where("kind = 'closed'").collectAsList()) {
            JsonNode v = TestSpark.JSON.readTree(r.<String>getAs("value"));
            assertEquals("one closed record per window", null, out.put(r.getAs("match_id") + ":" + r.getAs("window_start_ms"), v));
        }
        return out;
    }

    /** Live records written so far, by window id, in the order written (batch order). */
    static Map<String, List<JsonNode>> live(SparkSession spark) throws Exception {
        Map<String, List<JsonNode>> out = new java.util.TreeMap<>();
        for (Row r : spark.table("window_rows").where("kind = 'live'").collectAsList()) {
            out.computeIfAbsent(r.getAs("match_id") + ":" + r.getAs("window_start_ms"), k -> new ArrayList<>())
                .add(TestSpark.JSON.readTree(r.<String>getAs("value")));
        }
        return out;
    }

    @Test
    public void windowsCloseOnTheWatermarkTicksMoveItRetriesCountOnceAndLateEventsAreCountedAsLate() throws Exception {
        SparkSession spark = TestSpark.session();
        StreamingQueryListener counter = new StreamingQueryListener() {
            @Override
            public void onQueryStarted(QueryStartedEvent e) {}

            @Override
            public void onQueryProgress(QueryProgressEvent e) {
                if (!"window_rows".equals(e.progress().name())) return;
                rowsRead.addAndGet(e.progress().numInputRows());
                lastBatch.set(e.progress().batchId());
            }

            @Override
            public void onQueryTerminated(QueryTerminatedEvent e) {}
        };
        spark.streams().addListener(counter);
        // the Job's default: one shuffle partition, so the query runs without exchanges (Aggregations.onePartition)
        String partitions = spark.conf().get("spark.sql.shuffle.partitions");
        spark.conf().set("spark.sql.shuffle.partitions", "1");
        Dataset<Row> raw = spark.readStream().text(dir.resolve("in").toString())
            .withColumn("partition", functions.lit(0))
            .withColumn("offset", functions.lit(-1L));
        // what the Job runs: the live and closed rows of the window counter
        StreamingQuery q = Aggregations.liveAndClosedWindows(Aggregations.firstOccurrences(Aggregations.classify(raw), AggregationsTest.S), AggregationsTest.S)
            .writeStream()
            .format("memory")
            .queryName("window_rows")
            .outputMode("append")
            .trigger(Trigger.ProcessingTime(100, TimeUnit.MILLISECONDS))
            .option("checkpointLocation", dir.resolve("checkpoint").toString())
            .start();
        try {
            // 1. events in [T0, T0+2s), a tick at +2.2 s: the watermark (max − 500 ms) is +1.7 s, the window stays open
            List<String> first = new ArrayList<>();
            for (int i = 0; i < 30; i++) first.add(event("m-1", i % 3 == 0 ? "😀" : "🔥", T0 + 100 + i * 60));
            first.add(event("m-2", "😡", T0 + 1500));
            first.add(event("m-1", "🔥", T0 + 50, "u-retry", "e-retry"));
            first.add("garbage");
            first.add(tick(T0 + 2200));
            append(first);
            settle(q);
            String plan = ((org.apache.spark.sql.execution.streaming.runtime.StreamingQueryWrapper) q).explainInternal(false);
            assertTrue("two stateful steps, no exchange:\n" + plan, plan.split("FlatMapGroupsWithState", -1).length == 3 && !plan.contains("Exchange"));
            assertEquals(0, emitted(spark).size());
            // ... but its running counts are out already, live, with a sequence number
            Map<String, List<JsonNode>> liveSoFar = live(spark);
            assertEquals(2, liveSoFar.size());
            JsonNode firstLive = liveSoFar.get("m-1:" + T0).get(liveSoFar.get("m-1:" + T0).size() - 1);
            assertEquals(31, firstLive.get("total").asLong());
            assertEquals(1, firstLive.get("seq").asLong());

            // 1b. more events in the same open window, in a later batch: the next live record, seq 2
            append(Arrays.asList(event("m-1", "🔥", T0 + 1950), tick(T0 + 2250)));
            settle(q);
            assertEquals(0, emitted(spark).size());
            List<JsonNode> m1Live = live(spark).get("m-1:" + T0);
            assertEquals(2, m1Live.size());
            assertEquals(2, m1Live.get(1).get("seq").asLong());
            assertEquals(32, m1Live.get(1).get("total").asLong());
            assertEquals("the quiet match's window gets no new live record", 1, live(spark).get("m-2:" + T0).size());

            // 2. only a tick at +2.6 s (the quiet stream): watermark +2.1 s passes the window's end, it closes
            append(Arrays.asList(tick(T0 + 2600)));
            settle(q);
            Map<String, JsonNode> got = emitted(spark);
            assertEquals(2, got.size());
            JsonNode m1 = got.get("m-1:" + T0);
            assertEquals(22, m1.get("counts").get("🔥").asLong());
            assertEquals(10, m1.get("counts").get("😀").asLong());
            assertEquals(32, m1.get("total").asLong());
            assertEquals(null, m1.get("late"));
            assertEquals(1, got.get("m-2:" + T0).get("counts").get("😡").asLong());
            // the last live record of each window carries the closed record's counts
            for (Map.Entry<String, List<JsonNode>> l : live(spark).entrySet()) {
                List<JsonNode> seq = l.getValue();
                assertEquals(got.get(l.getKey()), AggregationsTest.withoutSeq(seq.get(seq.size() - 1)));
            }

            // 3. a late event for the closed window, and a retry (new received_at) of an event already counted
            append(Arrays.asList(event("m-1", "🔥", T0 + 1900), event("m-1", "🔥", T0 + 2700), event("m-1", "😀", T0 + 2800, "u-retry", "e-retry")));
            settle(q);
            got = emitted(spark);
            assertEquals("the closed window is not emitted again, the open one not yet", 2, got.size());
            assertEquals(32, got.get("m-1:" + T0).get("total").asLong());
            assertEquals("no live record for a closed window", 2, live(spark).get("m-1:" + T0).size());
            long dropped = 0;
            for (StreamingQueryProgress p : q.recentProgress()) {
                for (StateOperatorProgress s : p.stateOperators()) dropped += s.numRowsDroppedByWatermark();
            }
            assertEquals("nothing is dropped silently by the aggregation", 0, dropped);

            // 4. ticks close the second window: the late event is counted there as late, the retry not at all
            append(Arrays.asList(tick(T0 + 4000), tick(T0 + 4600)));
            settle(q);
            got = emitted(spark);
            assertEquals(3, got.size());
            JsonNode w2 = got.get("m-1:" + (T0 + 2000));
            assertEquals(1, w2.get("total").asLong());
            assertEquals(1, w2.get("counts").get("🔥").asLong());
            assertEquals(null, w2.get("counts").get("😀"));
            assertEquals(1, w2.get("late").asLong());
            assertTrue(q.exception().isEmpty());
        } finally {
            q.stop();
            spark.conf().set("spark.sql.shuffle.partitions", partitions);
            spark.streams().removeListener(counter);
        }
    }
}
