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
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryProgress;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * The streaming behaviour the static tests cannot show: a window appears once, only after the watermark passes its
 * end; ticks alone move the watermark (a quiet stream still closes its last window); late events are dropped.
 * File source → Aggregations → memory sink, driven with processAllAvailable().
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

    /** Add one file of records atomically (written beside the folder, then moved in). */
    static void append(List<String> lines) throws IOException {
        Path tmp = dir.resolve("part-" + (++files) + ".tmp");
        Files.write(tmp, lines, StandardCharsets.UTF_8);
        Files.move(tmp, dir.resolve("in").resolve("part-" + files + ".txt"), StandardCopyOption.ATOMIC_MOVE);
    }

    static Map<String, JsonNode> emitted(SparkSession spark) throws Exception {
        return AggregationsTest.windows(Aggregations.toWindowRecords(spark.table("window_counts"), AggregationsTest.S));
    }

    @Test
    public void windowsCloseOnTheWatermarkTicksMoveItAndLateEventsAreDropped() throws Exception {
        SparkSession spark = TestSpark.session();
        Dataset<Row> raw = spark.readStream().text(dir.resolve("in").toString())
            .withColumn("partition", functions.lit(0))
            .withColumn("offset", functions.lit(-1L));
        StreamingQuery q = Aggregations.windowCounts(Aggregations.classify(raw), AggregationsTest.S)
            .writeStream()
            .format("memory")
            .queryName("window_counts")
            .outputMode("append")
            .option("checkpointLocation", dir.resolve("checkpoint").toString())
            .start();
        try {
            // 1. events in [T0, T0+2s), a tick at +2.2 s: the watermark (max − 500 ms) is +1.7 s, the window stays open
            List<String> first = new ArrayList<>();
            for (int i = 0; i < 30; i++) first.add(event("m-1", i % 3 == 0 ? "😀" : "🔥", T0 + 100 + i * 60));
            first.add(event("m-2", "😡", T0 + 1500));
            first.add("garbage");
            first.add(tick(T0 + 2200));
            append(first);
            q.processAllAvailable();
            assertEquals(0, emitted(spark).size());

            // 2. only a tick at +2.6 s (the quiet stream): watermark +2.1 s passes the window's end, it closes
            append(Arrays.asList(tick(T0 + 2600)));
            q.processAllAvailable();
            Map<String, JsonNode> got = emitted(spark);
            assertEquals(2, got.size());
            JsonNode m1 = got.get("m-1:" + T0);
            assertEquals(20, m1.get("counts").get("🔥").asLong());
            assertEquals(10, m1.get("counts").get("😀").asLong());
            assertEquals(30, m1.get("total").asLong());
            assertEquals(1, got.get("m-2:" + T0).get("counts").get("😡").asLong());
            // the driver-side fold (what the Job writes) gives the same records as the Dataset function
            List<String[]> folded = Aggregations.closedWindows(spark.table("window_counts"), AggregationsTest.S);
            assertEquals(2, folded.size());
            for (String[] kv : folded) {
                JsonNode v = TestSpark.JSON.readTree(kv[1]);
                assertEquals(kv[0], v.get("match_id").asText());
                assertEquals(got.get(kv[0] + ":" + T0), v);
            }

            // 3. a late event for the closed window is dropped; the next window waits for its own watermark
            append(Arrays.asList(event("m-1", "🔥", T0 + 1900), event("m-1", "🔥", T0 + 2700)));
            q.processAllAvailable();
            got = emitted(spark);
            assertEquals("the closed window is not emitted again, the open one not yet", 2, got.size());
            assertEquals(30, got.get("m-1:" + T0).get("total").asLong());
            long dropped = 0;
            for (StreamingQueryProgress p : q.recentProgress()) {
                for (StateOperatorProgress s : p.stateOperators()) dropped += s.numRowsDroppedByWatermark();
            }
            assertEquals("the late event is counted as dropped", 1, dropped);

            // 4. ticks close the second window too
            append(Arrays.asList(tick(T0 + 4000), tick(T0 + 4600)));
            q.processAllAvailable();
            got = emitted(spark);
            assertEquals(3, got.size());
            assertEquals(1, got.get("m-1:" + (T0 + 2000)).get("total").asLong());
            assertTrue(q.exception().isEmpty());
        } finally {
            q.stop();
        }
    }
}
