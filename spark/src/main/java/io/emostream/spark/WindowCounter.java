package io.emostream.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.api.java.function.FlatMapGroupsWithStateFunction;
import org.apache.spark.sql.streaming.GroupState;

/**
 * The window counts as one stateful step per (match_id, window) ({@link Aggregations#liveAndClosedWindows}), after
 * {@link FirstOccurrence}: the state is the window's per-emoji counts, its late count and a sequence number. Each
 * micro-batch that brings events of a window emits a {@code live} row (the running counts so far, seq + 1); when
 * the watermark passes the window's end (an event-time timeout) it emits the {@code closed} row (the window record of
 * emoji-windows) and drops the state. Both rows come from the same counts, so the last live record of a window
 * carries the counts of its closed record.
 *
 * <p>Why not Spark's windowed {@code groupBy().count()}: in append mode it emits a window only when it closes, in
 * update mode never says that it closed; this step gives both from one state, and builds the record itself (no
 * driver-side fold of per-emoji rows). Input rows: kind (event | late | tick), event_time, match_id, emoji_type;
 * ticks (key {@link #TICK_KEY}) move the watermark upstream; here they keep no state and give the clock row. The
 * input carries no watermark column on event_time, so Spark drops no input row before this function sees it;
 * {@link FirstOccurrence} already turned events whose window had closed into late rows re-timed past the watermark.
 *
 * <p>On a static frame (no watermark, no timeouts) every window is emitted closed at once, after its live row.
 *
 * <p>Output rows: kind (live | closed | clock), match_id, window_start_ms, window_end_ms, seq, value (the record JSON; a
 * live record is the window record plus {@code seq}), record, max_event_ms. So that the driver can close a window in
 * the micro-batch that moves the watermark past it ({@link WindowCloser}) rather than in the next one, where the
 * timeout fires: a live row also carries its window's record as it would close now ({@code record}) and the latest
 * event time of the window's input rows in this batch ({@code max_event_ms}); the ticks' group emits a {@code clock}
 * row per (instance, partition) of its ticks: match_id = the instance ("" for ticks without one), window_start_ms =
 * the partition (−1 without an instance), value "", max_event_ms = the latest tick's time. Closed rows have neither
 * record nor max_event_ms (null).
 */
final class WindowCounter implements FlatMapGroupsWithStateFunction<String, Row, String, Row> {
    static final String TICK_KEY = "";
    static final String KIND_LIVE = "live";
    static final String KIND_CLOSED = "closed";
    static final String KIND_CLOCK = "clock";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final long windowMs;
    private final long scaleFactor;
    private final Mood mood;
    private final boolean streaming;

    WindowCounter(long windowMs, long scaleFactor, Mood mood, boolean streaming) {
        this.windowMs = windowMs;
        this.scaleFactor = scaleFactor;
        this.mood = mood;
        this.streaming = streaming;
    }

    /** Group key: match_id NUL window start (ms), or TICK_KEY for a tick. */
    static String keyOf(Row r, long windowMs) {
        if (Schemas.KIND_TICK.equals(r.getString(r.fieldIndex("kind")))) return TICK_KEY;
        long t = r.getTimestamp(r.fieldIndex("event_time")).getTime();
        return r.getString(r.fieldIndex("match_id")) + '\0' + WindowFormat.windowStart(t, windowMs);
    }

    /** The state: per-emoji counts (sorted), late events, live records emitted so far. */
    static final class Counts {
        final TreeMap<String, Long> counts = new TreeMap<>();
        long late;
        long seq;

        String encode() {
            ObjectNode o = JSON.createObjectNode();
            o.put("seq", seq);
            o.put("late", late);
            ObjectNode c = o.putObject("counts");
            counts.forEach(c::put);
            return o.toString();
        }

        static Counts decode(String s) {
            Counts k = new Counts();
            try {
                JsonNode o = JSON.readTree(s);
                k.seq = o.get("seq").asLong();
                k.late = o.get("late").asLong();
                o.get("counts").fields().forEachRemaining(e -> k.counts.put(e.getKey(), e.getValue().asLong()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return k;
        }
    }

    @Override
    public Iterator<Row> call(String key, Iterator<Row> rows, GroupState<String> state) {
        if (TICK_KEY.equals(key)) {
            // the latest tick per (instance, partition); ticks without an instance under ("", -1)
            Map<String, Long> latest = new HashMap<>();
            while (rows.hasNext()) {
                Row r = rows.next();
                int i = r.fieldIndex("instance"), p = r.fieldIndex("partition");
                String source = (r.isNullAt(i) ? "" : r.getString(i)) + '\0' + (r.isNullAt(i) || r.isNullAt(p) ? -1 : r.getInt(p));
                latest.merge(source, r.getTimestamp(r.fieldIndex("event_time")).getTime(), Math::max);
            }
            List<Row> clock = new ArrayList<>(latest.size());
            latest.forEach((source, t) -> {
                int sep = source.lastIndexOf('\0');
                clock.add(RowFactory.create(KIND_CLOCK, source.substring(0, sep), Long.parseLong(source.substring(sep + 1)), 0L, 0L, "", null, t));
            });
            return clock.iterator();
        }
        int sep = key.lastIndexOf('\0');
        String matchId = key.substring(0, sep);
        long start = Long.parseLong(key.substring(sep + 1)), end = start + windowMs;
        if (state.hasTimedOut()) {
            Counts k = state.exists() ? Counts.decode(state.get()) : new Counts();
            state.remove();
            return List.of(closed(matchId, start, end, k)).iterator();
        }
        Counts k = state.exists() ? Counts.decode(state.get()) : new Counts();
        boolean changed = false;
        long maxEvent = Long.MIN_VALUE;
        while (rows.hasNext()) {
            Row r = rows.next();
            maxEvent = Math.max(maxEvent, r.getTimestamp(r.fieldIndex("event_time")).getTime());
            String kind = r.getString(r.fieldIndex("kind"));
            if (FirstOccurrence.KIND_LATE.equals(kind)) {
                k.late++;
                changed = true;
            } else if (Schemas.KIND_EVENT.equals(kind)) {
                k.counts.merge(r.getString(r.fieldIndex("emoji_type")), 1L, Long::sum);
                changed = true;
            }
        }
        if (!changed) return Collections.emptyIterator();
        k.seq++;
        String record = WindowFormat.recordJson(matchId, start, end, k.counts, scaleFactor, mood, k.late);
        List<Row> out = new ArrayList<>(2);
        out.add(RowFactory.create(KIND_LIVE, matchId, start, end, k.seq, WindowFormat.liveJson(record, k.seq), record, maxEvent));
        if (!streaming) {
            out.add(RowFactory.create(KIND_CLOSED, matchId, start, end, k.seq, record, null, null));
            return out.iterator();
        }
        state.update(k.encode());
        // the timeout fires once the watermark reaches the window's end: the same moment Spark's windowed
        // aggregation would evict (and, in append mode, emit) it
        state.setTimeoutTimestamp(end - 1);
        return out.iterator();
    }

    private Row closed(String matchId, long start, long end, Counts k) {
        String json = WindowFormat.recordJson(matchId, start, end, k.counts, scaleFactor, mood, k.late);
        return RowFactory.create(KIND_CLOSED, matchId, start, end, k.seq, json, null, null);
    }
}
