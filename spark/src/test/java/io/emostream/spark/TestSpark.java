package io.emostream.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** One SparkSession for every test class in the Gradle test JVM (start-up is the slow part), plus helpers. */
final class TestSpark {
    static final ObjectMapper JSON = new ObjectMapper();
    private static SparkSession session;

    private TestSpark() {}

    static synchronized SparkSession session() {
        if (session == null) {
            session = SparkSession.builder()
                .master("local[2]")
                .appName("emostream-spark-tests")
                .config("spark.sql.session.timeZone", "UTC")
                .config("spark.sql.shuffle.partitions", "2")
                .config("spark.default.parallelism", "2")
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.streaming.noDataMicroBatches.enabled", "true")
                .config(Aggregations.CHECK_CORRECTNESS, "false") // as the Job sets it
                .config(Aggregations.STATE_STORE_PROVIDER, Aggregations.ROCKSDB_PROVIDER)
                .config(Aggregations.ROCKSDB_CHANGELOG, "true")
                .config("spark.sql.codegen.factoryMode", "NO_CODEGEN") // as the Job sets it: expressions interpreted (no whole-stage code either)
                .getOrCreate();
        }
        return session;
    }

    static JsonNode contract(String name) throws IOException {
        return JSON.readTree(new File("../contracts/" + name));
    }

    static final StructType RAW = new StructType()
        .add("value", DataTypes.StringType, true)
        .add("partition", DataTypes.IntegerType, true)
        .add("offset", DataTypes.LongType, true);

    /** A static frame shaped like the Kafka source (value as text, partition, offset). */
    static Dataset<Row> raw(List<String> values) {
        List<Row> rows = new ArrayList<>(values.size());
        for (int i = 0; i < values.size(); i++) rows.add(RowFactory.create(values.get(i), i % 6, (long) i));
        return session().createDataFrame(rows, RAW);
    }

    private static long seq;

    static String event(String matchId, String emoji, long receivedAtMs) {
        seq++;
        return event(matchId, emoji, receivedAtMs, "u-" + (seq % 97), "e-" + seq);
    }

    /** An event with the given ids (a client's retry repeats both; the API stamps a new received_at). */
    static String event(String matchId, String emoji, long receivedAtMs, String userId, String eventId) {
        return String.format(
            "{\"event_id\":\"%s\",\"user_id\":\"%s\",\"emoji_type\":\"%s\",\"timestamp\":\"%s\",\"match_id\":\"%s\",\"received_at\":\"%s\"}",
            eventId, userId, emoji, WindowFormat.iso(receivedAtMs - 15), matchId, WindowFormat.iso(receivedAtMs));
    }

    static String tick(long receivedAtMs) {
        return "{\"type\":\"tick\",\"received_at\":\"" + WindowFormat.iso(receivedAtMs) + "\"}";
    }

    /** A tick written by an API instance (contracts/ticks.json). */
    static String tick(long receivedAtMs, String instance) {
        return "{\"type\":\"tick\",\"received_at\":\"" + WindowFormat.iso(receivedAtMs) + "\",\"instance\":\"" + instance + "\"}";
    }
}
