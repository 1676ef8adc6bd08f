package io.emostream.spark;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver's side of {@code Job}'s foreachBatch: turns one micro-batch of {@link WindowCounter} rows into the live
 * records and window records to send, and closes a window in the micro-batch that moves the watermark past it, one
 * batch before Spark's own event-time timeout does.
 *
 * <p>Spark computes a batch's watermark at the end of the batch before it, so {@link WindowCounter}'s timeout (and
 * its closed row) comes a micro-batch after the one whose events or ticks moved the watermark past the window's end.
 * But that batch already holds everything needed: each live row carries its window's record as it would close now,
 * and each live and clock row the latest event time among its input rows. The closer keeps the latest record of every
 * open window and its own watermark: the max, over batches, of (latest event time of the rows reaching
 * {@link WindowCounter} − delay). Spark's watermark for the next batch is its one watermark operator's, before the
 * dedup step, at least that (it sees every row, duplicates too; the window step follows it through the dedup step),
 * so the closer's is never ahead of Spark's: once a window's end is at or behind it, every later
 * event of that window is late in Spark too ({@link FirstOccurrence}: late when end ≤ watermark; {@link WindowCounter}'s
 * timeout at end − 1 fires when watermark > end − 1, the same condition), and its counts are final.
 *
 * <p>So when a window's end is ≤ the closer's watermark, its record is written now (after the live records) and
 * remembered; Spark's own closed row of that window, in the next batch, is skipped if identical (it must be: logged as
 * an error and sent if not). A closed row the closer did not write (the closer starts empty after a restart, or was
 * behind) is written as before. Memory: one record per open window; the remembered records are dropped when Spark's
 * row comes, or after {@link #REMEMBER_BATCHES} batches, and never more than {@link #MAX_REMEMBERED}.
 *
 * <p>Ticks close windows sooner ({@code tickLivenessMs} > 0). Every API instance writes ticks carrying its id to every
 * partition, stamped from the same monotonic admission clock as its events and queued in the same batcher, so on a
 * partition a tick at T follows every event that instance admitted before it, and every later one is stamped ≥ T.
 * The clock rows carry the latest tick per (instance, partition) of the batch; the closer keeps the latest per pair
 * across batches. Once, for every pair of every <em>live</em> instance, the latest tick is ≥ a window's end, every
 * event of that window those instances will ever admit has been read (in this batch or an earlier one, and counted
 * in the live rows), so the window closes now: the closer's watermark is max(max − delay, that minimum).
 * <ul>
 * <li>Live: an instance whose latest tick (on any partition) is within {@code tickLivenessMs} of the newest time the
 * closer has seen. One that died stops ticking and stops holding windows after that; a stalled one (its records reach
 * Kafka late) holds them while it is live, through its oldest partition. A live instance's pair never seen (its tick
 * on that partition not read yet; a partition the closer knows from any instance's ticks) holds every window.
 * <li>Not live (dead, idle with ticks backed off, new and not yet seen): assumed to stamp its next event at or after
 * the closer's newest time, i.e. to hold no event of an open window. True for a dead one, and for the others while
 * instance clocks agree and their event reaches Kafka before the boundary ticks of the others are read; if not, the
 * window's counts change after the early close: Spark's closed row then differs (or a live row comes for a window
 * already closed) and is written as a correction, counted in {@link #corrections()}.
 * <li>After a (re)start the closer knows no instance: the rule waits until it has seen {@code tickLivenessMs} of event
 * time, so that every live instance has ticked on every partition; until then, max − delay alone, as before.
 * <li>maxOffsetsPerTrigger: a batch reads each partition in offset order, so a tick it reads still follows every event
 * of its instance on that partition; a partition read behind keeps its pairs behind (held back, not wrong).
 * <li>Ticks without an instance (older writers, tools) count for max − delay only.
 * </ul>
 */
final class WindowCloser {
    private static final Logger LOG = LoggerFactory.getLogger(WindowCloser.class);
    /** The columns {@link #batch} reads, in this order (a select of {@link Aggregations#WINDOW_ROWS}). */
    static final String[] COLUMNS = {"kind", "match_id", "window_start_ms", "window_end_ms", "value", "record", "max_event_ms"};
    /** Spark's closed row comes in the next batch; a remembered record is kept this many batches, for slack. */
    static final int REMEMBER_BATCHES = 20;
    static final int MAX_REMEMBERED = 10_000;

    private final long watermarkDelayMs;
    private final long tickLivenessMs;
    private long watermark = Long.MIN_VALUE;
    /** The newest event or tick time seen, and the first one (after a start). */
    private long newest = Long.MIN_VALUE, firstSeen = Long.MIN_VALUE;
    /** instance → (partition → latest tick), for instances seen within tickLivenessMs of {@link #newest}. */
    private final Map<String, Map<Long, Long>> ticks = new HashMap<>();
    private final java.util.Set<Long> partitions = new java.util.HashSet<>();
    private long corrections;
    /** window id → its latest record, for every window with a live row and not closed yet. */
    private final Map<String, Open> open = new HashMap<>();
    /** window id → what was written for it early, in the order written. */
    private final LinkedHashMap<String, Sent> sent = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Sent> eldest) {
            return size() > MAX_REMEMBERED;
        }
    };

    private record Open(String matchId, long endMs, String record) {}

    private record Sent(long batchId, String record) {}

    /**
     * What one micro-batch sends: (key, value) live records, then (key, value) window records; how many of those the
     * closer closed (before Spark's row), and how many of them only the instances' ticks closed (max − delay had not).
     */
    record Out(List<String[]> live, List<String[]> closed, long latestClosedEndMs, int closedEarly, int closedOnTicks) {}

    WindowCloser(long watermarkDelayMs) {
        this(watermarkDelayMs, 0);
    }

    /** tickLivenessMs: 0 → max − delay only. */
    WindowCloser(long watermarkDelayMs, long tickLivenessMs) {
        this.watermarkDelayMs = watermarkDelayMs;
        this.tickLivenessMs = tickLivenessMs;
    }

    /** max − delay over the batches so far (Long.MIN_VALUE before the first row with an event time). */
    long watermark() {
        return watermark;
    }

    /** What closes windows now: max(max − delay, the live instances' minimum tick). */
    long effectiveWatermark() {
        return Math.max(watermark, ticksWatermark());
    }

    /**
     * Windows whose counts changed after the closer had written them (Spark's closed row differed, or a live row
     * came for one): a wrong early close, corrected by writing Spark's record. 0 in the normal case.
     */
    long corrections() {
        return corrections;
    }

    /** The instances whose ticks hold windows now (for tests and logs). */
    java.util.Set<String> liveInstances() {
        return java.util.Collections.unmodifiableSet(ticks.keySet());
    }

    /** The minimum over every live instance × every known partition of the latest tick; MIN_VALUE if not usable. */
    private long ticksWatermark() {
        if (tickLivenessMs <= 0 || ticks.isEmpty() || newest - firstSeen < tickLivenessMs) return Long.MIN_VALUE;
        long min = Long.MAX_VALUE;
        for (Map<Long, Long> byPartition : ticks.values()) {
            if (byPartition.size() < partitions.size()) return Long.MIN_VALUE; // a pair not seen yet
            for (long t : byPartition.values()) min = Math.min(min, t);
        }
        return min;
    }

    private void tick(String instance, long partition, long t) {
        partitions.add(partition);
        ticks.computeIfAbsent(instance, k -> new HashMap<>()).merge(partition, t, Math::max);
    }

    /** One micro-batch's rows, columns {@link #COLUMNS}. */
    Out batch(long batchId, List<Row> rows) {
        List<String[]> live = new ArrayList<>(), closed = new ArrayList<>();
        long latest = Long.MIN_VALUE, latestEnd = Long.MIN_VALUE;
        for (Row r : rows) {
            String kind = r.getString(0);
            if (WindowCounter.KIND_CLOCK.equals(kind)) {
                // match_id: the ticks' instance ("" for none), window_start_ms: their partition
                latest = Math.max(latest, r.getLong(6));
                if (!r.getString(1).isEmpty()) tick(r.getString(1), r.getLong(2), r.getLong(6));
                continue;
            }
            String matchId = r.getString(1), id = WindowFormat.windowId(matchId, r.getLong(2));
            long end = r.getLong(3);
            if (WindowCounter.KIND_LIVE.equals(kind)) {
                live.add(new String[] {matchId, r.getString(4)});
                latest = Math.max(latest, r.getLong(6));
                if (sent.containsKey(id)) {
                    // counts changed after the early close: Spark's closed row (written when it comes) is the record
                    sent.remove(id);
                    corrections++;
                    LOG.error("window {}: events came after it was closed early (an instance the ticks did not cover); Spark's closed row will be sent as a correction", id);
                    continue;
                }
                open.put(id, new Open(matchId, end, r.getString(5)));
                continue;
            }
            // Spark's closed row (its timeout)
            open.remove(id);
            Sent early = sent.remove(id);
            String record = r.getString(4);
            if (early != null && early.record().equals(record)) continue;
            if (early != null) {
                corrections++;
                LOG.error("window {}: the record closed early differs from Spark's closed row; sending Spark's too.\n early: {}\n Spark: {}", id, early.record(), record);
            }
            closed.add(new String[] {matchId, record});
            latestEnd = Math.max(latestEnd, end);
        }
        if (latest != Long.MIN_VALUE) {
            watermark = Math.max(watermark, latest - watermarkDelayMs);
            newest = Math.max(newest, latest);
            if (firstSeen == Long.MIN_VALUE) firstSeen = latest;
        }
        // instances silent for longer than the liveness hold nothing (and are forgotten)
        if (tickLivenessMs > 0) {
            ticks.values().removeIf(byPartition -> java.util.Collections.max(byPartition.values()) < newest - tickLivenessMs);
            if (ticks.isEmpty()) partitions.clear();
        }
        long effective = effectiveWatermark();
        int closedEarly = 0, closedOnTicks = 0;
        if (!open.isEmpty()) {
            List<Map.Entry<String, Open>> due = new ArrayList<>();
            for (Map.Entry<String, Open> e : open.entrySet()) {
                if (e.getValue().endMs() <= effective) due.add(e);
            }
            due.sort(Map.Entry.comparingByValue((a, b) -> a.endMs() != b.endMs() ? Long.compare(a.endMs(), b.endMs()) : a.matchId().compareTo(b.matchId())));
            for (Map.Entry<String, Open> e : due) {
                Open w = e.getValue();
                open.remove(e.getKey());
                closed.add(new String[] {w.matchId(), w.record()});
                sent.put(e.getKey(), new Sent(batchId, w.record()));
                latestEnd = Math.max(latestEnd, w.endMs());
                closedEarly++;
                if (w.endMs() > watermark) closedOnTicks++;
            }
        }
        for (Iterator<Sent> it = sent.values().iterator(); it.hasNext(); ) {
            if (it.next().batchId() >= batchId - REMEMBER_BATCHES) break;
            it.remove();
        }
        return new Out(live, closed, latestEnd, closedEarly, closedOnTicks);
    }

    /** Windows open (a live row seen, not closed yet) and records remembered: for tests. */
    int openWindows() {
        return open.size();
    }

    int remembered() {
        return sent.size();
    }
}
