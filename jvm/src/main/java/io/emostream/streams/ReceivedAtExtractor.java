package io.emostream.streams;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

/**
 * Event time = `received_at` (the API server's clock), the same time Spark windows on. Kafka Streams calls
 * the extractor with the already-deserialized value, so the JSON is parsed once. An invalid record keeps
 * the partition time so it reaches the processor that counts and drops it (a negative timestamp would make
 * Kafka Streams drop it silently).
 */
public final class ReceivedAtExtractor implements TimestampExtractor {
    @Override
    public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
        if (record.value() instanceof Event e && e.receivedAtMs() >= 0) return e.receivedAtMs();
        if (partitionTime >= 0) return partitionTime;
        return Math.max(0L, record.timestamp());
    }
}
