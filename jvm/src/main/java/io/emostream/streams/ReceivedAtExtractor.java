package io.emostream.streams;

import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

/**
 * Event time = `received_at` (the API server's clock), the same time Spark windows on. Kafka Streams calls
 * the extractor with the already-deserialized value, so the JSON is parsed once. A packed record's time is its
 * first valid event's (the earliest: events are packed in admission order); {@link DedupProcessor} forwards
 * each event with its own. An invalid record keeps the partition time so it reaches the processor that counts
 * and drops it (a negative timestamp would make Kafka Streams drop it silently).
 */
public final class ReceivedAtExtractor implements TimestampExtractor {
    @Override
    public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
        if (record.value() instanceof List<?> events) {
            for (Object o : events) if (o instanceof Event e && e.receivedAtMs() >= 0) return e.receivedAtMs();
        }
        if (partitionTime >= 0) return partitionTime;
        return Math.max(0L, record.timestamp());
    }
}
