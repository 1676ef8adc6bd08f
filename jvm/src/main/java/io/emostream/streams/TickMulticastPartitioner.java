package io.emostream.streams;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.processor.StreamPartitioner;

/**
 * Partitioner of the repartition topic: a tick goes to EVERY partition (multicast, Kafka Streams ≥ 3.4),
 * so that each downstream task's stream time advances on a quiet stream and its windows close; any other
 * record goes where the default partitioner would put its key (murmur2 of the UTF-8 key).
 */
final class TickMulticastPartitioner implements StreamPartitioner<String, String> {
    @Override
    public Optional<Set<Integer>> partitions(String topic, String key, String value, int numPartitions) {
        if (Topics.TICK_KEY.equals(key)) {
            Set<Integer> all = new HashSet<>(numPartitions * 2);
            for (int p = 0; p < numPartitions; p++) all.add(p);
            return Optional.of(all);
        }
        byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
        return Optional.of(Set.of(Utils.toPositive(Utils.murmur2(bytes)) % numPartitions));
    }
}
