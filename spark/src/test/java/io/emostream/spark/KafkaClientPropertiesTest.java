package io.emostream.spark;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.After;
import org.junit.Test;

public class KafkaClientPropertiesTest {
    @After
    public void clear() {
        System.clearProperty(KafkaClientProperties.PROPERTY);
    }

    @Test
    public void noPropertyNoSettings() {
        System.clearProperty(KafkaClientProperties.PROPERTY);
        assertTrue(KafkaClientProperties.load().isEmpty());
    }

    /** The text src/kafka/security.ts propertiesText writes (security.test.ts holds that side) reads back as written. */
    @Test
    public void readsTheLaunchersEscapes() throws Exception {
        Path f = Files.createTempFile("kafka-client", ".properties");
        try {
            Files.write(f, ("security.protocol=SASL_SSL\n"
                + "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username\\=\"emo\" password\\=\"p\\\\\"w\";\n"
                + "ssl.keystore.certificate.chain=-----BEGIN CERTIFICATE-----\\nAB\\nCD\\n-----END CERTIFICATE-----\n"
                + "c\\ d=\\u00e9\\\\\n").getBytes(StandardCharsets.ISO_8859_1));
            System.setProperty(KafkaClientProperties.PROPERTY, f.toString());
            Map<String, String> m = KafkaClientProperties.load();
            assertEquals("SASL_SSL", m.get("security.protocol"));
            assertEquals("org.apache.kafka.common.security.scram.ScramLoginModule required username=\"emo\" password=\"p\\\"w\";", m.get("sasl.jaas.config"));
            assertEquals("-----BEGIN CERTIFICATE-----\nAB\nCD\n-----END CERTIFICATE-----", m.get("ssl.keystore.certificate.chain"));
            assertEquals("é\\", m.get("c d"));
            assertEquals(4, m.size());
        } finally {
            Files.deleteIfExists(f);
        }
    }
}
