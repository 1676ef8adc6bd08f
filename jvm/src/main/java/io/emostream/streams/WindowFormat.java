package io.emostream.streams;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;

/**
 * The window contract on the Java side (the TypeScript source of truth is src/domain/window.ts); held to
 * ../contracts/windows.json, scale-rule.json and mood.json by ContractsTest.
 */
public final class WindowFormat {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter ISO_MS =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private WindowFormat() {}

    /** Start (epoch ms) of the tumbling window holding tsMs: floor(ts / windowMs) * windowMs. */
    public static long windowStart(long tsMs, long windowMs) {
        return Math.floorDiv(tsMs, windowMs) * windowMs;
    }

    /** Swarm size for `count` events of one emoji: max(1, floor(count / factor)); 0 → 0 (absent). */
    public static long scale(long count, long factor) {
        if (count < 0) throw new IllegalArgumentException("count must be >= 0: " + count);
        if (factor < 1) throw new IllegalArgumentException("factor must be >= 1: " + factor);
        if (count == 0) return 0;
        return Math.max(1, count / factor);
    }

    /** ISO-8601 UTC with milliseconds, as every record in the platform spells times. */
    public static String iso(long epochMs) {
        return ISO_MS.format(Instant.ofEpochMilli(epochMs));
    }

    /** Window id: `<match_id>:<window_start ms>`. */
    public static String windowId(String matchId, long windowStartMs) {
        return matchId + ":" + windowStartMs;
    }

    /**
     * The window record object (same shape as emoji-windows): match_id, window_start, window_end, counts, swarm,
     * total, mood (with the default table, contracts/mood.json).
     */
    public static ObjectNode windowNode(String matchId, long startMs, long windowMs, Map<String, Long> counts, long factor) {
        ObjectNode n = JSON.createObjectNode();
        n.put("match_id", matchId);
        n.put("window_start", iso(startMs));
        n.put("window_end", iso(startMs + windowMs));
        ObjectNode c = n.putObject("counts");
        ObjectNode s = n.putObject("swarm");
        long total = 0;
        for (Map.Entry<String, Long> e : counts.entrySet()) {
            long v = e.getValue();
            if (v <= 0) continue;
            c.put(e.getKey(), v);
            s.put(e.getKey(), scale(v, factor));
            total += v;
        }
        n.put("total", total);
        Mood.defaults().put(n, counts);
        return n;
    }

    public static String windowJson(String matchId, long startMs, long windowMs, Map<String, Long> counts, long factor) {
        return windowNode(matchId, startMs, windowMs, counts, factor).toString();
    }
}
