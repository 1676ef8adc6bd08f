package io.emostream.spark;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Windows written per batch id and the latest window end among them, handed from foreachBatch to the MetricsListener
 * (same driver JVM).
 */
final class BatchStats {
    /** Windows written by one batch, the latest end among them (Long.MIN_VALUE if none), how many the ticks closed. */
    record Written(int windows, long latestEndMs, int onTicks) {
        static final Written NONE = new Written(0, Long.MIN_VALUE, 0);
    }

    private static final ConcurrentHashMap<Long, Written> WINDOWS = new ConcurrentHashMap<>();
    private static volatile long corrections;

    private BatchStats() {}

    /** Windows the driver closed early whose counts then changed (WindowCloser#corrections), so far. */
    static long corrections() {
        return corrections;
    }

    static void windows(long batchId, int n, long latestEndMs, int onTicks, long correctionsSoFar) {
        corrections = correctionsSoFar;
        WINDOWS.merge(batchId, new Written(n, latestEndMs, onTicks),
            (a, b) -> new Written(a.windows() + b.windows(), Math.max(a.latestEndMs(), b.latestEndMs()), a.onTicks() + b.onTicks()));
    }

    /** What {@code batchId} wrote (NONE if nothing), forgetting it and anything older. */
    static Written take(long batchId) {
        Written w = WINDOWS.remove(batchId);
        WINDOWS.keySet().removeIf(id -> id < batchId);
        return w == null ? Written.NONE : w;
    }
}
