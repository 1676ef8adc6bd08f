// kafkajs client construction and topic set-up. Topic names come from Config (defaults in
// contracts/topics.json); nothing here reads the environment.
import { Kafka, logLevel, type Admin, type ITopicConfig } from 'kafkajs';
import { bootstrapServers, type Config } from '../config.ts';

export function createKafka(config: Config, clientSuffix = 'api'): Kafka {
  return new Kafka({
    clientId: `${config.kafka.clientId}-${clientSuffix}`,
    brokers: bootstrapServers(config),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 },
  });
}

/** Every topic the platform uses, with its partition count. */
export function topicSpecs(config: Config): ITopicConfig[] {
  const t = config.topics;
  return [
    { topic: t.events, numPartitions: t.eventsPartitions, replicationFactor: -1 },
    { topic: t.windows, numPartitions: 1, replicationFactor: -1 },
    { topic: t.exact, numPartitions: 1, replicationFactor: -1 },
    { topic: t.metrics, numPartitions: 1, replicationFactor: -1 },
    { topic: t.moments, numPartitions: 1, replicationFactor: -1 },
  ];
}

/** Create missing topics; existing ones are left as they are (idempotent). Returns the names created. */
export async function ensureTopics(admin: Admin, config: Config): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = topicSpecs(config).filter((s) => !existing.has(s.topic));
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
