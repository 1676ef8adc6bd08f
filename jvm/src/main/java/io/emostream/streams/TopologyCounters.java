package io.emostream.streams;

import java.util.concurrent.atomic.AtomicInteger;
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
    /** Matches whose totals were dropped after MATCH_TOTALS_RETENTION_MS without an event (TotalsProcessor). */
    public final AtomicLong retiredMatches = new AtomicLong();
    /** Moments detected (see MomentRule). */
    public final AtomicLong moments = new AtomicLong();
    /** Highest record time (received_at, ticks included) seen by the source processors; -1 before any. */
    public final AtomicLong streamTimeMs = new AtomicLong(-1);

    /** Fault injection (ExactCountsFacade.failNextRecords): records still to fail in the dedup stage. */
    public final AtomicInteger injectedFailures = new AtomicInteger();

    /** Throws while injected failures remain (each throw uses one): the stream thread dies as on a real bug. */
    void maybeFail() {
        if (injectedFailures.get() > 0 && injectedFailures.getAndDecrement() > 0) {
            throw new IllegalStateException("injected fault (ExactCountsFacade.failNextRecords)");
        }
    }

    void observe(long ts) {
        streamTimeMs.accumulateAndGet(ts, Math::max);
    }
}
