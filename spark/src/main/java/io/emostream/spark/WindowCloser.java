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
 */
final class WindowCloser {
    private static final Logger LOG = LoggerFactory.getLogger(WindowCloser.class);
    /** The columns {@link #batch} reads, in this order (a select of {@link Aggregations#WINDOW_ROWS}). */
    static final String[] COLUMNS = {"kind", "match_id", "window_start_ms", "window_end_ms", "value", "record", "max_event_ms"};
    /** Spark's closed row comes in the next batch; a remembered record is kept this many batches, for slack. */
    static final int REMEMBER_BATCHES = 20;
    static final int MAX_REMEMBERED = 10_000;

    private final long watermarkDelayMs;
    private long watermark = Long.MIN_VALUE;
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

    /** What one micro-batch sends: (key, value) live records, then (key, value) window records. */
    record Out(List<String[]> live, List<String[]> closed, long latestClosedEndMs, int closedEarly) {}

    WindowCloser(long watermarkDelayMs) {
        this.watermarkDelayMs = watermarkDelayMs;
    }

    /** The closer's watermark (Long.MIN_VALUE before the first row with an event time). */
    long watermark() {
        return watermark;
    }

    /** One micro-batch's rows, columns {@link #COLUMNS}. */
    Out batch(long batchId, List<Row> rows) {
        List<String[]> live = new ArrayList<>(), closed = new ArrayList<>();
        long latest = Long.MIN_VALUE, latestEnd = Long.MIN_VALUE;
        for (Row r : rows) {
            String kind = r.getString(0);
            if (WindowCounter.KIND_CLOCK.equals(kind)) {
                latest = Math.max(latest, r.getLong(6));
                continue;
            }
            String matchId = r.getString(1), id = WindowFormat.windowId(matchId, r.getLong(2));
            long end = r.getLong(3);
            if (WindowCounter.KIND_LIVE.equals(kind)) {
                live.add(new String[] {matchId, r.getString(4)});
                open.put(id, new Open(matchId, end, r.getString(5)));
                latest = Math.max(latest, r.getLong(6));
                continue;
            }
            // Spark's closed row (its timeout)
            open.remove(id);
            Sent early = sent.remove(id);
            String record = r.getString(4);
            if (early != null && early.record().equals(record)) continue;
            if (early != null) {
                LOG.error("window {}: the record closed early differs from Spark's closed row; sending Spark's too.\n early: {}\n Spark: {}", id, early.record(), record);
            }
            closed.add(new String[] {matchId, record});
            latestEnd = Math.max(latestEnd, end);
        }
        if (latest != Long.MIN_VALUE) watermark = Math.max(watermark, latest - watermarkDelayMs);
        int closedEarly = 0;
        if (!open.isEmpty()) {
            List<Map.Entry<String, Open>> due = new ArrayList<>();
            for (Map.Entry<String, Open> e : open.entrySet()) {
                if (e.getValue().endMs() <= watermark) due.add(e);
            }
            due.sort(Map.Entry.comparingByValue((a, b) -> a.endMs() != b.endMs() ? Long.compare(a.endMs(), b.endMs()) : a.matchId().compareTo(b.matchId())));
            for (Map.Entry<String, Open> e : due) {
                Open w = e.getValue();
                open.remove(e.getKey());
                closed.add(new String[] {w.matchId(), w.record()});
                sent.put(e.getKey(), new Sent(batchId, w.record()));
                latestEnd = Math.max(latestEnd, w.endMs());
                closedEarly++;
            }
        }
        for (Iterator<Sent> it = sent.values().iterator(); it.hasNext(); ) {
            if (it.next().batchId() >= batchId - REMEMBER_BATCHES) break;
            it.remove();
        }
        return new Out(live, closed, latestEnd, closedEarly);
    }

    /** Windows open (a live row seen, not closed yet) and records remembered: for tests. */
    int openWindows() {
        return open.size();
    }

    int remembered() {
        return sent.size();
    }
}
