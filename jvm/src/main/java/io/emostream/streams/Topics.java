package io.emostream.streams;

/** Default topic names; held to ../contracts/topics.json by ContractsTest. The API passes the configured names. */
public final class Topics {
    public static final String EVENTS = "emoji-events";
    public static final String WINDOWS = "emoji-windows";
    public static final String EXACT = "emoji-exact";
    public static final String METRICS = "emoji-metrics";
    /** Moments (MomentRule) per match, written by the Kafka Streams topology. */
    public static final String MOMENTS = "emoji-moments";

    /** Key of the tick records the API writes to every partition of the events topic. */
    public static final String TICK_KEY = "__tick__";

    private Topics() {}
}
