package io.emostream.spark;

import java.util.concurrent.ConcurrentHashMap;

/** Windows written per batch id, handed from foreachBatch to the MetricsListener (same driver JVM). */
final class BatchStats {
    private static final ConcurrentHashMap<Long, Integer> WINDOWS = new ConcurrentHashMap<>();

    private BatchStats() {}

    static void windows(long batchId, int n) {
        WINDOWS.merge(batchId, n, Integer::sum);
    }

    /** Windows written by {@code batchId} (0 if none), forgetting it and anything older. */
    static int take(long batchId) {
        Integer n = WINDOWS.remove(batchId);
        WINDOWS.keySet().removeIf(id -> id < batchId);
        return n == null ? 0 : n;
    }
}
