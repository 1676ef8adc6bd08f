package io.emostream.streams;

import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.Stores;

/**
 * The exact-counts topology, pure: builds the Topology and its properties, never starts a client.
 *
 * <pre>
 * emoji-events (key user_id; events + ticks; time = received_at)
 *   └ dedup (store exact-dedup, per source partition) — invalid: counted, dropped; repeated event_id: dropped
 *       └ repartition "by-match" (key match_id, value "p|emoji" with p the source partition; ticks multicast)
 *           ├ 2 s tumbling windows per match (store exact-windows), each emitted once on close → emoji-exact
 *           │   └ moments: each closed window against the match's baseline (stores exact-moment-history,
 *           │     exact-moments) → emoji-moments
 *           └ running totals per match → store exact-totals (and the last event per match, store
 *             exact-match-activity): a match without an event for MATCH_TOTALS_RETENTION_MS is dropped from
 *             both and from exact-moment-history (TotalsProcessor), tombstoned in their compacted changelogs
 * </pre>
 *
 * Both stores are keyed by match_id and hold {emoji: n}, so "exact counts per (match_id, emoji_type)" for a
 * match is one store lookup. Ticks (key __tick__) reach every partition of the window stage and move the
 * clock of their source partition, so windows close on a quiet stream; they are never counted.
 */
public final class ExactCountsTopology {
    private ExactCountsTopology() {}

    public static Topology buildTopology(ExactCountsConfig cfg, TopologyCounters counters) {
        Serde<String> str = Serdes.String();
        Serde<Counts> counts = Counts.serde();
        StreamsBuilder b = new StreamsBuilder();

        b.addStateStore(Stores.windowStoreBuilder(
                Stores.persistentWindowStore(ExactCountsConfig.DEDUP_STORE, cfg.dedupRetention(), cfg.dedupRetention(), false),
                str, Serdes.Long()));

        KStream<String, String> byMatch = b
                .stream(cfg.eventsTopic(), Consumed.with(str, EventSerde.serde())
                        .withTimestampExtractor(new ReceivedAtExtractor())
                        .withName("events"))
                .process(() -> new DedupProcessor(ExactCountsConfig.DEDUP_STORE, cfg.dedupRetention(), counters),
                        Named.as("dedup"), ExactCountsConfig.DEDUP_STORE)
                .repartition(Repartitioned.<String, String>as(ExactCountsConfig.REPARTITION)
                        .withKeySerde(str).withValueSerde(str)
                        .withNumberOfPartitions(cfg.repartitionPartitions())
                        .withStreamPartitioner(new TickMulticastPartitioner()));

        // Exact counts per 2 s window; each window emitted once when every source partition's clock has
        // passed its end + grace (see WindowCountsProcessor for why not the DSL's windowed aggregation).
        if (cfg.sourcePartitions() < 1) throw new IllegalArgumentException("sourcePartitions must be >= 1");
        b.addStateStore(Stores.windowStoreBuilder(
                Stores.persistentWindowStore(ExactCountsConfig.WINDOWS_STORE, cfg.windowRetention(), cfg.window(), false),
                str, counts));
        b.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(ExactCountsConfig.PROGRESS_STORE), str, Serdes.Long()));
        KStream<String, String> closed = byMatch.process(() -> new WindowCountsProcessor(cfg, cfg.sourcePartitions(), counters),
                Named.as("windows"), ExactCountsConfig.WINDOWS_STORE, ExactCountsConfig.PROGRESS_STORE);
        closed.to(cfg.exactTopic(), Produced.with(str, str).withName("exact-out"));

        // Moments: each closed window (exact counts) against the match's own recent baseline (MomentRule).
        b.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(ExactCountsConfig.MOMENT_HISTORY_STORE), str, MomentHistory.serde()));
        b.addStateStore(Stores.windowStoreBuilder(
                Stores.persistentWindowStore(ExactCountsConfig.MOMENTS_STORE, cfg.momentsRetention(), cfg.window(), false),
                str, str));
        MomentRule rule = cfg.momentRule();
        closed.process(() -> new MomentsProcessor(rule, cfg.window().toMillis(), counters),
                        Named.as("moments"), ExactCountsConfig.MOMENT_HISTORY_STORE, ExactCountsConfig.MOMENTS_STORE)
                .to(cfg.momentsTopic(), Produced.with(str, str).withName("moments-out"));

        // Running totals per match (every counted event, including ones too late for their window), kept
        // until MATCH_TOTALS_RETENTION_MS after the match's last event. The store is what the DSL aggregate
        // built before (same name, timestamped, same serdes and changelog), so existing state carries over.
        b.addStateStore(Stores.timestampedKeyValueStoreBuilder(
                Stores.persistentTimestampedKeyValueStore(ExactCountsConfig.TOTALS_STORE), str, counts).withCachingEnabled());
        b.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(ExactCountsConfig.MATCH_ACTIVITY_STORE), str, Serdes.Long()));
        byMatch.filter((match, v) -> !Topics.TICK_KEY.equals(match), Named.as("counted"))
                .process(() -> new TotalsProcessor(cfg.matchTotalsRetention(), counters), Named.as("totals"),
                        ExactCountsConfig.TOTALS_STORE, ExactCountsConfig.MATCH_ACTIVITY_STORE,
                        ExactCountsConfig.MOMENT_HISTORY_STORE);

        return b.build();
    }

    /**
     * Kafka Streams settings: exactly-once processing; the internal topics (changelogs, the repartition topic)
     * with the configured replication factor and min.insync.replicas (1 and 1 for the embedded single broker).
     */
    public static Properties streamsProperties(ExactCountsConfig cfg) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, cfg.applicationId());
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, cfg.bootstrapServers());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        if (cfg.replicationFactor() < 1) throw new IllegalArgumentException("replicationFactor is not resolved (resolveReplication)");
        p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, cfg.replicationFactor());
        p.put(StreamsConfig.topicPrefix(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG), String.valueOf(cfg.minInsyncReplicas()));
        p.put(StreamsConfig.STATE_DIR_CONFIG, cfg.stateDir());
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, cfg.commitIntervalMs());
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
        p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 4L << 20);
        p.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedRocksDbConfig.class);
        p.put(BoundedRocksDbConfig.CACHE_BYTES, String.valueOf(cfg.rocksDbCacheBytes()));
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), cfg.autoOffsetReset());
        // After a crash (no close, no leave-group) the restarted API gets its partitions back this fast.
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 10_000);
        // Kafka Streams' consumer does not leave the group on close by default (KafkaStreams.CloseOptions
        // leaveGroup only acts for static members): a restarted API would wait a whole session timeout to join.
        p.put(StreamsConfig.mainConsumerPrefix("internal.leave.group.on.close"), true);
        return p;
    }
}
