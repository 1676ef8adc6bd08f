package io.emostream.streams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Reads the events topic (contracts/event-records.json): a record is one event, a tick, or a packed record
 * {@code {"type":"events","events":[event, ...]}} carrying several events in order; the deserializer gives the
 * events of a record as a list (one element unless packed). It never throws: a record that is none of these
 * comes out as one {@link Event.Kind#INVALID} with a reason, and so does a packed record's element that is not
 * a valid event, so a poison pill is counted and skipped downstream instead of stopping the application. Only
 * the source reads this format; nothing writes it, so the serializer is a stub that refuses.
 */
public final class EventSerde {
    private static final ObjectMapper JSON = new ObjectMapper();

    private EventSerde() {}

    /** The {@code type} of a packed record. */
    public static final String PACKED_TYPE = "events";

    public static Serde<List<Event>> serde() {
        Serializer<List<Event>> refuse = (topic, e) -> {
            throw new UnsupportedOperationException("events are produced by the API, not by the topology");
        };
        return Serdes.serdeFrom(refuse, deserializer());
    }

    public static Deserializer<List<Event>> deserializer() {
        return (topic, bytes) -> parseRecord(bytes);
    }

    /** The events of one record, in order: one for an event, a tick or an invalid record; a packed record's elements. */
    public static List<Event> parseRecord(byte[] bytes) {
        JsonNode n = tree(bytes);
        if (n == null) return List.of(parse(bytes));
        JsonNode type = n.get("type");
        if (type == null || !PACKED_TYPE.equals(type.asText(null))) return List.of(parse(n));
        JsonNode events = n.get("events");
        if (events == null || !events.isArray() || events.isEmpty()) return List.of(Event.invalid("packed record without events"));
        List<Event> out = new ArrayList<>(events.size());
        for (JsonNode element : events) {
            Event e = parse(element);
            out.add(e.isTick() ? Event.invalid("a tick inside a packed record") : e);
        }
        return out;
    }

    public static List<Event> parseRecord(String json) {
        return parseRecord(json.getBytes(StandardCharsets.UTF_8));
    }

    /** The JSON object of a value, or null when it is not one. */
    private static JsonNode tree(byte[] bytes) {
        if (bytes == null) return null;
        try {
            JsonNode n = JSON.readTree(bytes);
            return n != null && n.isObject() ? n : null;
        } catch (Exception e) {
            return null;
        }
    }

    /** One value that is not packed: an event, a tick or invalid. */
    public static Event parse(byte[] bytes) {
        if (bytes == null) return Event.invalid("null value");
        JsonNode n;
        try {
            n = JSON.readTree(bytes);
        } catch (Exception e) {
            return Event.invalid("not JSON");
        }
        return parse(n);
    }

    private static Event parse(JsonNode n) {
        if (n == null || !n.isObject()) return Event.invalid("not a JSON object");
        Long receivedAt = isoMs(n.get("received_at"));
        JsonNode type = n.get("type");
        if (type != null && "tick".equals(type.asText(null))) {
            return receivedAt == null ? Event.invalid("tick without a valid received_at") : Event.tick(receivedAt);
        }
        if (type != null && !type.isNull()) return Event.invalid("unknown type");
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
