package io.emostream.streams;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Process-local counters the topology bumps and the facade reports (they restart at 0 with the process;
 * the exact counts themselves live in the state stores). Thread-safe: stream threads write, the API reads.
 */
public final class TopologyCounters {
    public final AtomicLong events = new AtomicLong();
    public final AtomicLong duplicates = new AtomicLong();
    public final AtomicLong invalid = new AtomicLong();
    public final AtomicLong ticks = new AtomicLong();
    /** Events counted in the totals but too late for their window (it had closed already). */
    public final AtomicLong late = new AtomicLong();
    /** Moments detected (see MomentRule). */
    public final AtomicLong moments = new AtomicLong();
    /** Highest record time (received_at, ticks included) seen by the source processors; -1 before any. */
    public final AtomicLong streamTimeMs = new AtomicLong(-1);

    void observe(long ts) {
        streamTimeMs.accumulateAndGet(ts, Math::max);
    }
}
