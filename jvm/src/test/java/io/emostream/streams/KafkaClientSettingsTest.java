package io.emostream.streams;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.security.JaasContext;
import org.apache.kafka.common.config.types.Password;
import java.util.Map;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.Test;

public class KafkaClientSettingsTest {
    @Test
    public void plaintextByDefaultWithApplicationServerAndStandbys() {
        KafkaClientSettings s = KafkaClientSettings.fromJson("{\"applicationServer\":\"10.0.0.7:9101\",\"standbyReplicas\":1}");
        Properties p = s.streamsProperties();
        assertEquals("PLAINTEXT", p.get("security.protocol"));
        assertEquals("10.0.0.7:9101", p.get(StreamsConfig.APPLICATION_SERVER_CONFIG));
        assertEquals(1, p.get(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG));
        assertFalse(p.containsKey(SaslConfigs.SASL_JAAS_CONFIG));
        assertNull(KafkaClientSettings.fromJson("{}").streamsProperties().get(StreamsConfig.APPLICATION_SERVER_CONFIG));
    }

    @Test
    public void saslScramOverTlsWithACaFileParsesAsKafkaReadsIt() throws Exception {
        Path ca = Files.createTempFile("ca", ".pem");
        try {
            KafkaClientSettings s = KafkaClientSettings.fromJson("{\"securityProtocol\":\"SASL_SSL\",\"saslMechanism\":\"SCRAM-SHA-512\","
                    + "\"saslUsername\":\"emo\",\"saslPassword\":\"p\\\"w\\\\x\",\"sslCaFile\":\"" + ca + "\"}");
            Properties p = s.securityProperties();
            assertEquals("SASL_SSL", p.get("security.protocol"));
            assertEquals("SCRAM-SHA-512", p.get(SaslConfigs.SASL_MECHANISM));
            assertEquals("PEM", p.get(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG));
            assertEquals(ca.toString(), p.get(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG));
            // Kafka's own JAAS parser reads back the module, the user and the password with its quote and backslash
            JaasContext ctx = JaasContext.loadClientContext(Map.of(SaslConfigs.SASL_JAAS_CONFIG,
                    new Password((String) p.get(SaslConfigs.SASL_JAAS_CONFIG))));
            var entry = ctx.configurationEntries().get(0);
            assertEquals("org.apache.kafka.common.security.scram.ScramLoginModule", entry.getLoginModuleName());
            assertEquals("emo", entry.getOptions().get("username"));
            assertEquals("p\"w\\x", entry.getOptions().get("password"));
        } finally {
            Files.deleteIfExists(ca);
        }
    }

    @Test
    public void mutualTlsReadsTheCertificateAndKeyFiles() throws Exception {
        Path cert = Files.createTempFile("cert", ".pem");
        Path key = Files.createTempFile("key", ".pem");
        try {
            Files.writeString(cert, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
            Files.writeString(key, "-----BEGIN PRIVATE KEY-----\nBBBB\n-----END PRIVATE KEY-----\n");
            Properties p = KafkaClientSettings.fromJson("{\"securityProtocol\":\"SSL\",\"sslCertFile\":\"" + cert + "\",\"sslKeyFile\":\"" + key + "\"}")
                    .securityProperties();
            assertEquals("PEM", p.get(SslConfigs.SSL_KEYSTORE_TYPE_CONFIG));
            assertEquals(Files.readString(cert), p.get(SslConfigs.SSL_KEYSTORE_CERTIFICATE_CHAIN_CONFIG));
            assertEquals(Files.readString(key), p.get(SslConfigs.SSL_KEYSTORE_KEY_CONFIG));
            assertFalse(p.containsKey(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG)); // no CA file: the JVM's trust store
            assertFalse(p.containsKey(SaslConfigs.SASL_MECHANISM));
        } finally {
            Files.deleteIfExists(cert);
            Files.deleteIfExists(key);
        }
    }

    @Test
    public void refusesIncompleteSettings() {
        assertThrows(IllegalArgumentException.class, () -> KafkaClientSettings.fromJson("{\"securityProtocol\":\"SASL_PLAINTEXT\"}").securityProperties());
        assertThrows(IllegalArgumentException.class, () -> KafkaClientSettings.fromJson("{\"securityProtocol\":\"SSL\",\"sslCertFile\":\"/x\"}").securityProperties());
        assertThrows(IllegalArgumentException.class, () -> KafkaClientSettings.fromJson(
                "{\"securityProtocol\":\"SASL_PLAINTEXT\",\"saslMechanism\":\"GSSAPI\",\"saslUsername\":\"u\",\"saslPassword\":\"p\"}").securityProperties());
    }
}
