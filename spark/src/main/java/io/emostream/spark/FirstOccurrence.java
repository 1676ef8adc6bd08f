package io.emostream.spark;

import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.streaming.ExpiredTimerInfo;
import org.apache.spark.sql.streaming.MapState;
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
 * duplicate, as in the Kafka Streams dedup store. An id is forgotten once the watermark (event time) passes
 * {@code retentionMs} after its first occurrence: an occurrence read after that is a new first one.
 *
 * <p>State layout ({@link #STATE_LAYOUT} 2): the ids are grouped into {@link #SHARDS} shards (the group key, a hash
 * of the id), each a map id → first occurrence's event time, with <em>one</em> event-time timer per shard, not per
 * id. A new id costs one map read and one write; an id read again in a later batch, one read. Forgetting is checked
 * on the read (a first occurrence the watermark has passed by more than the retention counts as absent), so the
 * state's rows may outlive the retention without changing any answer; the shard's timer then sweeps them: it fires
 * once the watermark passes the oldest id's expiry, no sooner than {@link #SWEEP_DIVISOR} ths of the retention after
 * the shard's last sweep, on a grid offset per shard (so the shards' sweeps spread over time instead of all falling
 * in one micro-batch), removes the expired ids and sets the next. So the state holds at most about
 * retention × 1.5 (plus one sweep interval) of ids. Layout 1 (until this one) kept a value and an event-time timer per
 * id: the timer (a read and two index writes for each new id) was 37% of the task's CPU at 20,000 records a batch.
 * Its checkpoints cannot be resumed by this layout (the group keys differ): see StateLayout.
 *
 * <p>Event time, so that a quiet stream runs no micro-batch. Spark drops input rows older than the watermark of this
 * step's input before the processor sees them (silently, even rows whose window is still open): so the input's
 * watermark column is a guard a day ahead of event_time ({@link Aggregations#firstOccurrences}), which no row is
 * behind, its delay a day longer: the same watermark as one on event_time.
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
    /** The dedup state's layout version (see the class comment and {@link StateLayout}). */
    static final int STATE_LAYOUT = 2;
    /** Shards of the id space (group keys "0".."255"): frozen into a checkpoint, like the shuffle partitions. */
    static final int SHARDS = 256;
    /** A shard is swept at most every retention ÷ this (at least every second of event time). */
    static final long SWEEP_DIVISOR = 2;

    private final long retentionMs;
    private final long windowMs;
    /** false on a static frame: no watermark, no timers (every window is open, nothing is late). */
    private final boolean streaming;
    /** Per shard: id (user_id NUL event_id) → the first occurrence's event time (ms). */
    private transient MapState<String, Long> firsts;
    /** Per shard: the time of its pending sweep timer (null: none, the shard is empty). */
    private transient ValueState<Long> sweep;

    FirstOccurrence(long retentionMs, long windowMs, boolean streaming) {
        this.retentionMs = retentionMs;
        this.windowMs = windowMs;
        this.streaming = streaming;
    }

    /** Group key: the shard of (user_id, event_id), or TICK_KEY for a tick. */
    static String keyOf(Row r) {
        if (Schemas.KIND_TICK.equals(r.getString(r.fieldIndex("kind")))) return TICK_KEY;
        return shardOf(idOf(r));
    }

    /** (user_id, event_id) joined by NUL (neither can be empty). */
    static String idOf(Row r) {
        return r.getString(r.fieldIndex("user_id")) + '\0' + r.getString(r.fieldIndex("event_id"));
    }

    /** The shard of an id: String.hashCode is specified, so the same on every JVM and build. */
    static String shardOf(String id) {
        return Integer.toString(Math.floorMod(id.hashCode(), SHARDS));
    }

    /** How often a shard is swept at most (ms of event time). */
    long sweepIntervalMs() {
        return Math.max(1000, retentionMs / SWEEP_DIVISOR);
    }

    /**
     * The first sweep time at or after {@code atLeast} on the shard's grid: multiples of the sweep interval, offset by
     * shard × interval ÷ SHARDS, so each micro-batch sweeps about as many shards as its event time spans.
     */
    static long onGrid(long atLeast, String shard, long intervalMs) {
        long offset = Integer.parseInt(shard) * intervalMs / SHARDS;
        long k = Math.floorDiv(atLeast - offset + intervalMs - 1, intervalMs);
        return k * intervalMs + offset;
    }

    @Override
    public void init(OutputMode outputMode, TimeMode timeMode) {
        firsts = getHandle().getMapState("firsts", Encoders.STRING(), Encoders.LONG(), TTLConfig.NONE());
        sweep = getHandle().getValueState("sweep", Encoders.LONG(), TTLConfig.NONE());
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
        Row head = in.get(0);
        int offsetAt = head.fieldIndex("offset"), timeAt = head.fieldIndex("event_time"), positionAt = head.fieldIndex("position");
        int matchAt = head.fieldIndex("match_id"), emojiAt = head.fieldIndex("emoji_type"), partitionAt = head.fieldIndex("partition");
        int userAt = head.fieldIndex("user_id"), eventAt = head.fieldIndex("event_id");
        // (offset, position in a packed record): the order written; then received_at (no offset: a static frame).
        // Per id that is the order of the layout before; the ids of a shard interleave, each with its own first.
        in.sort(Comparator.<Row>comparingLong(r -> r.isNullAt(offsetAt) ? Long.MAX_VALUE : r.getLong(offsetAt))
            .thenComparingInt(r -> r.getInt(positionAt))
            .thenComparing(r -> r.getTimestamp(timeAt)));
        // this batch's view of the shard: id → first occurrence (null: none, or forgotten); each id read once
        Map<String, Long> known = new HashMap<>();
        Map<String, Long> changed = new HashMap<>();
        for (Row r : in) {
            String id = r.getString(userAt) + '\0' + r.getString(eventAt);
            Timestamp t = r.getTimestamp(timeAt);
            String matchId = r.getString(matchAt);
            Long f;
            if (known.containsKey(id)) {
                f = known.get(id);
            } else {
                f = firsts.getValue(id);
                // forgotten once the watermark has passed the retention after it (its row waits for the sweep)
                if (f != null && streaming && f + retentionMs < watermark) f = null;
                known.put(id, f);
            }
            if (f != null && Math.abs(t.getTime() - f) <= retentionMs) {
                out.add(RowFactory.create(KIND_DUPLICATE, t, matchId, null, notBehind, null, null));
                continue;
            }
            known.put(id, t.getTime());
            changed.put(id, t.getTime());
            if (streaming && WindowFormat.windowStart(t.getTime(), windowMs) + windowMs <= watermark) {
                SetAside.late(matchId, t.getTime(), watermark, r.isNullAt(partitionAt) ? null : r.getInt(partitionAt),
                    r.isNullAt(offsetAt) ? null : r.getLong(offsetAt));
                out.add(RowFactory.create(KIND_LATE, new Timestamp(watermark + 1), matchId, null, notBehind, null, null));
            } else {
                long windowEnd = WindowFormat.windowStart(t.getTime(), windowMs) + windowMs;
                out.add(RowFactory.create(Schemas.KIND_EVENT, t, matchId, r.getString(emojiAt), new Timestamp(windowEnd), null, null));
            }
        }
        if (changed.isEmpty()) return CollectionConverters.asScala(out.iterator());
        long soonest = Long.MAX_VALUE;
        for (Map.Entry<String, Long> e : changed.entrySet()) {
            firsts.updateValue(e.getKey(), e.getValue());
            soonest = Math.min(soonest, e.getValue() + retentionMs);
        }
        if (streaming) {
            Long pending = sweep.get();
            long interval = sweepIntervalMs();
            // a timer fires once the watermark is past it: at the soonest expiry, never behind the watermark
            long want = onGrid(Math.max(soonest, watermark), key, interval);
            // a new shard gets its sweep; one pending much later than a new id's expiry (ids that came out of
            // order, far apart in event time) is brought forward, so that no id waits more than an interval past it
            if (pending == null || want < pending) {
                if (pending != null) getHandle().deleteTimer(pending);
                getHandle().registerTimer(want);
                sweep.update(want);
            }
        }
        return CollectionConverters.asScala(out.iterator());
    }

    /** The shard's sweep: forget the ids the watermark has passed by the retention; the next sweep, if any is left. */
    @Override
    public scala.collection.Iterator<Row> handleExpiredTimer(String key, TimerValues timers, ExpiredTimerInfo expired) {
        long watermark = timers.getCurrentWatermarkInMs();
        List<String> gone = new ArrayList<>();
        long oldest = Long.MAX_VALUE;
        scala.collection.Iterator<scala.Tuple2<String, Long>> all = firsts.iterator();
        while (all.hasNext()) {
            scala.Tuple2<String, Long> e = all.next();
            if (e._2() + retentionMs < watermark) gone.add(e._1());
            else oldest = Math.min(oldest, e._2());
        }
        for (String id : gone) firsts.removeKey(id);
        if (oldest == Long.MAX_VALUE) {
            sweep.clear();
        } else {
            long interval = sweepIntervalMs();
            long next = onGrid(Math.max(oldest + retentionMs, watermark + interval), key, interval);
            getHandle().registerTimer(next);
            sweep.update(next);
        }
        return CollectionConverters.asScala(Collections.<Row>emptyIterator());
    }
}
