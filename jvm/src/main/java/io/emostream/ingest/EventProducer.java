package io.emostream.ingest;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The ingest write path's Kafka producer inside the API process (java-bridge): the Java KafkaProducer,
 * idempotent with acks=all, which pipelines up to five requests per broker and encodes records off the
 * Node event loop (kafkajs serializes idempotent sends per broker and encodes on the event loop).
 *
 * TypeScript (src/kafka/java-sender.ts) hands over one group-commit batch per call, {@link #send}, as UTF-8
 * lines {@code partition TAB key TAB value LF} (partition -1: the default partitioner, murmur2 of the key,
 * the same partition kafkajs' default partitioner picks; keys are printable and JSON values hold no raw TAB
 * or LF). The UTF-8 bytes travel as a Latin-1 string, one char per byte: java-bridge mangles non-BMP
 * characters (emojis) in strings, and converts a Buffer to byte[] element by element (~25x slower). A
 * thread of this class parses the batch and calls KafkaProducer.send (which serializes on its caller's
 * thread), so the Node event loop only pays for the string crossing the bridge. Once every record
 * of the batch is acknowledged, or the first fails, the batch id is queued for {@link #takeSettled}, which
 * JavaScript polls. Nothing here calls back into JavaScript.
 */
public final class EventProducer {
    private final KafkaProducer<byte[], byte[]> producer;
    private final String topic;
    private static final Object[] STOP = new Object[0];
    private final LinkedBlockingQueue<String> settled = new LinkedBlockingQueue<>();
    private final LinkedBlockingQueue<Object[]> toSend = new LinkedBlockingQueue<>();
    private final Thread sender;
    private final AtomicLong sentRecords = new AtomicLong();
    private final AtomicLong settledBatches = new AtomicLong();
    private final AtomicLong settleNanos = new AtomicLong();
    private volatile boolean closed;

    /**
     * @param bootstrap comma-separated bootstrap servers
     * @param requestTimeoutMs a request the broker does not answer within this fails (and is retried while
     *     deliveryTimeoutMs allows)
     * @param deliveryTimeoutMs a record not acknowledged within this fails its batch
     * @param maxBlockMs how long {@link #send} may block the caller (metadata, a full buffer)
     * @param extra more producer settings, {@code key=value} lines (lingering, batch size, compression)
     */
    public EventProducer(String bootstrap, String clientId, String topic, int requestTimeoutMs, int deliveryTimeoutMs, int maxBlockMs, long bufferBytes, String extra) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0"); // the batcher in front already groups
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(256 * 1024));
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Integer.toString(requestTimeoutMs));
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Integer.toString(Math.max(deliveryTimeoutMs, requestTimeoutMs)));
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Integer.toString(maxBlockMs));
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(bufferBytes));
        p.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "1000");
        for (String line : extra.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) p.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
        }
        this.topic = topic;
        this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        this.sender = new Thread(this::sendLoop, "emostream-ingest-send");
        sender.setDaemon(true);
        sender.start();
    }

    /**
     * Fetch the topic's metadata now, retrying for up to timeoutMs (a send would otherwise block on it, and
     * fail after maxBlockMs). Returns the partition count, or -1 if the broker did not answer in time.
     * Call asynchronously.
     */
    public int awaitMetadata(int timeoutMs) {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (!closed) {
            try {
                return producer.partitionsFor(topic).size();
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                if (System.currentTimeMillis() >= deadline) return -1;
            }
        }
        return -1;
    }

    /**
     * Queue one batch and return at once: a thread of this producer parses it and hands its records to the
     * KafkaProducer, in the order of the calls (KafkaProducer.send serializes and appends on its caller's
     * thread, and may block up to maxBlockMs: neither happens on the Node event loop). A record the producer
     * refuses fails the whole batch, like a broker error.
     */
    public void send(int id, String lines) {
        if (closed) throw new IllegalStateException("the producer is closed");
        toSend.add(new Object[] {id, lines});
    }

    private void sendLoop() {
        while (true) {
            Object[] job;
            try {
                job = toSend.take();
            } catch (InterruptedException e) {
                return;
            }
            if (job == STOP) return;
            int id = (Integer) job[0];
            List<ProducerRecord<byte[], byte[]>> records;
            try {
                records = parse(((String) job[1]).getBytes(StandardCharsets.ISO_8859_1));
            } catch (RuntimeException e) {
                new Batch(id, 1).onCompletion(null, e);
                continue;
            }
            Batch batch = new Batch(id, records.size());
            for (ProducerRecord<byte[], byte[]> r : records) {
                try {
                    producer.send(r, batch);
                } catch (RuntimeException e) {
                    batch.onCompletion(null, e);
                    break;
                }
            }
            sentRecords.addAndGet(records.size());
        }
    }

    /**
     * The batches settled since the last call, one per line ({@code id} or {@code id TAB error}); empty when
     * none. Cheap and non-blocking: JavaScript polls it while batches are pending (a Java thread calling into
     * JavaScript would block on a busy event loop, and async bridge calls leak).
     */
    public String takeSettled() {
        List<String> drained = new ArrayList<>();
        settled.drainTo(drained);
        if (drained.isEmpty()) return "";
        StringBuilder sb = new StringBuilder();
        for (String s : drained) sb.append(s).append('\n');
        return sb.toString();
    }

    /** Counters since start, JSON: records sent, batches settled and their mean time from send to settled. */
    public String stats() {
        long b = settledBatches.get();
        return "{\"records\":" + sentRecords.get() + ",\"batches\":" + b + ",\"meanSettleMs\":" + (b == 0 ? 0 : settleNanos.get() / b / 1_000_000.0) + "}";
    }

    /** Records accepted into the buffer since start. */
    public long sentRecords() {
        return sentRecords.get();
    }

    /**
     * Close: wait up to timeoutMs for what is buffered (0: fail it now); every batch is then settled (read them
     * with takeSettled). Call asynchronously.
     */
    public void close(int timeoutMs) throws InterruptedException {
        if (closed) return;
        closed = true;
        toSend.add(STOP); // what was queued before is still handed to the producer
        sender.join(Math.max(1000, timeoutMs));
        producer.close(Duration.ofMillis(timeoutMs));
    }

    private List<ProducerRecord<byte[], byte[]>> parse(byte[] b) {
        List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>();
        int i = 0;
        int n = b.length;
        while (i < n) {
            int t1 = indexOf(b, (byte) '\t', i, n);
            int t2 = indexOf(b, (byte) '\t', t1 + 1, n);
            int end = indexOf(b, (byte) '\n', t2 + 1, n);
            if (t1 < 0 || t2 < 0 || end < 0) throw new IllegalArgumentException("malformed batch at byte " + i);
            int partition = Integer.parseInt(new String(b, i, t1 - i, StandardCharsets.US_ASCII));
            byte[] key = java.util.Arrays.copyOfRange(b, t1 + 1, t2);
            byte[] value = java.util.Arrays.copyOfRange(b, t2 + 1, end);
            out.add(new ProducerRecord<>(topic, partition < 0 ? null : partition, key, value));
            i = end + 1;
        }
        return out;
    }

    private static int indexOf(byte[] b, byte c, int from, int to) {
        if (from < 0) return -1;
        for (int i = from; i < to; i++) if (b[i] == c) return i;
        return -1;
    }

    /** One batch: settled on its last acknowledgement or its first failure. */
    private final class Batch implements Callback {
        private final int id;
        private final AtomicInteger left;
        private volatile boolean done;
        private final long t0 = System.nanoTime();

        Batch(int id, int records) {
            this.id = id;
            this.left = new AtomicInteger(records);
            if (records == 0) settle(null);
        }

        @Override
        public void onCompletion(org.apache.kafka.clients.producer.RecordMetadata md, Exception e) {
            if (e != null) settle(e);
            else if (left.decrementAndGet() == 0) settle(null);
        }

        private synchronized void settle(Exception e) {
            if (done) return;
            done = true;
            settledBatches.incrementAndGet();
            settleNanos.addAndGet(System.nanoTime() - t0);
            // ASCII only (java-bridge): the message is diagnostic
            String msg = e == null ? null : (e.getClass().getSimpleName() + ": " + e.getMessage()).replaceAll("[^\\x20-\\x7e]", "?");
            settled.add(e == null ? Integer.toString(id) : id + "\t" + msg);
        }
    }
}
