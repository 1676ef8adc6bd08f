package io.emostream.spark;

import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.streaming.ExpiredTimerInfo;
import org.apache.spark.sql.streaming.OutputMode;
import org.apache.spark.sql.streaming.StatefulProcessor;
import org.apache.spark.sql.streaming.TTLConfig;
import org.apache.spark.sql.streaming.TimeMode;
import org.apache.spark.sql.streaming.TimerValues;
import org.apache.spark.sql.streaming.ValueState;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The stateful step before the window counts ({@link Aggregations#firstOccurrences}), per (user_id, event_id): keeps
 * the first occurrence of an event and marks its repeats within the retention period as duplicates; marks an event
 * whose window had already closed when it arrived as late. Ticks (one group, key {@link #TICK_KEY}) pass through.
 *
 * <p>"First" is the smallest Kafka offset, then the smallest position in a packed record (then the earliest received_at): the API writes a retry under the same
 * key (user_id) as the original, so both copies are in one partition, in the order Kafka Streams sees and counts
 * them. A retry is stamped with a new received_at when the API admits it again, seconds or minutes later, so the
 * repeat test is on the first occurrence's event time: a repeat within {@code retentionMs} of it (either way) is a
 * duplicate, as in the Kafka Streams dedup store. The state is one long per id (the first occurrence's event time)
 * and expires once the watermark (event time) passes {@code retentionMs} after it: bounded by rate × retention.
 *
 * <p>A {@code transformWithState} processor with one event-time timer per id, not {@code flatMapGroupsWithState}
 * with an event-time timeout: Spark finds expired timers by a range scan of a time-ordered index (the ids that expire),
 * where it looked for timeouts by scanning every id in the state every micro-batch, on a state store (HDFS-backed)
 * that also copied its whole map per version, so a batch cost grew with rate × retention (600,000 ids after ten
 * minutes at 1,000 events/s). Event time, so that a quiet stream runs no micro-batch. Spark drops input rows older
 * than the watermark of this step's input before the processor sees them (silently, even rows whose window is still
 * open): so the input's watermark column is a guard a day ahead of event_time ({@link Aggregations#firstOccurrences}),
 * which no row is behind, its delay a day longer: the same watermark as one on event_time.
 *
 * <p>Late: the window aggregation after this step drops a row whose window the watermark has passed, silently. Here
 * such a row is kept as kind = late, without its emoji, re-timed just past the watermark: it is counted, per match,
 * as {@code late} in the match's next window record instead of vanishing, and logged ({@link SetAside}).
 *
 * <p>Output rows: kind (event | tick | late | duplicate), event_time, match_id, emoji_type (null unless event), window_end
 * (the output's event-time column, {@link Aggregations#FIRST_OCCURRENCES_CLOCK}: an event's window end, otherwise just
 * past the watermark; Spark refuses a row behind it), instance and partition (a tick's, for the clock rows; else null).
 */
final class FirstOccurrence extends StatefulProcessor<String, Row, Row> {
    static final String TICK_KEY = "";
    static final String KIND_LATE = "late";
    static final String KIND_DUPLICATE = "duplicate";

    private final long retentionMs;
    private final long windowMs;
    /** false on a static frame: no watermark, no timers (every window is open, nothing is late). */
    private final boolean streaming;
    /** The first occurrence's event time (ms), per (user_id, event_id). */
    private transient ValueState<Long> first;

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
    public void init(OutputMode outputMode, TimeMode timeMode) {
        first = getHandle().getValueState("first", Encoders.LONG(), TTLConfig.NONE());
    }

    @Override
    public scala.collection.Iterator<Row> handleInputRows(String key, scala.collection.Iterator<Row> rows, TimerValues timers) {
        List<Row> in = new ArrayList<>();
        while (rows.hasNext()) in.add(rows.next());
        List<Row> out = new ArrayList<>(in.size());
        long watermark = streaming ? timers.getCurrentWatermarkInMs() : Long.MIN_VALUE;
        // the next step's event time (clock): never behind the watermark (Spark refuses a row that is)
        Timestamp notBehind = new Timestamp(streaming ? watermark + 1 : 0);
        if (TICK_KEY.equals(key)) {
            int instanceAt = in.get(0).fieldIndex("instance"), partitionAt = in.get(0).fieldIndex("partition");
            for (Row r : in) {
                out.add(RowFactory.create(Schemas.KIND_TICK, r.getTimestamp(r.fieldIndex("event_time")), null, null, notBehind, r.get(instanceAt), r.get(partitionAt)));
            }
            return CollectionConverters.asScala(out.iterator());
        }
        int offsetAt = in.get(0).fieldIndex("offset"), timeAt = in.get(0).fieldIndex("event_time"), positionAt = in.get(0).fieldIndex("position");
        // (offset, position in a packed record): the order written; then received_at (no offset: a static frame)
        in.sort(Comparator.<Row>comparingLong(r -> r.isNullAt(offsetAt) ? Long.MAX_VALUE : r.getLong(offsetAt))
            .thenComparingInt(r -> r.getInt(positionAt))
            .thenComparing(r -> r.getTimestamp(timeAt)));
        // null when the id has no state: one store read (exists() is a get() of its own)
        Long before = first.get();
        Long f = before;
        for (Row r : in) {
            Timestamp t = r.getTimestamp(timeAt);
            String matchId = r.getString(r.fieldIndex("match_id"));
            if (f != null && Math.abs(t.getTime() - f) <= retentionMs) {
                out.add(RowFactory.create(KIND_DUPLICATE, t, matchId, null, notBehind, null, null));
                continue;
            }
            f = t.getTime();
            if (streaming && WindowFormat.windowStart(t.getTime(), windowMs) + windowMs <= watermark) {
                SetAside.late(matchId, t.getTime(), watermark, r.isNullAt(r.fieldIndex("partition")) ? null : r.getInt(r.fieldIndex("partition")),
                    r.isNullAt(offsetAt) ? null : r.getLong(offsetAt));
                out.add(RowFactory.create(KIND_LATE, new Timestamp(watermark + 1), matchId, null, notBehind, null, null));
            } else {
                long windowEnd = WindowFormat.windowStart(t.getTime(), windowMs) + windowMs;
                out.add(RowFactory.create(Schemas.KIND_EVENT, t, matchId, r.getString(r.fieldIndex("emoji_type")), new Timestamp(windowEnd), null, null));
            }
        }
        if (!f.equals(before)) {
            first.update(f);
            if (streaming) {
                // one timer per id: the old one (a first occurrence past its retention, replaced) goes
                if (before != null) {
                    List<Long> old = new ArrayList<>();
                    CollectionConverters.asJava(getHandle().listTimers()).forEachRemaining(ts -> old.add((Long) ts));
                    for (long ts : old) getHandle().deleteTimer(ts);
                }
                // expire once event time has passed the retention; never before the watermark
                getHandle().registerTimer(Math.max(f + retentionMs, watermark + 1));
            }
        }
        return CollectionConverters.asScala(out.iterator());
    }

    /** The watermark has passed the retention after the first occurrence: forget the id. */
    @Override
    public scala.collection.Iterator<Row> handleExpiredTimer(String key, TimerValues timers, ExpiredTimerInfo expired) {
        first.clear();
        return CollectionConverters.asScala(Collections.<Row>emptyIterator());
    }
}
