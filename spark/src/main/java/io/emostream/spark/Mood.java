package io.emostream.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The mood of a window from its counts (TS twin: moodOf in src/domain/window.ts), held to ../contracts/mood.json by
 * ContractsTest. Each emoji has a valence in [-1, 1], an intensity in (0, 1] and a feeling; weight = count ×
 * intensity; score = Σ weight × valence / Σ weight, rounded to 3 decimals (half up), 0 without weight; feeling = the
 * feeling with the largest summed weight (ties: alphabetical), "neutral" without weight. Emojis without an entry
 * carry no weight. The default table is contracts/mood.json (in the jar as io/emostream/mood.json).
 */
public final class Mood implements Serializable {
    private static final long serialVersionUID = 1L;

    public record Entry(double valence, double intensity, String feeling) implements Serializable {
        public Entry {
            if (!(valence >= -1 && valence <= 1)) throw new IllegalArgumentException("valence must be in [-1, 1]: " + valence);
            if (!(intensity > 0 && intensity <= 1)) throw new IllegalArgumentException("intensity must be in (0, 1]: " + intensity);
            if (feeling == null || feeling.isBlank()) throw new IllegalArgumentException("feeling must not be blank");
        }
    }

    /** A window's mood: score in [-1, 1] and the dominant feeling. */
    public record Result(double score, String feeling) {}

    public static final String NEUTRAL = "neutral";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Mood defaults;

    private final Map<String, Entry> table;

    public Mood(Map<String, Entry> table) {
        this.table = Collections.unmodifiableMap(new LinkedHashMap<>(table));
    }

    public Map<String, Entry> table() {
        return table;
    }

    /** The table of contracts/mood.json. */
    public static synchronized Mood defaults() {
        if (defaults == null) {
            try (InputStream in = Mood.class.getResourceAsStream("/io/emostream/mood.json")) {
                if (in == null) throw new IllegalStateException("io/emostream/mood.json is missing from the classpath");
                defaults = fromJson(JSON.readTree(in).get("emojis"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return defaults;
    }

    /** From the "emojis" object of contracts/mood.json. */
    public static Mood fromJson(JsonNode emojis) {
        Map<String, Entry> t = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = emojis.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            t.put(e.getKey(), new Entry(v.get("valence").asDouble(), v.get("intensity").asDouble(), v.get("feeling").asText()));
        }
        return new Mood(t);
    }

    /** From EMOJI_MOOD's form {@code emoji:valence:intensity:feeling,...}; blank → {@link #defaults()}. */
    public static Mood parse(String spec) {
        if (spec == null || spec.isBlank()) return defaults();
        Map<String, Entry> t = new LinkedHashMap<>();
        for (String item : spec.split(",")) {
            String[] f = item.trim().split(":");
            if (f.length != 4) throw new IllegalArgumentException("mood entry must be emoji:valence:intensity:feeling: " + item);
            t.put(f[0], new Entry(Double.parseDouble(f[1]), Double.parseDouble(f[2]), f[3]));
        }
        return new Mood(t);
    }

    public Result of(Map<String, Long> counts) {
        double num = 0, den = 0;
        Map<String, Double> byFeeling = new TreeMap<>();
        for (Map.Entry<String, Long> c : new TreeMap<>(counts).entrySet()) {
            Entry e = table.get(c.getKey());
            if (e == null || c.getValue() == null || c.getValue() <= 0) continue;
            double w = c.getValue() * e.intensity();
            num += w * e.valence();
            den += w;
            byFeeling.merge(e.feeling(), w, Double::sum);
        }
        if (den <= 0) return new Result(0.0, NEUTRAL);
        String best = NEUTRAL;
        double bestW = -1;
        for (Map.Entry<String, Double> f : byFeeling.entrySet()) { // alphabetical: the first of equal weights wins
            if (f.getValue() > bestW) {
                best = f.getKey();
                bestW = f.getValue();
            }
        }
        return new Result(Math.round(num / den * 1000) / 1000.0, best);
    }

    /** Writes {@code {"score": …, "feeling": …}} into {@code parent} under "mood". */
    public void put(ObjectNode parent, Map<String, Long> counts) {
        Result r = of(counts);
        ObjectNode m = parent.putObject("mood");
        m.put("score", r.score());
        m.put("feeling", r.feeling());
    }
}
