package io.emostream.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.Map;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The window contract on the Java side (TS twin: src/domain/window.ts), held to ../contracts/scale-rule.json,
 * ../contracts/windows.json and ../contracts/mood.json by ContractsTest. {@link Aggregations} computes the same things as Spark SQL
 * expressions; its tests hold those to the same files.
 */
public final class WindowFormat {
    /** Timestamp pattern of the records: ISO-8601, UTC, milliseconds. The same pattern for Spark's date_format. */
    public static final String ISO_PATTERN = "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'";
    private static final DateTimeFormatter ISO = DateTimeFormatter.ofPattern(ISO_PATTERN).withZone(ZoneOffset.UTC);

    private WindowFormat() {}

    /** swarm size for {@code count} events of one emoji in one window: max(1, floor(count / factor)); 0 → 0 (absent). */
    public static long scale(long count, long factor) {
        if (count < 0) throw new IllegalArgumentException("count must be >= 0: " + count);
        if (factor < 1) throw new IllegalArgumentException("factor must be >= 1: " + factor);
        return count == 0 ? 0 : Math.max(1, count / factor);
    }

    /** Start (epoch ms) of the tumbling window holding {@code tsMs}. */
    public static long windowStart(long tsMs, long windowMs) {
        return Math.floorDiv(tsMs, windowMs) * windowMs;
    }

    /** Window id (de-duplication key, SSE id): {@code <match_id>:<window_start ms>}. */
    public static String windowId(String matchId, long windowStartMs) {
        return matchId + ":" + windowStartMs;
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The window record (value on emoji-windows) for one (match, window) from its per-emoji counts, fields in the
     * contract's order; emojis in the map's order (pass a sorted map for stable bytes).
     */
    public static String recordJson(String matchId, long windowStartMs, long windowEndMs, Map<String, Long> counts, long factor) {
        return recordJson(matchId, windowStartMs, windowEndMs, counts, factor, Mood.defaults(), 0);
    }

    /**
     * The same with a mood table, and the match's late events counted in this window ({@code late}: events that
     * arrived after their own window had closed; written only when > 0, last).
     */
    public static String recordJson(String matchId, long windowStartMs, long windowEndMs, Map<String, Long> counts, long factor, Mood mood, long late) {
        ObjectNode o = JSON.createObjectNode();
        o.put("match_id", matchId);
        o.put("window_start", iso(windowStartMs));
        o.put("window_end", iso(windowEndMs));
        ObjectNode c = o.putObject("counts");
        ObjectNode sw = o.putObject("swarm");
        long total = 0;
        for (Map.Entry<String, Long> e : counts.entrySet()) {
            long n = e.getValue();
            if (n <= 0) continue;
            c.put(e.getKey(), n);
            sw.put(e.getKey(), scale(n, factor));
            total += n;
        }
        o.put("total", total);
        mood.put(o, counts);
        if (late > 0) o.put("late", late);
        return o.toString();
    }

    /**
     * A live record (value on emoji-live): the running counts of a window that is still open, as its window record
     * with {@code seq} last (1, 2, … per window: a larger seq is newer; the closed record on emoji-windows follows).
     */
    public static String liveJson(String matchId, long windowStartMs, long windowEndMs, Map<String, Long> counts, long factor, Mood mood, long late, long seq) {
        return liveJson(recordJson(matchId, windowStartMs, windowEndMs, counts, factor, mood, late), seq);
    }

    /** The live record of a window record ({@link #recordJson}): the same JSON with {@code seq} last. */
    public static String liveJson(String record, long seq) {
        return record.substring(0, record.length() - 1) + ",\"seq\":" + seq + "}";
    }

    public static String iso(long epochMs) {
        return ISO.format(Instant.ofEpochMilli(epochMs));
    }

    public static long parseIso(String iso) {
        return Instant.parse(iso).toEpochMilli();
    }
}
