package io.emostream.spark;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Explicit schemas at the job's boundaries. Every field of the incoming JSON is read as a string: with ANSI mode
 * on (Spark 4) a typed field would make a bad value throw, so types are checked afterwards with try_* functions and
 * a record that breaks the contract becomes an "invalid" row instead of a failed batch.
 */
public final class Schemas {
    /**
     * An event on emoji-events (alone, or an element of a packed record): an event
     * {@code {"event_id","user_id","emoji_type","timestamp","match_id","received_at"}} or a tick
     * {@code {"type":"tick","received_at","instance"}} (instance optional; contracts/ticks.json).
     */
    public static final StructType EVENT = new StructType(new StructField[] {
        DataTypes.createStructField("event_id", DataTypes.StringType, true),
        DataTypes.createStructField("user_id", DataTypes.StringType, true),
        DataTypes.createStructField("emoji_type", DataTypes.StringType, true),
        DataTypes.createStructField("timestamp", DataTypes.StringType, true),
        DataTypes.createStructField("match_id", DataTypes.StringType, true),
        DataTypes.createStructField("received_at", DataTypes.StringType, true),
        DataTypes.createStructField("type", DataTypes.StringType, true),
        DataTypes.createStructField("instance", DataTypes.StringType, true),
    });

    /** The {@code type} of a packed record (contracts/event-records.json). */
    public static final String TYPE_PACKED = "events";

    /**
     * A value on emoji-events as read: an event or a tick ({@link #EVENT}'s fields), or a packed record
     * {@code {"type":"events","events":[event, ...]}} (contracts/event-records.json).
     */
    public static final StructType RECORD = EVENT.add("events", DataTypes.createArrayType(EVENT, true), true);

    /** Values of the {@code kind} column that {@link Aggregations#classify} adds. */
    public static final String KIND_EVENT = "event";
    public static final String KIND_TICK = "tick";
    public static final String KIND_INVALID = "invalid";

    /** Limits that keep a garbage value from becoming a state key. */
    public static final int MAX_EMOJI_CHARS = 64;
    public static final int MAX_ID_CHARS = 128;

    private Schemas() {}
}
