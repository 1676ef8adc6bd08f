package io.emostream.spark;

import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs records set aside: invalid ones (partition, offset, a prefix of the value) and late events (match, event
 * time, watermark, partition, offset); each kind at most ~20 lines a second, then a summary of the lines skipped.
 */
final class SetAside {
    private static final Logger LOG = LoggerFactory.getLogger(SetAside.class);
    private static final int MAX_PER_SECOND = 20;
    private static final Limit INVALID = new Limit("invalid record(s)");
    private static final Limit LATE = new Limit("late event(s)");

    private SetAside() {}

    static void invalid(Integer partition, Long offset, String raw) {
        if (!INVALID.admit()) return;
        String v = raw == null ? "null" : raw.length() > 200 ? raw.substring(0, 200) + "…" : raw;
        LOG.warn("invalid record set aside: partition={} offset={} value={}", partition, offset, v);
    }

    static void late(String matchId, long eventTimeMs, long watermarkMs, Integer partition, Long offset) {
        if (!LATE.admit()) return;
        LOG.warn("late event counted as late, not in its window: match={} received_at={} watermark={} partition={} offset={}",
            matchId, WindowFormat.iso(eventTimeMs), WindowFormat.iso(watermarkMs), partition, offset);
    }

    private static final class Limit {
        private final String what;
        private final AtomicLong second = new AtomicLong();
        private final AtomicLong inSecond = new AtomicLong();

        Limit(String what) {
            this.what = what;
        }

        boolean admit() {
            long sec = System.currentTimeMillis() / 1000;
            if (second.getAndSet(sec) != sec) {
                long skipped = inSecond.getAndSet(0) - MAX_PER_SECOND;
                if (skipped > 0) LOG.warn("{} more {} not logged", skipped, what);
            }
            return inSecond.incrementAndGet() <= MAX_PER_SECOND;
        }
    }
}
