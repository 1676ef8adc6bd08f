package io.emostream.streams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Configuration of the exact-counts topology, passed from TypeScript as one JSON object (keys below, all
 * optional except bootstrapServers). sourcePartitions = partitions of the events topic (0: the facade asks
 * the broker); the window stage waits for a clock from each of them before it closes a window.
 * autoOffsetReset: where a NEW application id starts reading the events topic (earliest: count the whole
 * retained topic; latest: only what arrives from now on — tests on a shared broker). With latest the facade
 * commits that start for every partition before the client starts (ExactCountsFacade.pinStart), then runs
 * with earliest, so a partition that moves between instances before its first commit skips nothing. The API derives it from src/config.ts; nothing here reads the environment.
 * momentBaselineWindows, momentMinHistory, momentMinScore, momentMinCount: the moment rule (MomentRule).
 * replicationFactor / minInsyncReplicas of the internal topics (changelogs, repartition topic): 0 = the
 * facade picks min(3, brokers in the cluster) and replicationFactor - 1 (at least 1), see resolveReplication.
 * matchTotalsRetention: a match's totals (and moment history) are dropped this long after its last counted
 * event (TotalsProcessor).
 */
public record ExactCountsConfig(
        String bootstrapServers,
        String applicationId,
        String stateDir,
        String eventsTopic,
        String exactTopic,
        Duration window,
        Duration grace,
        Duration dedupRetention,
        Duration windowRetention,
        long commitIntervalMs,
        long scaleFactor,
        int repartitionPartitions,
        long rocksDbCacheBytes,
        int sourcePartitions,
        String autoOffsetReset,
        String momentsTopic,
        MomentRule.Settings moments,
        Duration momentsRetention,
        int replicationFactor,
        int minInsyncReplicas,
        Duration matchTotalsRetention) {

    public static final String DEDUP_STORE = "exact-dedup";
    public static final String WINDOWS_STORE = "exact-windows";
    public static final String TOTALS_STORE = "exact-totals";
    public static final String PROGRESS_STORE = "exact-window-progress";
    public static final String REPARTITION = "by-match";
    public static final String MOMENT_HISTORY_STORE = "exact-moment-history";
    public static final String MOMENTS_STORE = "exact-moments";
    /** match_id → received_at of its last counted event (TotalsProcessor's retention). */
    public static final String MATCH_ACTIVITY_STORE = "exact-match-activity";
    public static final Duration DEFAULT_MATCH_TOTALS_RETENTION = Duration.ofDays(7);

    /** Without a match totals retention: the default (7 days). */
    public ExactCountsConfig(String bootstrapServers, String applicationId, String stateDir, String eventsTopic,
            String exactTopic, Duration window, Duration grace, Duration dedupRetention, Duration windowRetention,
            long commitIntervalMs, long scaleFactor, int repartitionPartitions, long rocksDbCacheBytes,
            int sourcePartitions, String autoOffsetReset, String momentsTopic, MomentRule.Settings moments,
            Duration momentsRetention, int replicationFactor, int minInsyncReplicas) {
        this(bootstrapServers, applicationId, stateDir, eventsTopic, exactTopic, window, grace, dedupRetention,
                windowRetention, commitIntervalMs, scaleFactor, repartitionPartitions, rocksDbCacheBytes,
                sourcePartitions, autoOffsetReset, momentsTopic, moments, momentsRetention, replicationFactor,
                minInsyncReplicas, DEFAULT_MATCH_TOTALS_RETENTION);
    }

    /** The same configuration with another match totals retention. */
    public ExactCountsConfig withMatchTotalsRetention(Duration retention) {
        return new ExactCountsConfig(bootstrapServers, applicationId, stateDir, eventsTopic, exactTopic, window, grace,
                dedupRetention, windowRetention, commitIntervalMs, scaleFactor, repartitionPartitions,
                rocksDbCacheBytes, sourcePartitions, autoOffsetReset, momentsTopic, moments, momentsRetention,
                replicationFactor, minInsyncReplicas, retention);
    }

    public static ExactCountsConfig defaults() {
        return new ExactCountsConfig("127.0.0.1:9092", "emostream-exact", Path.of("data", "streams").toString(),
                Topics.EVENTS, Topics.EXACT, Duration.ofMillis(2000), Duration.ofMillis(500),
                Duration.ofMinutes(10), Duration.ofHours(1), 100, 1000, 2, 32L << 20, 0, "earliest",
                Topics.MOMENTS, MomentRule.Settings.defaults(), Duration.ofHours(24), 1, 1);
    }

    public static ExactCountsConfig fromJson(String json) {
        JsonNode n;
        try {
            n = new ObjectMapper().readTree(json);
        } catch (Exception e) {
            throw new IllegalArgumentException("exact-counts config is not JSON: " + e.getMessage());
        }
        ExactCountsConfig d = defaults();
        return new ExactCountsConfig(
                str(n, "bootstrapServers", d.bootstrapServers),
                str(n, "applicationId", d.applicationId),
                str(n, "stateDir", d.stateDir),
                str(n, "eventsTopic", d.eventsTopic),
                str(n, "exactTopic", d.exactTopic),
                Duration.ofMillis(num(n, "windowMs", d.window.toMillis())),
                Duration.ofMillis(num(n, "graceMs", d.grace.toMillis())),
                Duration.ofMillis(num(n, "dedupRetentionMs", d.dedupRetention.toMillis())),
                Duration.ofMillis(num(n, "windowRetentionMs", d.windowRetention.toMillis())),
                num(n, "commitIntervalMs", d.commitIntervalMs),
                num(n, "scaleFactor", d.scaleFactor),
                (int) num(n, "repartitionPartitions", d.repartitionPartitions),
                num(n, "rocksDbCacheBytes", d.rocksDbCacheBytes),
                (int) num(n, "sourcePartitions", d.sourcePartitions),
                str(n, "autoOffsetReset", d.autoOffsetReset),
                str(n, "momentsTopic", d.momentsTopic),
                new MomentRule.Settings(
                        (int) num(n, "momentBaselineWindows", d.moments.baselineWindows()),
                        (int) num(n, "momentMinHistory", d.moments.minHistory()),
                        dbl(n, "momentMinScore", d.moments.minScore()),
                        num(n, "momentMinCount", d.moments.minCount())),
                Duration.ofMillis(num(n, "momentsRetentionMs", d.momentsRetention.toMillis())),
                (int) num(n, "replicationFactor", d.replicationFactor),
                (int) num(n, "minInsyncReplicas", d.minInsyncReplicas),
                Duration.ofMillis(num(n, "matchTotalsRetentionMs", d.matchTotalsRetention.toMillis())));
    }

    /** The same configuration with the partition count of the events topic filled in. */
    /** The same configuration reading from {@code reset} where the group has no committed offset. */
    public ExactCountsConfig withAutoOffsetReset(String reset) {
        return new ExactCountsConfig(bootstrapServers, applicationId, stateDir, eventsTopic, exactTopic, window, grace,
                dedupRetention, windowRetention, commitIntervalMs, scaleFactor, repartitionPartitions,
                rocksDbCacheBytes, sourcePartitions, reset, momentsTopic, moments, momentsRetention, replicationFactor,
                minInsyncReplicas, matchTotalsRetention);
    }

    public ExactCountsConfig withSourcePartitions(int n) {
        return new ExactCountsConfig(bootstrapServers, applicationId, stateDir, eventsTopic, exactTopic, window, grace,
                dedupRetention, windowRetention, commitIntervalMs, scaleFactor, repartitionPartitions,
                rocksDbCacheBytes, n, autoOffsetReset, momentsTopic, moments, momentsRetention, replicationFactor,
                minInsyncReplicas, matchTotalsRetention);
    }

    /**
     * The same configuration with the internal topics' replication settled for a cluster of {@code brokers}:
     * an explicit replicationFactor / minInsyncReplicas (>= 1) is kept as it is (a factor above the cluster size
     * then fails loudly when Kafka Streams creates its topics); 0 means min(3, brokers), and for the minimum
     * in-sync replicas replicationFactor - 1, at least 1 (one broker may be down without refusing writes).
     */
    public ExactCountsConfig resolveReplication(int brokers) {
        int rf = replicationFactor >= 1 ? replicationFactor : Math.max(1, Math.min(3, brokers));
        int isr = minInsyncReplicas >= 1 ? minInsyncReplicas : Math.max(1, rf - 1);
        return new ExactCountsConfig(bootstrapServers, applicationId, stateDir, eventsTopic, exactTopic, window, grace,
                dedupRetention, windowRetention, commitIntervalMs, scaleFactor, repartitionPartitions,
                rocksDbCacheBytes, sourcePartitions, autoOffsetReset, momentsTopic, moments, momentsRetention, rf, isr,
                matchTotalsRetention);
    }

    public MomentRule momentRule() {
        return new MomentRule(moments, window.toMillis());
    }

    private static String str(JsonNode n, String k, String def) {
        JsonNode v = n.get(k);
        return v == null || v.isNull() ? def : v.asText();
    }

    private static double dbl(JsonNode n, String k, double def) {
        JsonNode v = n.get(k);
        if (v == null || v.isNull()) return def;
        if (!v.isNumber()) throw new IllegalArgumentException("exact-counts config: " + k + " must be a number");
        return v.asDouble();
    }

    private static long num(JsonNode n, String k, long def) {
        JsonNode v = n.get(k);
        if (v == null || v.isNull()) return def;
        if (!v.canConvertToLong()) throw new IllegalArgumentException("exact-counts config: " + k + " must be a number");
        return v.asLong();
    }
}
