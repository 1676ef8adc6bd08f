package io.emostream.streams;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Counts per emoji for one match (in one window, or in total): the value of both stores. Serialized as a
 * flat JSON object {emoji: n}, which is also how the facade returns it.
 */
public final class Counts {
    private static final JsonFactory FACTORY = new JsonFactory();
    private final LinkedHashMap<String, Long> byEmoji;

    public Counts() { this(new LinkedHashMap<>()); }

    private Counts(LinkedHashMap<String, Long> m) { this.byEmoji = m; }

    public Counts add(String emoji) { return add(emoji, 1L); }

    public Counts add(String emoji, long n) {
        byEmoji.merge(emoji, n, Long::sum);
        return this;
    }

    public Counts addAll(Counts other) {
        other.byEmoji.forEach(this::add);
        return this;
    }

    public Map<String, Long> asMap() { return byEmoji; }

    public long get(String emoji) { return byEmoji.getOrDefault(emoji, 0L); }

    public long total() {
        long t = 0;
        for (long v : byEmoji.values()) t += v;
        return t;
    }

    public boolean isEmpty() { return byEmoji.isEmpty(); }

    @Override
    public String toString() { return new String(toJsonBytes(), java.nio.charset.StandardCharsets.UTF_8); }

    @Override
    public boolean equals(Object o) { return o instanceof Counts c && c.byEmoji.equals(byEmoji); }

    @Override
    public int hashCode() { return byEmoji.hashCode(); }

    public byte[] toJsonBytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 + 24 * byEmoji.size());
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            g.writeStartObject();
            for (Map.Entry<String, Long> e : byEmoji.entrySet()) g.writeNumberField(e.getKey(), e.getValue());
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    public static Counts fromJsonBytes(byte[] bytes) {
        LinkedHashMap<String, Long> m = new LinkedHashMap<>();
        if (bytes == null) return null;
        try (JsonParser p = FACTORY.createParser(bytes)) {
            if (p.nextToken() != JsonToken.START_OBJECT) throw new IOException("counts: expected an object");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String k = p.currentName();
                p.nextToken();
                m.put(k, p.getLongValue());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Counts(m);
    }

    public static Serde<Counts> serde() {
        Serializer<Counts> ser = (topic, c) -> c == null ? null : c.toJsonBytes();
        Deserializer<Counts> de = (topic, b) -> fromJsonBytes(b);
        return Serdes.serdeFrom(ser, de);
    }
}
