package io.emostream.streams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.streams.StreamsConfig;

/**
 * How this Kafka Streams instance joins the deployment, beside the topology's own settings (ExactCountsConfig),
 * read from the same JSON the TypeScript side sends (src/streams/bridge.ts topologyConfig):
 * <ul>
 * <li>applicationServer: host:port of this instance's internal listener (application.server), through which
 * peers ask it for the keys it holds; null = a single instance that answers everything from its own stores;</li>
 * <li>standbyReplicas: num.standby.replicas;</li>
 * <li>securityProtocol, saslMechanism, saslUsername, saslPassword, sslCaFile, sslCertFile, sslKeyFile: the
 * KAFKA_SECURITY_PROTOCOL… keys every Kafka client of the platform shares (validated by src/config.ts).</li>
 * </ul>
 * Pure: turns the settings into client properties; nothing here connects.
 */
public record KafkaClientSettings(
        String applicationServer,
        int standbyReplicas,
        String securityProtocol,
        String saslMechanism,
        String saslUsername,
        String saslPassword,
        String sslCaFile,
        String sslCertFile,
        String sslKeyFile) {

    public static KafkaClientSettings defaults() {
        return new KafkaClientSettings(null, 0, "PLAINTEXT", null, null, null, null, null, null);
    }

    public static KafkaClientSettings fromJson(String json) {
        JsonNode n;
        try {
            n = new ObjectMapper().readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("exact-counts config is not JSON: " + e.getMessage());
        }
        JsonNode sb = n.get("standbyReplicas");
        if (sb != null && !sb.isNull() && !sb.canConvertToInt()) throw new IllegalArgumentException("exact-counts config: standbyReplicas must be a number");
        String protocol = str(n, "securityProtocol");
        return new KafkaClientSettings(str(n, "applicationServer"), sb == null || sb.isNull() ? 0 : sb.asInt(),
                protocol == null ? "PLAINTEXT" : protocol, str(n, "saslMechanism"), str(n, "saslUsername"),
                str(n, "saslPassword"), str(n, "sslCaFile"), str(n, "sslCertFile"), str(n, "sslKeyFile"));
    }

    public boolean sasl() {
        return securityProtocol.startsWith("SASL_");
    }

    public boolean tls() {
        return securityProtocol.equals("SSL") || securityProtocol.equals("SASL_SSL");
    }

    /**
     * security.protocol, SASL (a JAAS line for PLAIN or SCRAM) and TLS (PEM trust store and, for mutual TLS,
     * the PEM certificate chain and key read from their files): for every client Kafka Streams makes and for
     * the facade's admin client.
     */
    public Properties securityProperties() {
        Properties p = new Properties();
        p.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, securityProtocol);
        if (sasl()) {
            if (saslUsername == null || saslPassword == null) throw new IllegalArgumentException("SASL needs a username and a password");
            String mechanism = saslMechanism == null ? "PLAIN" : saslMechanism;
            String module = switch (mechanism) {
                case "PLAIN" -> "org.apache.kafka.common.security.plain.PlainLoginModule";
                case "SCRAM-SHA-256", "SCRAM-SHA-512" -> "org.apache.kafka.common.security.scram.ScramLoginModule";
                default -> throw new IllegalArgumentException("unsupported SASL mechanism " + mechanism);
            };
            p.put(SaslConfigs.SASL_MECHANISM, mechanism);
            p.put(SaslConfigs.SASL_JAAS_CONFIG, module + " required username=\"" + jaasEscape(saslUsername)
                    + "\" password=\"" + jaasEscape(saslPassword) + "\";");
        }
        if (tls()) {
            if (sslCaFile != null) {
                p.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PEM");
                p.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, sslCaFile);
            }
            if ((sslCertFile == null) != (sslKeyFile == null)) throw new IllegalArgumentException("mutual TLS needs both a certificate and a key file");
            if (sslCertFile != null) {
                p.put(SslConfigs.SSL_KEYSTORE_TYPE_CONFIG, "PEM");
                p.put(SslConfigs.SSL_KEYSTORE_CERTIFICATE_CHAIN_CONFIG, read(sslCertFile));
                p.put(SslConfigs.SSL_KEYSTORE_KEY_CONFIG, read(sslKeyFile));
            }
        }
        return p;
    }

    /** Everything above plus application.server and num.standby.replicas, for KafkaStreams. */
    public Properties streamsProperties() {
        Properties p = securityProperties();
        if (applicationServer != null) p.put(StreamsConfig.APPLICATION_SERVER_CONFIG, applicationServer);
        p.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, standbyReplicas);
        return p;
    }

    /** Inside a JAAS double-quoted value a backslash and a double quote are escaped with a backslash. */
    static String jaasEscape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    private static String read(String file) {
        try {
            return Files.readString(Path.of(file), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static String str(JsonNode n, String k) {
        JsonNode v = n.get(k);
        return v == null || v.isNull() ? null : v.asText();
    }
}
