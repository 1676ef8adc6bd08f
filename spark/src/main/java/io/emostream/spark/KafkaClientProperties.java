package io.emostream.spark;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Collections;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Kafka client settings every Kafka client of the job adds to its own (security.protocol, sasl.*, ssl.*): the
 * Kafka source (as {@code kafka.}-prefixed options) and the window and metrics producers. They come from the
 * properties file named by the system property {@value #PROPERTY}, which the launcher (src/spark/job.ts) writes
 * readable by its owner only (it may hold a SASL password); none when the property is unset (PLAINTEXT).
 */
public final class KafkaClientProperties {
    public static final String PROPERTY = "emostream.kafka.properties";

    private KafkaClientProperties() {}

    /** The settings of the file named by {@value #PROPERTY}, sorted by key; empty when the property is unset. */
    public static Map<String, String> load() {
        String file = System.getProperty(PROPERTY);
        if (file == null || file.isEmpty()) return Collections.emptyMap();
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(Paths.get(file))) {
            p.load(in);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the Kafka client properties " + file + ": " + e, e);
        }
        Map<String, String> m = new TreeMap<>();
        for (String k : p.stringPropertyNames()) m.put(k, p.getProperty(k));
        return Collections.unmodifiableMap(m);
    }
}
