package io.emostream.spark;

import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Logs invalid records (partition, offset, a prefix of the value); at most ~20 lines a second, then a summary. */
final class InvalidRecords {
    private static final Logger LOG = LoggerFactory.getLogger(InvalidRecords.class);
    private static final AtomicLong SECOND = new AtomicLong();
    private static final AtomicLong IN_SECOND = new AtomicLong();
    private static final int MAX_PER_SECOND = 20;

    private InvalidRecords() {}

    static void log(Integer partition, Long offset, String raw) {
        long sec = System.currentTimeMillis() / 1000;
        if (SECOND.getAndSet(sec) != sec) {
            long skipped = IN_SECOND.getAndSet(0) - MAX_PER_SECOND;
            if (skipped > 0) LOG.warn("{} more invalid record(s) not logged", skipped);
        }
        if (IN_SECOND.incrementAndGet() > MAX_PER_SECOND) return;
        String v = raw == null ? "null" : raw.length() > 200 ? raw.substring(0, 200) + "…" : raw;
        LOG.warn("invalid record set aside: partition={} offset={} value={}", partition, offset, v);
    }
}
