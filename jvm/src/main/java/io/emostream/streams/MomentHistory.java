package io.emostream.streams;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * One match's recent closed windows, as the moment rule needs them: the start of its first window ever (so a
 * new match is not compared with windows it never had) and the counts of the windows within the baseline span
 * (windows with no events are absent and count 0). The value of the moments processor's store, one per match.
 */
public final class MomentHistory {
    private static final ObjectMapper JSON = new ObjectMapper();
    private long first = Long.MIN_VALUE;
    private long last = Long.MIN_VALUE;
    private final TreeMap<Long, Map<String, Long>> recent = new TreeMap<>();

    public boolean isEmpty() { return first == Long.MIN_VALUE; }

    public long first() { return first; }

    /** Start of the latest window added; Long.MIN_VALUE when empty. */
    public long last() { return last; }

    long count(long start, String emoji) {
        Map<String, Long> c = recent.get(start);
        return c == null ? 0 : c.getOrDefault(emoji, 0L);
    }

    long total(long start) {
        Map<String, Long> c = recent.get(start);
        if (c == null) return 0;
        long t = 0;
        for (long v : c.values()) t += v;
        return t;
    }

    /** Add a closed window and drop the ones that fell out of the baseline span. */
    public MomentHistory add(long start, Map<String, Long> counts, int baselineWindows, long windowMs) {
        if (isEmpty()) first = start;
        last = Math.max(last, start);
        recent.put(start, new TreeMap<>(counts));
        recent.headMap(last - (long) (baselineWindows - 1) * windowMs, false).clear(); // the next window's baseline
        return this;
    }

    byte[] toJsonBytes() {
        ObjectNode n = JSON.createObjectNode();
        n.put("first", first);
        n.put("last", last);
        ObjectNode w = n.putObject("windows");
        recent.forEach((start, c) -> {
            ObjectNode o = w.putObject(Long.toString(start));
            c.forEach(o::put);
        });
        try {
            return JSON.writeValueAsBytes(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static MomentHistory fromJsonBytes(byte[] b) {
        if (b == null) return null;
        MomentHistory h = new MomentHistory();
        try {
            JsonNode n = JSON.readTree(new String(b, StandardCharsets.UTF_8));
            h.first = n.get("first").asLong();
            h.last = n.get("last").asLong();
            for (Iterator<Map.Entry<String, JsonNode>> it = n.get("windows").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                TreeMap<String, Long> c = new TreeMap<>();
                e.getValue().fields().forEachRemaining(f -> c.put(f.getKey(), f.getValue().asLong()));
                h.recent.put(Long.parseLong(e.getKey()), c);
            }
        } catch (Exception e) {
            throw new IllegalStateException("moment history does not parse: " + e.getMessage(), e);
        }
        return h;
    }

    public static Serde<MomentHistory> serde() {
        return Serdes.serdeFrom((topic, h) -> h == null ? null : h.toJsonBytes(), (topic, b) -> fromJsonBytes(b));
    }
}
