package io.emostream.streams;

import java.time.Instant;
import java.util.Arrays;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;

/**
 * Second stage (key = match_id): exact counts per 2 s window in the window store, and each window emitted
 * once, when it closes, as a window record for emoji-exact.
 *
 * Why not the DSL's windowed aggregation: its stream time is the highest timestamp it has seen, from any
 * upstream partition. After the repartition, a record from a source partition that is ahead (a tick, while
 * another source partition is still catching up after a restart) would close windows that the lagging
 * partition still has events for, and those events would be dropped as late. So this stage keeps the clock
 * of each source partition (its highest event or tick time; ticks reach every partition of this stage) and
 * closes a window only when EVERY source partition has passed its end plus the grace period: a low
 * watermark, like Spark's, but the minimum rather than the maximum over partitions.
 *
 * Progress (the end of the last emitted window) is in a changelogged store, so a restart neither re-emits
 * nor skips a window; the per-partition clocks are rebuilt from the next ticks (nothing closes until every
 * partition has spoken again).
 */
final class WindowCountsProcessor implements Processor<String, String, String, String> {
    static final String EMITTED_KEY = "emitted-through";

    private final ExactCountsConfig cfg;
    private final int sourcePartitions;
    private final TopologyCounters counters;
    private final long windowMs;
    private final long graceMs;
    private ProcessorContext<String, String> context;
    private WindowStore<String, Counts> windows;
    private KeyValueStore<String, Long> progress;
    private long[] clock;
    private long emittedThrough;

    WindowCountsProcessor(ExactCountsConfig cfg, int sourcePartitions, TopologyCounters counters) {
        this.cfg = cfg;
        this.sourcePartitions = sourcePartitions;
        this.counters = counters;
        this.windowMs = cfg.window().toMillis();
        this.graceMs = cfg.grace().toMillis();
    }

    @Override
    public void init(ProcessorContext<String, String> context) {
        this.context = context;
        this.windows = context.getStateStore(ExactCountsConfig.WINDOWS_STORE);
        this.progress = context.getStateStore(ExactCountsConfig.PROGRESS_STORE);
        this.clock = new long[sourcePartitions];
        Arrays.fill(clock, Long.MIN_VALUE);
        Long e = progress.get(EMITTED_KEY);
        this.emittedThrough = e == null ? Long.MIN_VALUE : e;
    }

    @Override
    public void process(Record<String, String> record) {
        long ts = record.timestamp();
        int p = DedupProcessor.partitionOf(record.value());
        if (p >= 0 && p < clock.length && ts > clock[p]) clock[p] = ts;

        if (!Topics.TICK_KEY.equals(record.key())) {
            long start = WindowFormat.windowStart(ts, windowMs);
            if (emittedThrough != Long.MIN_VALUE && start + windowMs <= emittedThrough) {
                counters.late.incrementAndGet();
            } else {
                Counts c = windows.fetch(record.key(), start);
                windows.put(record.key(), (c == null ? new Counts() : c).add(DedupProcessor.emojiOf(record.value())), start);
            }
        }
        maybeEmit();
    }

    /** Emit every window whose end is at or before (min over source partitions of their clock) − grace. */
    private void maybeEmit() {
        long low = Long.MAX_VALUE;
        for (long c : clock) low = Math.min(low, c);
        if (low == Long.MIN_VALUE) return; // some source partition has not spoken yet
        long closedThrough = WindowFormat.windowStart(low - graceMs, windowMs);
        if (emittedThrough != Long.MIN_VALUE && closedThrough <= emittedThrough) return;
        long fromStart = emittedThrough == Long.MIN_VALUE ? 0 : emittedThrough;
        long toStart = closedThrough - windowMs;
        if (toStart >= fromStart) {
            try (KeyValueIterator<Windowed<String>, Counts> it =
                         windows.fetchAll(Instant.ofEpochMilli(fromStart), Instant.ofEpochMilli(toStart))) {
                while (it.hasNext()) {
                    KeyValue<Windowed<String>, Counts> kv = it.next();
                    if (kv.value == null || kv.value.isEmpty()) continue;
                    long start = kv.key.window().start();
                    String match = kv.key.key();
                    context.forward(new Record<>(match,
                            WindowFormat.windowJson(match, start, windowMs, kv.value.asMap(), cfg.scaleFactor()),
                            start + windowMs));
                }
            }
        }
        emittedThrough = closedThrough;
        progress.put(EMITTED_KEY, emittedThrough);
    }
}
