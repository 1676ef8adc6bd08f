package io.emostream.streams;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.common.utils.Utils;
import org.junit.Test;

public class EventSerdeTest {
    @Test
    public void parsesAnEvent() {
        Event e = EventSerde.parse("{\"event_id\":\"e1\",\"user_id\":\"u-17\",\"emoji_type\":\"🔥\",\"timestamp\":\"2026-11-28T15:00:01.250Z\",\"match_id\":\"ind-aus\",\"received_at\":\"2026-11-28T15:00:01.262Z\"}");
        assertEquals(Event.Kind.EVENT, e.kind());
        assertEquals("e1", e.eventId());
        assertEquals("🔥", e.emojiType());
        assertEquals("ind-aus", e.matchId());
        assertEquals(1795878001262L, e.receivedAtMs());
    }

    @Test
    public void parsesATick() {
        Event e = EventSerde.parse("{\"type\":\"tick\",\"received_at\":\"2026-11-28T15:00:02.000Z\"}");
        assertTrue(e.isTick());
        assertEquals(1795878002000L, e.receivedAtMs());
    }

    @Test
    public void neverThrowsOnBadInput() {
        String[] bad = {
            "", "not json", "[1,2]", "42", "null", "{\"type\":\"tick\"}",
            "{\"event_id\":\"e1\",\"user_id\":\"u\",\"emoji_type\":\"🔥\",\"match_id\":\"m\"}",
            "{\"event_id\":\"e1\",\"user_id\":\"u\",\"emoji_type\":\"🔥\",\"match_id\":\"m\",\"received_at\":\"yesterday\"}",
            "{\"event_id\":7,\"user_id\":\"u\",\"emoji_type\":\"🔥\",\"match_id\":\"m\",\"received_at\":\"2026-11-28T15:00:02.000Z\"}",
            "{\"event_id\":\"e1\",\"user_id\":\"u\",\"emoji_type\":\"\",\"match_id\":\"m\",\"received_at\":\"2026-11-28T15:00:02.000Z\"}",
            "{\"event_id\":\"e1\",\"user_id\":\"u\",\"emoji_type\":\"🔥\",\"match_id\":\"__tick__\",\"received_at\":\"2026-11-28T15:00:02.000Z\"}",
        };
        for (String s : bad) assertEquals(s, Event.Kind.INVALID, EventSerde.parse(s).kind());
        assertEquals(Event.Kind.INVALID, EventSerde.parse((byte[]) null).kind());
        assertEquals(Event.Kind.INVALID, EventSerde.parse(new byte[] {(byte) 0xff, 0x00, 0x7b}).kind());
        assertEquals(List.of(Event.Kind.INVALID), kinds(EventSerde.deserializer().deserialize("t", "{\"a\":".getBytes(StandardCharsets.UTF_8))));
        assertEquals(List.of(Event.Kind.INVALID), kinds(EventSerde.parseRecord((byte[]) null)));
    }

    private static List<Event.Kind> kinds(List<Event> events) {
        return events.stream().map(Event::kind).toList();
    }

    /** contracts/event-records.json: every record's events (in order), ticks and invalid ones. */
    @Test
    public void readsTheRecordsOfTheContract() throws Exception {
        JsonNode c = new ObjectMapper().readTree(new File("../contracts/event-records.json"));
        assertEquals(c.get("type").asText(), EventSerde.PACKED_TYPE);
        assertTrue(c.get("records").size() >= 8);
        for (JsonNode r : c.get("records")) {
            String name = r.get("name").asText();
            List<Event> got = EventSerde.parseRecord(r.get("value").asText());
            List<Event> events = got.stream().filter(Event::isEvent).toList();
            assertEquals(name, r.get("ticks").asInt(), got.stream().filter(Event::isTick).count());
            assertEquals(name, r.get("invalid").asInt(), got.stream().filter(e -> e.kind() == Event.Kind.INVALID).count());
            assertEquals(name, r.get("events").size(), events.size());
            for (int i = 0; i < events.size(); i++) {
                JsonNode want = r.get("events").get(i);
                Event e = events.get(i);
                assertEquals(name, want.get("event_id").asText(), e.eventId());
                assertEquals(name, want.get("user_id").asText(), e.userId());
                assertEquals(name, want.get("emoji_type").asText(), e.emojiType());
                assertEquals(name, want.get("match_id").asText(), e.matchId());
                assertEquals(name, Instant.parse(want.get("received_at").asText()).toEpochMilli(), e.receivedAtMs());
                // the position in the record is the index among all of its elements
                assertEquals(name, want.get("position").asInt(), got.indexOf(e));
            }
        }
    }

    /** The partitions of the contract are Kafka's default partitioner's (the TypeScript side holds kafkajs' to them). */
    @Test
    public void partitionsOfTheContractAreKafkas() throws Exception {
        JsonNode c = new ObjectMapper().readTree(new File("../contracts/event-records.json"));
        for (JsonNode p : c.get("partitions")) {
            byte[] key = p.get("user_id").asText().getBytes(StandardCharsets.UTF_8);
            assertEquals(p.toString(), p.get("partition").asInt(), Utils.toPositive(Utils.murmur2(key)) % p.get("partitions").asInt());
        }
    }
}
