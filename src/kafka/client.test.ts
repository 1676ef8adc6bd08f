import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import { durabilityStatement, topicDurability, topicSpecs } from './client.ts';

describe('topic durability', () => {
  it('auto: min(3, brokers) replicas and one fewer in sync (at least 1)', () => {
    const c = loadConfig({ KAFKA_BROKERS: 'k1:9092' });
    expect(topicDurability(c, 1)).toEqual({ replicationFactor: 1, minInsyncReplicas: 1 });
    expect(topicDurability(c, 2)).toEqual({ replicationFactor: 2, minInsyncReplicas: 1 });
    expect(topicDurability(c, 5)).toEqual({ replicationFactor: 3, minInsyncReplicas: 2 });
  });

  it('explicit values are kept, and every platform topic gets them', () => {
    const c = loadConfig({ KAFKA_BROKERS: 'k1:9092', TOPIC_REPLICATION_FACTOR: '5', TOPIC_MIN_INSYNC_REPLICAS: '3' });
    const d = topicDurability(c, 3);
    expect(d).toEqual({ replicationFactor: 5, minInsyncReplicas: 3 });
    const specs = topicSpecs(c, d);
    expect(specs.map((s) => s.topic)).toEqual(['emoji-events', 'emoji-windows', 'emoji-exact', 'emoji-metrics', 'emoji-moments', 'emoji-live', 'emoji-matches', 'emoji-control']);
    for (const s of specs) {
      expect(s.replicationFactor).toBe(5);
      expect(s.configEntries![0]).toEqual({ name: 'min.insync.replicas', value: '3' });
    }
    // the match lifecycle log keeps the latest record per match_id
    expect(specs.at(-2)!.configEntries).toContainEqual({ name: 'cleanup.policy', value: 'compact' });
    // the control topic keeps a subscription delete as long as a stream token can be used
    expect(specs.at(-1)!.configEntries).toContainEqual({ name: 'retention.ms', value: String(c.deployment.streamTokenTtlMs) });
  });

  it('refuses settings no write could satisfy, and more than one replica on the embedded broker', () => {
    expect(() => loadConfig({ KAFKA_BROKERS: 'k1:9092', TOPIC_REPLICATION_FACTOR: '2', TOPIC_MIN_INSYNC_REPLICAS: '3' })).toThrow(/TOPIC_MIN_INSYNC_REPLICAS/);
    expect(() => loadConfig({ TOPIC_REPLICATION_FACTOR: '3' })).toThrow(/TOPIC_REPLICATION_FACTOR.*single node/);
    expect(() => loadConfig({ TOPIC_REPLICATION_FACTOR: 'three' })).toThrow(/TOPIC_REPLICATION_FACTOR/);
  });

  it('says plainly what a 202 guarantees', () => {
    expect(durabilityStatement({ replicationFactor: 1, minInsyncReplicas: 1 }, true)).toMatch(/1 replica.*not the loss of its disk/);
    expect(durabilityStatement({ replicationFactor: 3, minInsyncReplicas: 2 }, false)).toMatch(/at least 2 brokers hold the event/);
  });
});
