// kafkajs client construction and topic set-up. Topic names come from Config (defaults in
// contracts/topics.json); nothing here reads the environment.
import './kafkajs-grouping.ts'; // first: replaces kafkajs' quadratic per-partition grouping before kafkajs loads
import './kafkajs-idle.ts'; // kafkajs' 1 ms pending-request check loop on every idle connection, fixed
import './kafkajs-record.ts'; // kafkajs' record encoder and batch CRC-32C, the same bytes without a Buffer per varint
import './kafkajs-produce.ts'; // kafkajs' produce request and request frame, the same bytes in one Buffer
import { Kafka, logLevel, type Admin, type ConfigResourceTypes, type ITopicConfig } from 'kafkajs';

// kafkajs's ConfigResourceTypes.TOPIC. Its CommonJS index builds module.exports in a way Node's ESM loader
// cannot see through (only the first few names are importable by name), so `npm start` failed to load
// `import { ConfigResourceTypes }`; the value is fixed by the Kafka protocol (DescribeConfigs resource type).
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;
import { bootstrapServers, type Config } from '../config.ts';
import { kafkajsSecurity } from './security.ts';

export function createKafka(config: Config, clientSuffix = 'api'): Kafka {
  return new Kafka({
    clientId: `${config.kafka.clientId}-${clientSuffix}`,
    brokers: bootstrapServers(config),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 },
    // KAFKA_SECURITY_PROTOCOL and companions: TLS and SASL (nothing for PLAINTEXT)
    ...kafkajsSecurity(config.kafka.security),
  });
}

/** Replicas per partition and min.insync.replicas for the platform's topics, as decided for this cluster. */
export interface TopicDurability {
  replicationFactor: number;
  minInsyncReplicas: number;
}

/**
 * Resolve TOPIC_REPLICATION_FACTOR / TOPIC_MIN_INSYNC_REPLICAS for a cluster of `brokerCount` brokers:
 * `auto` is min(3, brokers) replicas and replicas - 1 (at least 1) in sync; explicit values are kept (a
 * cluster too small for them makes topic creation fail, as it should).
 */
export function topicDurability(config: Pick<Config, 'topics'>, brokerCount: number): TopicDurability {
  const { replicationFactor: rf, minInsyncReplicas: isr } = config.topics;
  const replicationFactor = rf === 'auto' ? Math.max(1, Math.min(3, brokerCount)) : rf;
  const minInsyncReplicas = isr === 'auto' ? Math.max(1, replicationFactor - 1) : isr;
  return { replicationFactor, minInsyncReplicas };
}

/** What a 202 then guarantees, in one sentence (logged at start-up; the README says the same). */
export function durabilityStatement(d: TopicDurability, embedded: boolean): string {
  const copies = `${d.minInsyncReplicas} broker${d.minInsyncReplicas > 1 ? 's' : ''}`;
  if (embedded || d.replicationFactor === 1) {
    return `topics: 1 replica: a 202 means the one broker wrote the event to its log (it survives the broker process being killed, not the loss of its disk or an OS crash before the page cache is flushed)`;
  }
  return `topics: ${d.replicationFactor} replicas, min.insync.replicas ${d.minInsyncReplicas}: a 202 means at least ${copies} hold the event (acks=all); fewer in-sync replicas refuse writes (503)`;
}

/** Every topic the platform uses, with its partition count and durability. */
export function topicSpecs(config: Config, d: TopicDurability = topicDurability(config, 1)): ITopicConfig[] {
  const t = config.topics;
  const spec = (topic: string, numPartitions: number, extra: { name: string; value: string }[] = []): ITopicConfig => ({
    topic,
    numPartitions,
    replicationFactor: d.replicationFactor,
    configEntries: [{ name: 'min.insync.replicas', value: String(d.minInsyncReplicas) }, ...extra],
  });
  return [
    spec(t.events, t.eventsPartitions),
    spec(t.windows, 1),
    spec(t.exact, 1),
    spec(t.metrics, 1),
    spec(t.moments, 1),
    spec(t.live, 1),
    // the match lifecycle log: the latest record per match_id is all that matters (README "Matches")
    spec(t.matches, 1, [{ name: 'cleanup.policy', value: 'compact' }]),
    // the control topic (subscription deletes, instance heartbeats) keeps a delete as long as a token lives
    spec(t.control, 1, [{ name: 'retention.ms', value: String(config.deployment.streamTokenTtlMs) }]),
  ];
}

/** Decide the durability of the platform's topics for the cluster `admin` talks to. */
export async function clusterTopicDurability(admin: Admin, config: Config): Promise<TopicDurability> {
  const brokers = config.kafka.brokers ? (await admin.describeCluster()).brokers.length : 1;
  const d = topicDurability(config, brokers);
  if (d.minInsyncReplicas > d.replicationFactor) {
    throw new Error(
      `TOPIC_MIN_INSYNC_REPLICAS (${d.minInsyncReplicas}) exceeds the replication factor (${d.replicationFactor}) on this cluster of ${brokers} broker(s): no write could be acknowledged`,
    );
  }
  return d;
}

/**
 * The durability `topic` really has (it may predate the configuration: existing topics are never altered):
 * the fewest replicas of any partition, and its min.insync.replicas.
 */
export async function actualTopicDurability(admin: Admin, topic: string): Promise<TopicDurability & { explicitMinInsync: boolean }> {
  const md = await admin.fetchTopicMetadata({ topics: [topic] });
  const replicationFactor = Math.min(...md.topics[0]!.partitions.map((p) => p.replicas.length));
  const cfg = await admin.describeConfigs({
    resources: [{ type: TOPIC_RESOURCE, name: topic, configNames: ['min.insync.replicas'] }],
    includeSynonyms: false,
  });
  const entry = cfg.resources[0]?.configEntries.find((e) => e.configName === 'min.insync.replicas');
  return { replicationFactor, minInsyncReplicas: Number(entry?.configValue ?? 1), explicitMinInsync: entry ? !entry.isDefault : false };
}

/**
 * Create missing topics with the configured durability; existing ones are left as they are (idempotent).
 * Returns the names created.
 */
export async function ensureTopics(admin: Admin, config: Config): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const durability = await clusterTopicDurability(admin, config);
  const missing = topicSpecs(config, durability).filter((s) => !existing.has(s.topic));
  if (missing.length === 0) return [];
  try {
    await admin.createTopics({ topics: missing, waitForLeaders: true });
  } catch (err) {
    // Another instance may have created them between list and create.
    if (!(err instanceof Error && /already exists/i.test(err.message))) throw err;
  }
  return missing.map((m) => m.topic);
}

/** True when every platform topic exists (used by /readyz). */
export async function topicsPresent(admin: Admin, config: Config): Promise<boolean> {
  const existing = new Set(await admin.listTopics());
  return topicSpecs(config).every((s) => existing.has(s.topic));
}
