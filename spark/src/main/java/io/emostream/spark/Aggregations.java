package io.emostream.spark;

import static org.apache.spark.sql.functions.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.KeyValueGroupedDataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.streaming.GroupStateTimeout;
import org.apache.spark.sql.streaming.OutputMode;
import org.apache.spark.sql.streaming.TimeMode;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The aggregation core as pure {@code Dataset → Dataset} functions (no sources, sinks or side effects):
 *
 * <pre>
 *   raw (value, [partition, offset])
 *     → classify             kind = event | tick | invalid, event_time = received_at; a packed record → its events
 *     → firstOccurrences     watermark on event_time; a retried (user_id, event_id) once; late events marked
 *                            (transformWithState, RocksDB state: ids in 256 shards, one expiry timer per shard)
 *     → liveAndClosedWindows per (match_id, window): a live row (running counts, seq) in every micro-batch that
 *                            changed it, the closed row (the window record) once the watermark passes its end
 *                            (what the Job writes: emoji-live, emoji-windows)
 *   and, in Spark SQL, the same closed records from a static frame (tests, batch re-computation):
 *     → windowCounts         tumbling windows per (match_id, emoji_type)
 *     → toWindowRecords      one row per (match_id, window): key = match_id, value = the window JSON
 * </pre>
 *
 * <p>Why a stateful function ({@link WindowCounter}) and not Spark's windowed count in the Job: append mode emits a
 * window only when it closes, update mode never says that it closed; the function keeps one state per (match,
 * window) (its per-emoji counts) and emits both, so the live swarm and the closed window come from the same
 * counts, without a driver-side fold of per-emoji rows and without a second query reading the topic again.
 *
 * <p>Ticks ({@code {"type":"tick","received_at"}}) take part in the watermark. They are not filtered out before the
 * stateful steps on purpose: Spark pushes a filter that does not reference the event-time column below the watermark
 * operator, and ticks that never reach it never move the clock. {@link WindowCounter} keeps no state for them (one clock row a batch);
 * {@link #windowCounts} keeps them under a null (match_id, emoji_type) key that {@link #toWindowRecords} drops.
 *
 * <p>Timestamps are formatted in the session time zone, which must be UTC ({@code spark.sql.session.timeZone}).
 */
public final class Aggregations {
    private Aggregations() {}

    /**
     * Window length, watermark delay, swarm scale factor, how long a repeated (user_id, event_id) is dropped, the
     * mood table.
     */
    public record Settings(long windowMs, long watermarkMs, long scaleFactor, long dedupRetentionMs, Mood mood) {
        /** The same default as the Kafka Streams dedup store (STREAMS_DEDUP_RETENTION_MS). */
        public static final long DEFAULT_DEDUP_RETENTION_MS = 600_000;

        public Settings {
            if (windowMs < 1) throw new IllegalArgumentException("windowMs must be >= 1");
            if (watermarkMs < 0) throw new IllegalArgumentException("watermarkMs must be >= 0");
            if (scaleFactor < 1) throw new IllegalArgumentException("scaleFactor must be >= 1");
            if (dedupRetentionMs < 0) throw new IllegalArgumentException("dedupRetentionMs must be >= 0");
            if (mood == null) throw new IllegalArgumentException("mood must be set");
        }

        /** With the default mood table (contracts/mood.json). */
        public Settings(long windowMs, long watermarkMs, long scaleFactor, long dedupRetentionMs) {
            this(windowMs, watermarkMs, scaleFactor, dedupRetentionMs, Mood.defaults());
        }

        public static Settings defaults() {
            return new Settings(2000, 500, 1000, DEFAULT_DEDUP_RETENTION_MS);
        }
    }

    private static final String ISO_INSTANT = "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})$";

    private static Column nonBlank(Column c, int maxChars) {
        return coalesce(length(trim(c)).gt(0).and(length(c).leq(maxChars)), lit(false));
    }

    /**
     * Parse and classify raw records. Input: {@code value} (binary or string) and optionally {@code partition},
     * {@code offset} (kept to report invalid records). A packed record (contracts/event-records.json) becomes one
     * row per element, in order: {@code position} is the element's index (0 for a record that is not packed), so
     * (offset, position) orders the events of a partition as they were written. Output columns: kind, event_time
     * (timestamp = received_at; null for invalid), match_id, emoji_type, user_id, event_id (null unless kind =
     * event), instance (a tick's writer, null unless kind = tick and set), partition, offset, position, raw (the value as text; for an invalid element of a packed record, its
     * index and the fields read from it).
     * Never throws on a bad value: a packed record without events is one invalid row, an element that is not a
     * valid event (a tick included) one invalid row.
     */
    public static Dataset<Row> classify(Dataset<Row> raw) {
        List<String> cols = Arrays.asList(raw.columns());
        Column partition = cols.contains("partition") ? col("partition").cast("int") : lit(null).cast("int");
        Column offset = cols.contains("offset") ? col("offset").cast("long") : lit(null).cast("long");
        Column r = col("r");
        Column packed = coalesce(r.getField("type").equalTo(lit(Schemas.TYPE_PACKED)).and(size(r.getField("events")).gt(0)), lit(false));
        // the elements: a packed record's events, or the record itself as the one element
        Column[] fields = Arrays.stream(Schemas.EVENT.fieldNames()).map(f -> r.getField(f).as(f)).toArray(Column[]::new);
        Column elements = when(col("packed"), r.getField("events")).otherwise(array(struct(fields)));
        Column e = col("e");
        // try_to_timestamp without a format follows the cast rules: ISO-8601 with 'Z' or an offset; null if bad.
        // An ISO-8601 instant (the API always writes UTC with milliseconds); the regex keeps the cast from reading
        // "12" as the year 12.
        Column receivedAtText = e.getField("received_at");
        Column receivedAt = when(receivedAtText.rlike(ISO_INSTANT), try_to_timestamp(receivedAtText));
        Column isTick = not(col("packed")).and(coalesce(e.getField("type").equalTo(lit(Schemas.KIND_TICK)), lit(false))).and(receivedAt.isNotNull());
        Column isEvent = e.isNotNull()
            .and(e.getField("type").isNull())
            .and(nonBlank(e.getField("event_id"), Schemas.MAX_ID_CHARS))
            .and(nonBlank(e.getField("user_id"), Schemas.MAX_ID_CHARS))
            .and(nonBlank(e.getField("match_id"), Schemas.MAX_ID_CHARS))
            .and(nonBlank(e.getField("emoji_type"), Schemas.MAX_EMOJI_CHARS))
            .and(nonBlank(e.getField("timestamp"), Schemas.MAX_ID_CHARS))
            .and(receivedAt.isNotNull());
        Column kind = when(isEvent, lit(Schemas.KIND_EVENT)).when(isTick, lit(Schemas.KIND_TICK)).otherwise(lit(Schemas.KIND_INVALID));
        Column rawOut = when(col("packed").and(col("kind").equalTo(lit(Schemas.KIND_INVALID))),
                concat(lit("events["), col("position").cast("string"), lit("]: "), coalesce(to_json(e), lit("null"))))
            .otherwise(col("raw"));
        return raw
            .select(col("value").cast("string").as("raw"), partition.as("partition"), offset.as("offset"))
            .withColumn("r", from_json(col("raw"), Schemas.RECORD))
            .withColumn("packed", packed)
            .select(col("raw"), col("partition"), col("offset"), col("packed"), posexplode(elements).as(new String[] {"position", "e"}))
            .withColumn("kind", kind)
            .select(
                col("kind"),
                when(col("kind").notEqual(lit(Schemas.KIND_INVALID)), receivedAt).as("event_time"),
                when(col("kind").equalTo(lit(Schemas.KIND_EVENT)), e.getField("match_id")).as("match_id"),
                when(col("kind").equalTo(lit(Schemas.KIND_EVENT)), e.getField("emoji_type")).as("emoji_type"),
                when(col("kind").equalTo(lit(Schemas.KIND_EVENT)), e.getField("user_id")).as("user_id"),
                when(col("kind").equalTo(lit(Schemas.KIND_EVENT)), e.getField("event_id")).as("event_id"),
                when(col("kind").equalTo(lit(Schemas.KIND_TICK)).and(nonBlank(e.getField("instance"), Schemas.MAX_ID_CHARS)), e.getField("instance")).as("instance"),
                col("partition"),
                col("offset"),
                col("position"),
                rawOut.as("raw"));
    }

    /**
     * Spark setting that must be false for {@link #windowCounts} on a stream: a stateful operator after
     * flatMapGroupsWithState is refused otherwise, since such a function may emit rows older than the watermark,
     * which the next operator would drop. {@link FirstOccurrence} never does (late rows are re-timed past it).
     */
    public static final String CHECK_CORRECTNESS = "spark.sql.streaming.statefulOperator.checkCorrectness.enabled";

    /** The state store every stateful step uses: transformWithState ({@link #firstOccurrences}) requires RocksDB. */
    public static final String STATE_STORE_PROVIDER = "spark.sql.streaming.stateStore.providerClass";
    public static final String ROCKSDB_PROVIDER = "org.apache.spark.sql.execution.streaming.state.RocksDBStateStoreProvider";
    public static final String ROCKSDB_CHANGELOG = "spark.sql.streaming.stateStore.rocksdb.changelogCheckpointing.enabled";
    /** Whether RocksDB counts the state's rows (a read before every write): off in the Job (see Job.session). */
    public static final String ROCKSDB_TRACK_ROWS = "spark.sql.streaming.stateStore.rocksdb.trackTotalNumberOfRows";

    /** How far the dedup step's input watermark column runs ahead of event_time (see firstOccurrences). */
    static final long DEDUP_GUARD_MS = 86_400_000L;

    /**
     * The event-time column of {@link #firstOccurrences}' output, which the window counts' watermark follows: an event's
     * window end, for other rows just past the watermark (never behind it).
     */
    static final String FIRST_OCCURRENCES_CLOCK = "window_end";

    /** Output of {@link #firstOccurrences}. */
    static final StructType FIRST_OCCURRENCES = new StructType()
        .add("kind", DataTypes.StringType, false)
        .add("event_time", DataTypes.TimestampType, true)
        .add("match_id", DataTypes.StringType, true)
        .add("emoji_type", DataTypes.StringType, true)
        .add(FIRST_OCCURRENCES_CLOCK, DataTypes.TimestampType, false)
        // a tick's writer and partition (null otherwise): WindowCounter's clock rows, per (instance, partition)
        .add("instance", DataTypes.StringType, true)
        .add("partition", DataTypes.IntegerType, true);

    /**
     * The first occurrence of each (user_id, event_id) within the retention period, late events marked (see
     * {@link FirstOccurrence}); on a streaming frame with a watermark on event_time (the same delay as the windows).
     * Invalid rows are dropped first. Output columns: kind (event | tick | late | duplicate),
     * event_time, match_id, emoji_type (null unless kind = event), window_end (on a stream, the event-time column the
     * window counts' watermark follows), instance and partition (a tick's; null otherwise).
     */
    public static Dataset<Row> firstOccurrences(Dataset<Row> classified, Settings s) {
        // The query's watermark: max(received_at) − delay. It is defined on a guard column a day ahead of event_time,
        // with the delay a day longer (the same watermark): in event-time mode Spark drops input rows
        // behind the watermark of the step's input, and FirstOccurrence must see late rows to count them as late
        // (no row is a day late). Spark refuses a second watermark on event_time before this step.
        Dataset<Row> in = classified
            .filter(col("kind").notEqual(lit(Schemas.KIND_INVALID)))
            .select(col("kind"), col("event_time"), col("match_id"), col("emoji_type"), col("user_id"), col("event_id"), col("instance"), col("partition"),
                col("offset"), col("position"), timestamp_millis(unix_millis(col("event_time")).plus(lit(DEDUP_GUARD_MS))).as("dedup_guard"))
            .withWatermark("dedup_guard", (DEDUP_GUARD_MS + s.watermarkMs()) + " milliseconds");
        KeyValueGroupedDataset<String, Row> byId = onePartition(in).groupByKey((MapFunction<Row, String>) FirstOccurrence::keyOf, Encoders.STRING());
        if (!classified.isStreaming()) {
            // a static frame: no watermark, no timers. Its state store (a temporary one) reports to the driver's
            // state store coordinator, which Spark starts with the session's streaming query manager.
            classified.sparkSession().streams();
            return byId.transformWithState(new FirstOccurrence(s.dedupRetentionMs(), s.windowMs(), false), TimeMode.None(), OutputMode.Append(),
                Encoders.row(FIRST_OCCURRENCES));
        }
        // event time, with FIRST_OCCURRENCES_CLOCK as the output's event-time column: the window counts' watermark
        return byId.transformWithState(new FirstOccurrence(s.dedupRetentionMs(), s.windowMs(), true), FIRST_OCCURRENCES_CLOCK,
            OutputMode.Append(), Encoders.row(FIRST_OCCURRENCES));
    }

    /**
     * Counts per (window, match_id, emoji_type) on event time, from {@link #firstOccurrences} (duplicates dropped), on
     * a static frame (all windows; a stream counts with {@link #liveAndClosedWindows}). Ticks appear as rows with null
     * match_id; late events as rows with a match_id and a null emoji_type (their count is the match's {@code late}).
     * Output columns: window (struct start, end), match_id, emoji_type, count.
     */
    public static Dataset<Row> countWindows(Dataset<Row> firstOccurrences, Settings s) {
        return firstOccurrences
            .filter(col("kind").notEqual(lit(FirstOccurrence.KIND_DUPLICATE)))
            .withWatermark("event_time", s.watermarkMs() + " milliseconds")
            .groupBy(window(col("event_time"), s.windowMs() + " milliseconds").as("window"), col("match_id"), col("emoji_type"))
            .agg(count(lit(1)).as("count"));
    }

    /** Output of {@link #liveAndClosedWindows}. */
    static final StructType WINDOW_ROWS = new StructType()
        .add("kind", DataTypes.StringType, false)
        .add("match_id", DataTypes.StringType, false)
        .add("window_start_ms", DataTypes.LongType, false)
        .add("window_end_ms", DataTypes.LongType, false)
        .add("seq", DataTypes.LongType, false)
        .add("value", DataTypes.StringType, false)
        .add("record", DataTypes.StringType, true)
        .add("max_event_ms", DataTypes.LongType, true);

    /**
     * The counts per (match_id, window) from {@link #firstOccurrences} (duplicates dropped), as {@link WindowCounter}
     * rows: every micro-batch, a {@code live} row (the window's running counts, with a sequence number) for each
     * window that got events in it; once the watermark passes a window's end, its {@code closed} row (the window
     * record, exactly as {@link #toWindowRecords} makes it). On a static frame every window comes out live then
     * closed. Ticks come out as {@code clock} rows, one per (instance, partition) per micro-batch (the latest tick's
     * time, see {@link WindowCounter}).
     * Output columns: kind, match_id, window_start_ms, window_end_ms, seq, value (JSON), record, max_event_ms.
     */
    public static Dataset<Row> liveAndClosedWindows(Dataset<Row> firstOccurrences, Settings s) {
        long windowMs = s.windowMs();
        // An event-time timeout needs an event-time column on this step's input, and Spark then drops input rows
        // behind the watermark: on event_time that would drop events of a window still open (their time is behind the
        // watermark, their window's end is not). So the event-time column here is the dedup step's output clock, the
        // window's end, which every row FirstOccurrence lets through is ahead of; the watermark is the query's one,
        // carried through the dedup step (no second withWatermark: Spark refuses one after transformWithState).
        Dataset<Row> in = firstOccurrences.filter(col("kind").notEqual(lit(FirstOccurrence.KIND_DUPLICATE)));
        // a static frame needs a watermark for an event-time timeout (a no-op there)
        if (!in.isStreaming()) in = in.withWatermark(FIRST_OCCURRENCES_CLOCK, s.watermarkMs() + " milliseconds");
        return onePartition(in)
            .groupByKey((MapFunction<Row, String>) r -> WindowCounter.keyOf(r, windowMs), Encoders.STRING())
            .flatMapGroupsWithState(
                new WindowCounter(windowMs, s.scaleFactor(), s.mood(), firstOccurrences.isStreaming()),
                OutputMode.Append(), Encoders.STRING(), Encoders.row(WINDOW_ROWS), GroupStateTimeout.EventTimeTimeout());
    }

    /**
     * With one shuffle partition (the default, {@code SPARK_SHUFFLE_PARTITIONS=1}) the frame as one partition without
     * a shuffle; otherwise unchanged. A stateful step needs its input clustered by its key into the state's partitions;
     * with one partition a single partition is that (Spark's {@code SinglePartition} satisfies the step's distribution),
     * so Spark plans no exchange: the Kafka read, the dedup step and the window counts run as one task per micro-batch
     * instead of three stages with two shuffles (each row written and read twice). Rows and state are the same: a hash
     * into one partition puts every key in partition 0, where the state already is, so a checkpoint written with the
     * exchanges resumes. With more partitions Spark plans the exchange as before.
     */
    static Dataset<Row> onePartition(Dataset<Row> df) {
        String n = df.sparkSession().conf().get("spark.sql.shuffle.partitions");
        return "1".equals(n.trim()) ? df.coalesce(1) : df;
    }

    /** {@link #countWindows} of {@link #firstOccurrences}: classified rows → counts per (window, match, emoji). */
    public static Dataset<Row> windowCounts(Dataset<Row> classified, Settings s) {
        return countWindows(firstOccurrences(classified, s), s);
    }

    /** swarm map from a counts map column: max(1, floor(count / factor)) per emoji (counts here are >= 1; exact up to 2^53). */
    public static Column swarm(Column counts, long factor) {
        return transform_values(counts, (k, v) -> greatest(lit(1L), floor(v.divide(lit(factor)))));
    }

    /**
     * Fold per-emoji counts of closed windows (a static frame: one micro-batch of {@link #windowCounts}) into one
     * record per (match_id, window). Output columns: key (match_id), value (window JSON exactly as in
     * contracts/windows.json), match_id, window_start_ms.
     */
    public static Dataset<Row> toWindowRecords(Dataset<Row> counts, Settings s) {
        requireUtc(counts);
        Column isLate = col("emoji_type").isNull();
        return counts
            .filter(col("match_id").isNotNull())
            .groupBy(col("window"), col("match_id"))
            .agg(
                // sorted by emoji: the same window always serializes to the same bytes (collect_list skips nulls)
                map_from_entries(array_sort(collect_list(when(not(isLate), struct(col("emoji_type"), col("count")))))).as("counts"),
                coalesce(sum(when(not(isLate), col("count"))), lit(0L)).cast("long").as("total"),
                coalesce(sum(when(isLate, col("count"))), lit(0L)).cast("long").as("late"))
            .select(
                col("match_id").as("key"),
                to_json(struct(
                    col("match_id"),
                    date_format(col("window.start"), WindowFormat.ISO_PATTERN).as("window_start"),
                    date_format(col("window.end"), WindowFormat.ISO_PATTERN).as("window_end"),
                    col("counts"),
                    swarm(col("counts"), s.scaleFactor()).as("swarm"),
                    col("total"),
                    moodUdf(s.mood()).apply(col("counts")).as("mood"),
                    // only when there were late events: the record is otherwise the shared one (Kafka Streams' too)
                    when(col("late").gt(0), col("late")).as("late"))).as("value"),
                col("match_id"),
                unix_millis(col("window.start")).as("window_start_ms"));
    }

    private static final StructType MOOD = new StructType()
        .add("score", DataTypes.DoubleType, false)
        .add("feeling", DataTypes.StringType, false);

    /** The mood struct (score, feeling) of a counts map column: {@link Mood#of}, the same function as {@link WindowCounter}'s. */
    static UserDefinedFunction moodUdf(Mood mood) {
        return udf((UDF1<scala.collection.Map<String, Long>, Row>) counts -> {
            Mood.Result r = mood.of(counts == null ? Map.of() : scala.jdk.javaapi.CollectionConverters.asJava(counts));
            return RowFactory.create(r.score(), r.feeling());
        }, MOOD);
    }

    /** The whole pipeline on a static frame (tests, batch re-computation): every window, none dropped as late. */
    public static Dataset<Row> aggregate(Dataset<Row> raw, Settings s) {
        return toWindowRecords(windowCounts(classify(raw), s), s);
    }

    static void requireUtc(Dataset<Row> df) {
        String tz = df.sparkSession().conf().get("spark.sql.session.timeZone");
        if (!"UTC".equals(tz) && !"Z".equals(tz) && !"Etc/UTC".equals(tz) && !"+00:00".equals(tz)) {
            throw new IllegalStateException("spark.sql.session.timeZone must be UTC (window timestamps are UTC), not " + tz);
        }
    }
}
