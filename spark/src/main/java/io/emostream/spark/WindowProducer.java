package io.emostream.spark;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Writes live records to emoji-live and window records to emoji-windows from the driver. A micro-batch holds one
 * record per (match, window) that changed or closed in it — a handful — so sending them from the driver is cheaper
 * than a Kafka-sink Spark job per batch and lets the job log each window's lag. {@link #send} returns only when the
 * broker acknowledged every record, so a batch is committed only after its records are durable (at-least-once; a
 * replayed batch repeats the same window ids and sequence numbers).
 */
final class WindowProducer implements AutoCloseable {
    private final KafkaProducer<String, String> producer;
    private final String liveTopic;
    private final String windowsTopic;

    WindowProducer(String brokers, String liveTopic, String windowsTopic) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "emostream-spark-windows");
        p.putAll(KafkaClientProperties.load()); // TLS / SASL
        this.producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
        this.liveTopic = liveTopic;
        this.windowsTopic = windowsTopic;
    }

    /**
     * Send (key, value) live records and wait for their acknowledgements, then window records and wait for theirs.
     * A window closed on the driver's watermark may close in the batch of its last live record; viewers get the two
     * through two consumers (emoji-live, emoji-windows), so the live record is made durable first: its consumer gets
     * it a broker round trip before the window's can, and a viewer sees the last running counts before the closed
     * window (a live record that comes after its window is dropped by the broadcast).
     */
    void send(List<String[]> live, List<String[]> windows) throws ExecutionException, InterruptedException {
        sendAndWait(liveTopic, live);
        sendAndWait(windowsTopic, windows);
    }

    private void sendAndWait(String topic, List<String[]> records) throws ExecutionException, InterruptedException {
        if (records.isEmpty()) return;
        List<Future<RecordMetadata>> acks = new ArrayList<>(records.size());
        for (String[] kv : records) acks.add(producer.send(new ProducerRecord<>(topic, kv[0], kv[1])));
        producer.flush();
        for (Future<RecordMetadata> f : acks) f.get();
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
