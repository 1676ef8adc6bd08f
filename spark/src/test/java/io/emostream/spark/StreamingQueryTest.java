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
import org.apache.spark.api.java.function.VoidFunction2;
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
 * the last live record of a window carries its closed record's counts. The driver ({@link WindowCloser}, as the Job
 * runs it) writes a window's record in the micro-batch that moved the watermark past the window's end, one batch
 * before Spark's own closed row, which is byte for byte the same and not written again.
 * File source → Aggregations (what the Job runs) → foreachBatch (rows kept per batch, and through a WindowCloser),
 * every 100 ms; each step waits until its records are read and the query has gone quiet (no batch for ten triggers: a
 * quiet stream costs no micro-batches).
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
    /** Every row the query produced, with its batch id; and what the closer wrote: (batch id, window id, record). */
    static final List<Object[]> rows = new ArrayList<>();
    static final List<Object[]> written = new ArrayList<>();

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

    /** Rows of one kind so far, in batch order: (batch id, row). */
    static List<Object[]> rowsOf(String kind) {
        List<Object[]> out = new ArrayList<>();
        synchronized (rows) {
            for (Object[] b : rows) if (kind.equals(((Row) b[1]).getAs("kind"))) out.add(b);
        }
        return out;
    }

    static String idOf(Row r) {
        return r.getAs("match_id") + ":" + r.getAs("window_start_ms");
    }

    /** Spark's closed window records so far, by window id (one per window: asserted). */
    static Map<String, JsonNode> emitted(SparkSession spark) throws Exception {
        Map<String, JsonNode> out = new java.util.TreeMap<>();
        for (Object[] b : rowsOf(WindowCounter.KIND_CLOSED)) {
            JsonNode v = TestSpark.JSON.readTree(((Row) b[1]).<String>getAs("value"));
            assertEquals("one closed record per window", null, out.put(idOf((Row) b[1]), v));
        }
        return out;
    }

    /** Live records written so far, by window id, in the order written (batch order). */
    static Map<String, List<JsonNode>> live(SparkSession spark) throws Exception {
        Map<String, List<JsonNode>> out = new java.util.TreeMap<>();
        for (Object[] b : rowsOf(WindowCounter.KIND_LIVE)) {
            out.computeIfAbsent(idOf((Row) b[1]), k -> new ArrayList<>()).add(TestSpark.JSON.readTree(((Row) b[1]).<String>getAs("value")));
        }
        return out;
    }

    /**
     * What the closer wrote to emoji-windows so far, by window id, asserting for each: written once; byte for byte
     * Spark's closed row of the window, which came one batch later; written in the batch whose clock row (its ticks)
     * is {@code closingTick} when that is given for the window.
     */
    static Map<String, String> closedByTheDriver(Map<String, Long> closingTick) {
        Map<String, String> out = new java.util.TreeMap<>();
        Map<String, Object[]> spark = new java.util.HashMap<>();
        for (Object[] b : rowsOf(WindowCounter.KIND_CLOSED)) spark.put(idOf((Row) b[1]), b);
        List<Object[]> clocks = rowsOf(WindowCounter.KIND_CLOCK);
        synchronized (rows) {
            for (Object[] w : written) {
                String id = (String) w[1];
                assertEquals("written once: " + id, null, out.put(id, (String) w[2]));
                Object[] sparks = spark.get(id);
                assertTrue("Spark's own closed row follows: " + id, sparks != null);
                assertEquals("the same record as Spark's timeout: " + id, ((Row) sparks[1]).getAs("value"), w[2]);
                assertEquals("one batch before Spark's timeout: " + id, (long) sparks[0] - 1, (long) w[0]);
                if (closingTick.containsKey(id)) {
                    long clock = Long.MIN_VALUE;
                    for (Object[] c : clocks) if ((long) c[0] == (long) w[0]) clock = ((Row) c[1]).getAs("max_event_ms");
                    assertEquals("closed in the batch that moved the watermark past it: " + id, (long) closingTick.get(id), clock);
                }
            }
        }
        return out;
    }

    /** Rows in the dedup step's state (ids and their timers) after the last micro-batch. */
    static long dedupRows(StreamingQuery q) {
        List<String> names = new ArrayList<>();
        for (StateOperatorProgress s : q.lastProgress().stateOperators()) {
            names.add(s.operatorName());
            if (s.operatorName().toLowerCase(java.util.Locale.ROOT).contains("transformwithstate")) return s.numRowsTotal();
        }
        throw new AssertionError("no transformWithState operator in " + names);
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
        // what the Job runs: the live and closed rows of the window counter, through a closer in foreachBatch
        // (ticks without an instance, steps 1–5: max − delay alone; with one, step 6: the instance's ticks)
        WindowCloser closer = new WindowCloser(AggregationsTest.S.watermarkMs(), 1000);
        VoidFunction2<Dataset<Row>, Long> sink = (batch, batchId) -> {
            List<Row> all = batch.collectAsList();
            List<Row> selected = new ArrayList<>(all.size());
            for (Row r : all) {
                Object[] v = new Object[WindowCloser.COLUMNS.length];
                for (int i = 0; i < v.length; i++) v[i] = r.getAs(WindowCloser.COLUMNS[i]);
                selected.add(org.apache.spark.sql.RowFactory.create(v));
            }
            WindowCloser.Out out = closer.batch(batchId, selected);
            synchronized (rows) {
                for (Row r : all) rows.add(new Object[] {batchId, r});
                for (String[] kv : out.closed()) {
                    JsonNode v = TestSpark.JSON.readTree(kv[1]);
                    written.add(new Object[] {batchId, kv[0] + ":" + WindowFormat.parseIso(v.get("window_start").asText()), kv[1]});
                }
            }
        };
        StreamingQuery q = Aggregations.liveAndClosedWindows(Aggregations.firstOccurrences(Aggregations.classify(raw), AggregationsTest.S), AggregationsTest.S)
            .writeStream()
            .queryName("window_rows")
            .outputMode("append")
            .trigger(Trigger.ProcessingTime(100, TimeUnit.MILLISECONDS))
            .option("checkpointLocation", dir.resolve("checkpoint").toString())
            .foreachBatch(sink)
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
            assertTrue("two stateful steps, no exchange:\n" + plan,
                plan.split("TransformWithState ", -1).length == 2 && plan.split("FlatMapGroupsWithState", -1).length == 2 && !plan.contains("Exchange"));
            assertEquals(0, emitted(spark).size());
            assertEquals(0, closedByTheDriver(Map.of()).size());
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
            assertEquals(0, closedByTheDriver(Map.of()).size());

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
            // the driver wrote both in the batch of that tick, one batch before Spark's timeout, and only once
            Map<String, String> early = closedByTheDriver(Map.of("m-1:" + T0, T0 + 2600, "m-2:" + T0, T0 + 2600));
            assertEquals(got.keySet(), early.keySet());
            assertEquals(0, closer.openWindows());
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
            early = closedByTheDriver(Map.of("m-1:" + (T0 + 2000), T0 + 4600));
            assertEquals(got.keySet(), early.keySet());
            assertEquals("Spark's repeats were matched and forgotten", 0, closer.remembered());

            // 5. the dedup state expires on event time: once the watermark passes the retention after the first
            //    occurrences, the same retry is a new event (whether or not its shard has been swept yet); the shards'
            //    sweeps (one timer each, not one per id) then remove every id the watermark has passed
            assertTrue("ids are kept within the retention", dedupRows(q) > 0);
            long past = T0 + AggregationsTest.S.dedupRetentionMs() + 5000;
            append(Arrays.asList(tick(past)));
            settle(q);
            append(Arrays.asList(event("m-1", "😀", past + 100, "u-retry", "e-retry"), tick(past + 2600)));
            settle(q);
            JsonNode again = emitted(spark).get("m-1:" + WindowFormat.windowStart(past + 100, AggregationsTest.S.windowMs()));
            assertEquals(1, again.get("counts").get("😀").asLong());
            assertTrue("the retry's new first occurrence is kept", dedupRows(q) > 0);
            long swept = past + 100 + AggregationsTest.S.dedupRetentionMs() + new FirstOccurrence(AggregationsTest.S.dedupRetentionMs(), 2000, true).sweepIntervalMs() + 5000;
            append(Arrays.asList(tick(swept)));
            settle(q);
            assertEquals("every id swept", 0, dedupRows(q));
            past = swept;

            // 6. an instance's ticks (on the source's one partition) close a window as soon as one is at its end,
            //    before max − delay would (it is at end − 500 then); Spark's closed row, later, is the same record
            long base = WindowFormat.windowStart(past + 2600, AggregationsTest.S.windowMs()) + 4000;
            List<String> sixth = new ArrayList<>();
            sixth.add(tick(base - 10, "i-test"));
            for (int i = 0; i < 10; i++) sixth.add(event("m-6", "🔥", base + 100 + i * 180));
            sixth.add(tick(base + 1950, "i-test"));
            append(sixth);
            settle(q);
            String w6 = "m-6:" + base;
            assertEquals(null, emitted(spark).get(w6));
            long before = written.size();
            append(Arrays.asList(tick(base + 2000, "i-test")));
            settle(q);
            Object[] byTicks = null;
            synchronized (rows) {
                for (Object[] w : written.subList((int) before, written.size())) if (w6.equals(w[1])) byTicks = w;
            }
            assertTrue("closed by the driver on the instance's tick", byTicks != null);
            long tickBatch = (long) byTicks[0];
            boolean fromThatTick = false;
            for (Object[] c : rowsOf(WindowCounter.KIND_CLOCK)) {
                Row r = (Row) c[1];
                if ((long) c[0] == tickBatch && "i-test".equals(r.getAs("match_id")) && r.<Long>getAs("max_event_ms") == base + 2000) fromThatTick = true;
            }
            assertTrue("in the batch of the instance's tick at the window's end", fromThatTick);
            assertEquals("Spark has not closed it yet (its watermark is at end − 500)", null, emitted(spark).get(w6));
            append(Arrays.asList(tick(base + 2600, "i-test")));
            settle(q);
            assertEquals("Spark's closed row is the same record", emitted(spark).get(w6), TestSpark.JSON.readTree((String) byTicks[2]));
            assertEquals(10, emitted(spark).get(w6).get("total").asLong());
            assertEquals("no early close was wrong", 0, closer.corrections());
            assertTrue(q.exception().isEmpty());
        } finally {
            q.stop();
            spark.conf().set("spark.sql.shuffle.partitions", partitions);
            spark.streams().removeListener(counter);
        }
    }
}
