package io.emostream.streams;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
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
        assertEquals(Event.Kind.INVALID, EventSerde.deserializer().deserialize("t", "{\"a\":".getBytes(StandardCharsets.UTF_8)).kind());
    }
}
