package io.emostream.streams;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * First stage, on the source partitions (key = user_id; a packed record's events, in order): drops invalid records (counted), drops an event
 * whose (user_id, event_id) was seen within the retention period (counted), and re-keys what remains for the
 * aggregation: events → (match_id, "p|emoji_type"), ticks → (__tick__, "p|"), where p is the source
 * partition. The multicast partitioner sends every tick to every partition of the repartition topic, and p
 * lets the window stage track each source partition's clock separately (see WindowCountsProcessor).
 *
 * The dedup store is local to the source partition: a client retrying a POST with the same event_id sends
 * the same user_id, so both copies land on the same partition of the events topic (key = user_id). It is a
 * window store ((user_id, event_id) → first received_at) so old ids expire by segment without a scan. The key
 * holds the user because an event_id is the client's idempotency key, unique only per user: another user
 * sending the same id sends another event (the API's idempotency cache and the Spark job key it the same way).
 */
final class DedupProcessor implements Processor<String, List<Event>, String, String> {
    private final String storeName;
    private final long retentionMs;
    private final TopologyCounters counters;
    private ProcessorContext<String, String> context;
    private WindowStore<String, Long> seen;

    DedupProcessor(String storeName, Duration retention, TopologyCounters counters) {
        this.storeName = storeName;
        this.retentionMs = retention.toMillis();
        this.counters = counters;
    }

    @Override
    public void init(ProcessorContext<String, String> context) {
        this.context = context;
        this.seen = context.getStateStore(storeName);
    }

    /**
     * One record of the events topic: its events in order (one unless packed, see EventSerde), each forwarded
     * with its own received_at as its timestamp. Under exactly-once a record's events are processed, and their
     * results committed, together.
     */
    @Override
    public void process(Record<String, List<Event>> record) {
        counters.maybeFail(); // fault injection only (the fault suite); a no-op otherwise
        List<Event> events = record.value();
        if (events == null || events.isEmpty()) {
            counters.invalid.incrementAndGet();
            return;
        }
        for (Event e : events) process(record, e);
    }

    private void process(Record<String, List<Event>> record, Event e) {
        if (e == null || e.kind() == Event.Kind.INVALID) {
            counters.invalid.incrementAndGet();
            return;
        }
        long ts = e.receivedAtMs();
        counters.observe(ts);
        if (e.isTick()) {
            counters.ticks.incrementAndGet();
            context.forward(record.withKey(Topics.TICK_KEY).withValue(encode(sourcePartition(), "")).withTimestamp(ts));
            return;
        }
        String key = dedupKey(e);
        if (isDuplicate(key, ts)) {
            counters.duplicates.incrementAndGet();
            return;
        }
        seen.put(key, ts, ts);
        counters.events.incrementAndGet();
        context.forward(record.withKey(e.matchId()).withValue(encode(sourcePartition(), e.emojiType())).withTimestamp(ts));
    }

    private int sourcePartition() {
        return context.recordMetadata().map(m -> m.partition()).orElse(0);
    }

    /** Value on the repartition topic: "<source partition>|<emoji>" ("<p>|" for a tick). */
    static String encode(int partition, String emoji) {
        return partition + "|" + emoji;
    }

    static int partitionOf(String value) {
        int bar = value.indexOf('|');
        try {
            return bar > 0 ? Integer.parseInt(value.substring(0, bar)) : 0;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    static String emojiOf(String value) {
        int bar = value.indexOf('|');
        return bar >= 0 ? value.substring(bar + 1) : value;
    }

    /** user_id and event_id joined by a NUL (neither may contain one: the API accepts printable characters only). */
    static String dedupKey(Event e) {
        return e.userId() + '\u0000' + e.eventId();
    }

    private boolean isDuplicate(String eventId, long ts) {
        Instant from = Instant.ofEpochMilli(Math.max(0, ts - retentionMs));
        Instant to = Instant.ofEpochMilli(ts + retentionMs);
        try (WindowStoreIterator<Long> it = seen.fetch(eventId, from, to)) {
            return it.hasNext();
        }
    }
}
