package io.emostream.streams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Reads the events topic. The deserializer never throws: a record that is neither an event nor a tick comes
 * out as {@link Event.Kind#INVALID} with a reason, so a poison pill is counted and skipped downstream instead
 * of stopping the application. Only the source reads this format; nothing writes it, so the serializer is a
 * stub that refuses.
 */
public final class EventSerde {
    private static final ObjectMapper JSON = new ObjectMapper();

    private EventSerde() {}

    public static Serde<Event> serde() {
        Serializer<Event> refuse = (topic, e) -> {
            throw new UnsupportedOperationException("events are produced by the API, not by the topology");
        };
        return Serdes.serdeFrom(refuse, deserializer());
    }

    public static Deserializer<Event> deserializer() {
        return (topic, bytes) -> parse(bytes);
    }

    public static Event parse(byte[] bytes) {
        if (bytes == null) return Event.invalid("null value");
        JsonNode n;
        try {
            n = JSON.readTree(bytes);
        } catch (Exception e) {
            return Event.invalid("not JSON");
        }
        if (n == null || !n.isObject()) return Event.invalid("not a JSON object");
        Long receivedAt = isoMs(n.get("received_at"));
        JsonNode type = n.get("type");
        if (type != null && "tick".equals(type.asText(null))) {
            return receivedAt == null ? Event.invalid("tick without a valid received_at") : Event.tick(receivedAt);
        }
        String eventId = text(n, "event_id");
        String userId = text(n, "user_id");
        String emoji = text(n, "emoji_type");
        String matchId = text(n, "match_id");
        if (eventId == null) return Event.invalid("event_id missing");
        if (userId == null) return Event.invalid("user_id missing");
        if (emoji == null) return Event.invalid("emoji_type missing");
        if (matchId == null || Topics.TICK_KEY.equals(matchId)) return Event.invalid("match_id missing or reserved");
        if (receivedAt == null) return Event.invalid("received_at missing or not ISO-8601");
        return Event.event(eventId, userId, emoji, matchId, receivedAt);
    }

    public static Event parse(String json) {
        return parse(json.getBytes(StandardCharsets.UTF_8));
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) return null;
        String s = v.textValue();
        return s.isEmpty() ? null : s;
    }

    private static Long isoMs(JsonNode v) {
        if (v == null || !v.isTextual()) return null;
        try {
            return Instant.parse(v.textValue()).toEpochMilli();
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
