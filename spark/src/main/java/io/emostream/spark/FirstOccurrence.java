package io.emostream.spark;

import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.FlatMapGroupsWithStateFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.streaming.GroupState;

/**
 * The stateful step before the window counts ({@link Aggregations#firstOccurrences}), per (user_id, event_id): keeps
 * the first occurrence of an event and marks its repeats within the retention period as duplicates; marks an event
 * whose window had already closed when it arrived as late. Ticks (one group, key {@link #TICK_KEY}) pass through.
 *
 * <p>"First" is the smallest Kafka offset (then the earliest received_at): the API writes a retry under the same
 * key (user_id) as the original, so both copies are in one partition, in the order Kafka Streams sees and counts
 * them. A retry is stamped with a new received_at when the API admits it again, seconds or minutes later, so the
 * repeat test is on the first occurrence's event time: a repeat within {@code retentionMs} of it (either way) is a
 * duplicate, as in the Kafka Streams dedup store. The state is one long per id (the first occurrence's event time)
 * and expires once the watermark (event time) passes {@code retentionMs} after it: bounded by rate × retention.
 *
 * <p>An event-time timeout, so that a quiet stream runs no micro-batch (a processing-time timeout makes Spark run
 * one every trigger, for nothing, to look for timeouts). Spark drops input rows older than the watermark of this
 * step's input before the function sees them (silently, even rows whose window is still open): so the input's
 * watermark column is a guard a day ahead of event_time ({@link Aggregations#firstOccurrences}), which no row is
 * behind, its delay a day longer: the same watermark as one on event_time. The watermark is readable here.
 *
 * <p>Late: the window aggregation after this step drops a row whose window the watermark has passed, silently. Here
 * such a row is kept as kind = late, without its emoji, re-timed just past the watermark: it is counted, per match,
 * as {@code late} in the match's next window record instead of vanishing, and logged ({@link SetAside}).
 *
 * <p>Output rows: kind (event | tick | late | duplicate), event_time, match_id, emoji_type (null unless event).
 */
final class FirstOccurrence implements FlatMapGroupsWithStateFunction<String, Row, Long, Row> {
    static final String TICK_KEY = "";
    static final String KIND_LATE = "late";
    static final String KIND_DUPLICATE = "duplicate";

    private final long retentionMs;
    private final long windowMs;
    /** false on a static frame: no watermark, no timeouts (every window is open, nothing is late). */
    private final boolean streaming;

    FirstOccurrence(long retentionMs, long windowMs, boolean streaming) {
        this.retentionMs = retentionMs;
        this.windowMs = windowMs;
        this.streaming = streaming;
    }

    /** Group key: (user_id, event_id) joined by NUL (neither can be empty), or TICK_KEY for a tick. */
    static String keyOf(Row r) {
        if (Schemas.KIND_TICK.equals(r.getString(r.fieldIndex("kind")))) return TICK_KEY;
        return r.getString(r.fieldIndex("user_id")) + '\0' + r.getString(r.fieldIndex("event_id"));
    }

    @Override
    public Iterator<Row> call(String key, Iterator<Row> rows, GroupState<Long> state) {
        if (state.hasTimedOut()) {
            state.remove();
            return Collections.emptyIterator();
        }
        List<Row> in = new ArrayList<>();
        rows.forEachRemaining(in::add);
        List<Row> out = new ArrayList<>(in.size());
        if (TICK_KEY.equals(key)) {
            for (Row r : in) out.add(RowFactory.create(Schemas.KIND_TICK, r.getTimestamp(r.fieldIndex("event_time")), null, null));
            return out.iterator();
        }
        int offsetAt = in.get(0).fieldIndex("offset"), timeAt = in.get(0).fieldIndex("event_time");
        in.sort(Comparator.<Row>comparingLong(r -> r.isNullAt(offsetAt) ? Long.MAX_VALUE : r.getLong(offsetAt))
            .thenComparing(r -> r.getTimestamp(timeAt)));
        long watermark = streaming ? state.getCurrentWatermarkMs() : Long.MIN_VALUE;
        Long first = state.exists() ? state.get() : null;
        for (Row r : in) {
            Timestamp t = r.getTimestamp(timeAt);
            String matchId = r.getString(r.fieldIndex("match_id"));
            if (first != null && Math.abs(t.getTime() - first) <= retentionMs) {
                out.add(RowFactory.create(KIND_DUPLICATE, t, matchId, null));
                continue;
            }
            first = t.getTime();
            if (streaming && WindowFormat.windowStart(t.getTime(), windowMs) + windowMs <= watermark) {
                SetAside.late(matchId, t.getTime(), watermark, r.isNullAt(r.fieldIndex("partition")) ? null : r.getInt(r.fieldIndex("partition")),
                    r.isNullAt(offsetAt) ? null : r.getLong(offsetAt));
                out.add(RowFactory.create(KIND_LATE, new Timestamp(watermark + 1), matchId, null));
            } else {
                out.add(RowFactory.create(Schemas.KIND_EVENT, t, matchId, r.getString(r.fieldIndex("emoji_type"))));
            }
        }
        state.update(first);
        // expire once event time has passed the retention; never before the watermark (Spark refuses that)
        if (streaming) state.setTimeoutTimestamp(Math.max(first + retentionMs, watermark + 1));
        return out.iterator();
    }
}
