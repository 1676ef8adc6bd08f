package io.emostream.spark;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.Map;

/**
 * The job's configuration, from command-line arguments ({@code --key=value} or {@code --key value}) with system
 * properties ({@code -Demostream.spark.key=value}) as a fallback. The TypeScript launcher (src/spark/job.ts) turns
 * the parsed Config into these arguments; nothing here reads the environment.
 */
public record JobConfig(
        String brokers,
        /** null → leave spark.master to spark-submit, or local[2] when nothing set it. */
        String master,
        Path dataDir,
        Path checkpointDir,
        String eventsTopic,
        String windowsTopic,
        /** Running counts of open windows (live records). */
        String liveTopic,
        String metricsTopic,
        long windowMs,
        long watermarkMs,
        long scaleFactor,
        long triggerMs,
        /** A repeated (user_id, event_id) within this time of its first occurrence is counted once. */
        long dedupRetentionMs,
        /** The mood table (--mood emoji:valence:intensity:feeling,...; default contracts/mood.json). */
        Mood mood,
        int shufflePartitions,
        /** 0 → Spark UI disabled. */
        int uiPort,
        String startingOffsets,
        /** 0 → unlimited. */
        long maxOffsetsPerTrigger,
        String appName,
        /** > 0 → exit when that process is gone (the Node parent that spawned this JVM died without stopping it). */
        long parentPid,
        /** How long an instance's ticks may lag the newest time seen and still hold windows ({@link WindowCloser}); 0 → ticks close no window early. */
        long tickLivenessMs,
        /** The Kafka source's fetch.max.wait.ms in the tasks (see {@link #DEFAULT_SOURCE_FETCH_MAX_WAIT_MS}). */
        long sourceFetchMaxWaitMs) {

    public static final String DEFAULT_MASTER = "local[2]";
    /** See README "Spark job": trigger + watermark + ~2 batch durations ≈ window end → record latency. */
    public static final long DEFAULT_TRIGGER_MS = 250;
    public static final long DEFAULT_WATERMARK_MS = 500;
    public static final long DEFAULT_TICK_LIVENESS_MS = 5000;
    /**
     * The Kafka source's consumers in the tasks: how long the broker may hold a fetch that finds no new records. Spark's
     * reader follows each poll with two ListOffsets requests (the partition's earliest and latest offsets), and the
     * consumer sends its next fetch when a poll returns: the broker answers a connection's requests one at a time, so
     * with Kafka's 500 ms those ListOffsets waited for the partition's next produce (see README).
     */
    public static final long DEFAULT_SOURCE_FETCH_MAX_WAIT_MS = 0;

    public Aggregations.Settings settings() {
        return new Aggregations.Settings(windowMs, watermarkMs, scaleFactor, dedupRetentionMs, mood);
    }

    public static JobConfig parse(String[] args) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) throw new IllegalArgumentException("unexpected argument: " + a);
            int eq = a.indexOf('=');
            if (eq > 0) {
                m.put(a.substring(2, eq), a.substring(eq + 1));
            } else if (i + 1 < args.length) {
                m.put(a.substring(2), args[++i]);
            } else {
                throw new IllegalArgumentException("missing value for " + a);
            }
        }
        Map<String, String> known = new HashMap<>();
        java.util.function.BiFunction<String, String, String> get = (key, def) -> {
            String v = m.containsKey(key) ? m.remove(key) : System.getProperty("emostream.spark." + key);
            String r = v == null || v.isEmpty() ? def : v;
            known.put(key, r);
            return r;
        };
        String dataDir = get.apply("data-dir", "./data");
        String checkpoint = get.apply("checkpoint-dir", null);
        JobConfig c = new JobConfig(
            require(get.apply("brokers", null), "brokers"),
            get.apply("master", null),
            Paths.get(dataDir).toAbsolutePath(),
            checkpoint != null ? Paths.get(checkpoint).toAbsolutePath() : Paths.get(dataDir, "spark", "checkpoint").toAbsolutePath(),
            get.apply("events-topic", Topics.EVENTS),
            get.apply("windows-topic", Topics.WINDOWS),
            get.apply("live-topic", Topics.LIVE),
            get.apply("metrics-topic", Topics.METRICS),
            num(get.apply("window-ms", "2000"), "window-ms", 1),
            num(get.apply("watermark-ms", String.valueOf(DEFAULT_WATERMARK_MS)), "watermark-ms", 0),
            num(get.apply("scale-factor", "1000"), "scale-factor", 1),
            num(get.apply("trigger-ms", String.valueOf(DEFAULT_TRIGGER_MS)), "trigger-ms", 0),
            num(get.apply("dedup-retention-ms", String.valueOf(Aggregations.Settings.DEFAULT_DEDUP_RETENTION_MS)), "dedup-retention-ms", 0),
            Mood.parse(get.apply("mood", null)),
            (int) num(get.apply("shuffle-partitions", "1"), "shuffle-partitions", 1),
            (int) num(get.apply("ui-port", "4040"), "ui-port", 0),
            startingOffsets(get.apply("starting-offsets", "earliest")),
            num(get.apply("max-offsets-per-trigger", "0"), "max-offsets-per-trigger", 0),
            get.apply("app-name", "emostream-spark"),
            num(get.apply("parent-pid", "0"), "parent-pid", 0),
            num(get.apply("tick-liveness-ms", String.valueOf(DEFAULT_TICK_LIVENESS_MS)), "tick-liveness-ms", 0),
            num(get.apply("source-fetch-max-wait-ms", String.valueOf(DEFAULT_SOURCE_FETCH_MAX_WAIT_MS)), "source-fetch-max-wait-ms", 0));
        if (!m.isEmpty()) throw new IllegalArgumentException("unknown option(s): " + m.keySet() + "; known: " + known.keySet());
        return c;
    }

    /** Where a query without a checkpoint starts: earliest (default: nothing accepted before the first run is missed) or latest. */
    private static String startingOffsets(String v) {
        if (!v.equals("earliest") && !v.equals("latest")) throw new IllegalArgumentException("--starting-offsets must be earliest or latest: " + v);
        return v;
    }

    private static String require(String v, String key) {
        if (v == null) throw new IllegalArgumentException("--" + key + " is required");
        return v;
    }

    private static long num(String v, String key, long min) {
        long n;
        try {
            n = Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + key + ": not an integer: " + v);
        }
        if (n < min) throw new IllegalArgumentException("--" + key + " must be >= " + min + ": " + v);
        return n;
    }
}
