package io.emostream.streams;

/**
 * One record of the events topic after parsing: an emoji event, a tick (a clock, otherwise ignored) or an
 * invalid record (counted and skipped). Parsing never throws; see EventSerde.
 */
public record Event(Kind kind, String eventId, String userId, String emojiType, String matchId, long receivedAtMs, String reason) {
    public enum Kind { EVENT, TICK, INVALID }

    public static Event event(String eventId, String userId, String emojiType, String matchId, long receivedAtMs) {
        return new Event(Kind.EVENT, eventId, userId, emojiType, matchId, receivedAtMs, null);
    }

    public static Event tick(long receivedAtMs) {
        return new Event(Kind.TICK, null, null, null, null, receivedAtMs, null);
    }

    public static Event invalid(String reason) {
        return new Event(Kind.INVALID, null, null, null, null, -1L, reason);
    }

    public boolean isEvent() { return kind == Kind.EVENT; }
    public boolean isTick() { return kind == Kind.TICK; }
}
