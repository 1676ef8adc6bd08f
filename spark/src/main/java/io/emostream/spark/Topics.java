package io.emostream.spark;

/** Default topic names; held to ../contracts/topics.json by ContractsTest. The Job takes overrides from its arguments. */
public final class Topics {
    public static final String EVENTS = "emoji-events";
    public static final String WINDOWS = "emoji-windows";
    public static final String LIVE = "emoji-live";
    public static final String EXACT = "emoji-exact";
    public static final String METRICS = "emoji-metrics";

    private Topics() {}
}
