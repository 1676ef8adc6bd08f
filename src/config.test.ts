import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, DEFAULT_PALETTE, bootstrapServers, loadConfig, moodTableSpec, parseMoodTable, readEnvironment } from './config.ts';
import { DEFAULT_MOOD_TABLE } from './mood.ts';

describe('loadConfig', () => {
  it('uses the default topic names of contracts/topics.json (shared with jvm/ and spark/)', () => {
    const t = JSON.parse(readFileSync(new URL('../contracts/topics.json', import.meta.url), 'utf8'));
    const c = loadConfig({});
    expect({ events: t.events, windows: t.windows, exact: t.exact, metrics: t.metrics, moments: t.moments, live: t.live }).toEqual({
      events: c.topics.events, windows: c.topics.windows, exact: c.topics.exact, metrics: c.topics.metrics, moments: c.topics.moments, live: c.topics.live,
    });
  });

  it("settles Kafka Streams' internal topic replication: 1 on the embedded broker, left to the cluster size otherwise", () => {
    expect(loadConfig({}).streams).toMatchObject({ replicationFactor: 1, minInsyncReplicas: 1 });
    expect(loadConfig({ KAFKA_BROKERS: 'k1:9092' }).streams).toMatchObject({ replicationFactor: null, minInsyncReplicas: null });
    expect(loadConfig({ KAFKA_BROKERS: 'k1:9092', TOPIC_REPLICATION_FACTOR: '2', TOPIC_MIN_INSYNC_REPLICAS: '1' }).streams)
      .toMatchObject({ replicationFactor: 2, minInsyncReplicas: 1 }); // follows the platform's topics
    expect(loadConfig({ KAFKA_BROKERS: 'k1:9092', STREAMS_REPLICATION_FACTOR: '3', STREAMS_MIN_INSYNC_REPLICAS: '2' }).streams)
      .toMatchObject({ replicationFactor: 3, minInsyncReplicas: 2 });
    expect(() => loadConfig({ KAFKA_BROKERS: 'k1:9092', STREAMS_REPLICATION_FACTOR: '2', STREAMS_MIN_INSYNC_REPLICAS: '3' })).toThrow(/STREAMS_MIN_INSYNC_REPLICAS/);
    expect(() => loadConfig({ STREAMS_REPLICATION_FACTOR: '0' })).toThrow(/STREAMS_REPLICATION_FACTOR/);
  });

  it('reads the Kafka security settings every client shares, refusing what a protocol does not use', () => {
    expect(loadConfig({}).kafka.security).toEqual({ protocol: 'PLAINTEXT', sasl: null, ssl: null });
    const dir = mkdtempSync(join(tmpdir(), 'emostream-tls-'));
    try {
      const ca = join(dir, 'ca.pem');
      writeFileSync(ca, '-----BEGIN CERTIFICATE-----\n');
      const ext = { KAFKA_BROKERS: 'k1:9093' };
      expect(loadConfig({ ...ext, KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', KAFKA_SASL_USERNAME: 'emo', KAFKA_SASL_PASSWORD: 'pw', KAFKA_SSL_CA_FILE: ca }).kafka.security)
        .toEqual({ protocol: 'SASL_SSL', sasl: { mechanism: 'SCRAM-SHA-512', username: 'emo', password: 'pw' }, ssl: { caFile: ca, certFile: null, keyFile: null } });
      expect(loadConfig({ ...ext, KAFKA_SECURITY_PROTOCOL: 'SSL' }).kafka.security).toEqual({ protocol: 'SSL', sasl: null, ssl: { caFile: null, certFile: null, keyFile: null } });
      expect(() => loadConfig({ KAFKA_SECURITY_PROTOCOL: 'SSL' })).toThrow(/KAFKA_SECURITY_PROTOCOL: the embedded broker/);
      expect(() => loadConfig({ ...ext, KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT', KAFKA_SASL_PASSWORD: 'pw' })).toThrow(/KAFKA_SASL_USERNAME: required/);
      expect(() => loadConfig({ ...ext, KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT', KAFKA_SASL_USERNAME: 'u' })).toThrow(/KAFKA_SASL_PASSWORD: required/);
      expect(() => loadConfig({ ...ext, KAFKA_SASL_USERNAME: 'u' })).toThrow(/KAFKA_SASL_USERNAME: only with/);
      expect(() => loadConfig({ ...ext, KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p', KAFKA_SSL_CA_FILE: ca })).toThrow(/KAFKA_SSL_CA_FILE: only with/);
      expect(() => loadConfig({ ...ext, KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CA_FILE: join(dir, 'missing.pem') })).toThrow(/KAFKA_SSL_CA_FILE: no such file/);
      expect(() => loadConfig({ ...ext, KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CERT_FILE: ca })).toThrow(/KAFKA_SSL_KEY_FILE: .*go together/);
      expect(() => loadConfig({ ...ext, KAFKA_SECURITY_PROTOCOL: 'TLS' })).toThrow(/KAFKA_SECURITY_PROTOCOL/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads the internal listener and the standby replicas (exact counts across instances)', () => {
    expect(loadConfig({}).internal).toEqual({ host: '127.0.0.1', port: 0, advertisedHost: '127.0.0.1', token: null, queryTimeoutMs: 2000 });
    expect(loadConfig({}).streams.standbyReplicas).toBe(1);
    expect(loadConfig({ INTERNAL_HOST: '0.0.0.0', INTERNAL_PORT: '9101', INTERNAL_ADVERTISED_HOST: 'api-2.internal', INTERNAL_TOKEN: 'x'.repeat(16) }).internal)
      .toMatchObject({ host: '0.0.0.0', port: 9101, advertisedHost: 'api-2.internal', token: 'x'.repeat(16) });
    expect(() => loadConfig({ INTERNAL_HOST: '0.0.0.0' })).toThrow(/INTERNAL_ADVERTISED_HOST: required/);
    expect(() => loadConfig({ PORT: '9000', INTERNAL_PORT: '9000' })).toThrow(/INTERNAL_PORT: must differ from PORT/);
    expect(() => loadConfig({ INTERNAL_TOKEN: 'short' })).toThrow(/INTERNAL_TOKEN/);
    expect(loadConfig({ STREAMS_STANDBY_REPLICAS: '0' }).streams.standbyReplicas).toBe(0);
  });

  it('validates the moment thresholds', () => {
    expect(loadConfig({}).moments).toEqual({ baselineWindows: 30, minHistory: 5, minScore: 5, minCount: 50, retentionMs: 86_400_000 });
    expect(loadConfig({ MOMENTS_MIN_SCORE: '3.5' }).moments.minScore).toBe(3.5);
    expect(() => loadConfig({ MOMENTS_MIN_HISTORY: '40' })).toThrow(/MOMENTS_MIN_HISTORY/);
    expect(() => loadConfig({ MOMENTS_MIN_SCORE: '0' })).toThrow(/MOMENTS_MIN_SCORE/);
  });

  it('has documented defaults', () => {
    const c = loadConfig({});
    expect(c.port).toBe(8080);
    expect(c.kafka.brokers).toBeNull();
    expect(bootstrapServers(c)).toEqual(['127.0.0.1:9092']);
    expect(c.topics).toEqual({ events: 'emoji-events', windows: 'emoji-windows', exact: 'emoji-exact', metrics: 'emoji-metrics', moments: 'emoji-moments', live: 'emoji-live', matches: 'emoji-matches', control: 'emoji-control', eventsPartitions: 6, replicationFactor: 'auto', minInsyncReplicas: 'auto' });
    expect(c.matches).toEqual({ policy: 'open', maxLive: 1000, idleMs: 600_000, totalsRetentionMs: 604_800_000 });
    expect(c.ingest.palette).toEqual(DEFAULT_PALETTE);
    expect(c.ingest.flushIntervalMs).toBe(500);
    expect(c.ingest.batchMaxEvents).toBe(20_000);
    expect(c.ingest.maxBatchEvents).toBe(1000);
    expect(c.windows).toEqual({ windowMs: 2000, scaleFactor: 1000, mood: DEFAULT_MOOD_TABLE });
    expect(c.broadcast.clusters).toBe(3);
    expect(c.broadcast.subscribersPerCluster).toBe(3);
  });

  it('reads the roles and the workers: every role by default, a bad role or a short token secret refused', () => {
    const d = loadConfig({}).deployment;
    expect([...d.roles]).toEqual(['ingest', 'broadcast', 'streams', 'spark']);
    expect(d).toMatchObject({ apiWorkers: 1, workerIndex: null, streamTokenSecret: null, streamTokenTtlMs: 43_200_000 });
    const w = loadConfig({ ROLES: 'broadcast, streams', API_WORKERS: '3', API_WORKER_INDEX: '2', STREAM_TOKEN_SECRET: 'x'.repeat(16) }).deployment;
    expect([...w.roles]).toEqual(['broadcast', 'streams']);
    expect(w).toMatchObject({ apiWorkers: 3, workerIndex: 2, streamTokenSecret: 'x'.repeat(16) });
    expect(() => loadConfig({ ROLES: 'ingest,web' })).toThrow(/ROLES: "web" is not a role/);
    expect(() => loadConfig({ ROLES: ' , ' })).toThrow(/ROLES/);
    expect(() => loadConfig({ API_WORKERS: '0' })).toThrow(/API_WORKERS/);
    expect(() => loadConfig({ STREAM_TOKEN_SECRET: 'short' })).toThrow(/STREAM_TOKEN_SECRET/);
  });

  it('reads a mood table from EMOJI_MOOD, and gives it to the Spark job in the same form', () => {
    const c = loadConfig({ EMOJI_MOOD: '🔥:0.5:1:hype, 😡:-1:0.25:anger' });
    expect(c.windows.mood).toEqual({ '🔥': { valence: 0.5, intensity: 1, feeling: 'hype' }, '😡': { valence: -1, intensity: 0.25, feeling: 'anger' } });
    expect(parseMoodTable(moodTableSpec(c.windows.mood))).toEqual(c.windows.mood);
    expect(parseMoodTable(moodTableSpec(DEFAULT_MOOD_TABLE))).toEqual(DEFAULT_MOOD_TABLE);
  });

  it('points at an existing cluster with KAFKA_BROKERS', () => {
    const c = loadConfig({ KAFKA_BROKERS: 'k1:9092, k2:9093' });
    expect(bootstrapServers(c)).toEqual(['k1:9092', 'k2:9093']);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ KAFKA_BROKERS: 'nohost' }, 'KAFKA_BROKERS'],
    [{ EVENTS_PARTITIONS: '0' }, 'EVENTS_PARTITIONS'],
    [{ EMOJI_PALETTE: '🔥,abc' }, 'EMOJI_PALETTE'],
    [{ EMOJI_PALETTE: '🔥,🔥' }, 'EMOJI_PALETTE'],
    [{ EMOJI_PALETTE: '🔥😀' }, 'EMOJI_PALETTE'],
    [{ EMOJI_MOOD: '🔥:0.8:1' }, 'EMOJI_MOOD'],
    [{ EMOJI_MOOD: '🔥:1.5:1:hype' }, 'EMOJI_MOOD'],
    [{ EMOJI_MOOD: '🔥:0.5:0:hype' }, 'EMOJI_MOOD'],
    [{ EMOJI_MOOD: '🔥:0.5:1:hype,🔥:0.1:1:calm' }, 'EMOJI_MOOD'],
    [{ SPARK_HEAP: 'lots' }, 'SPARK_HEAP'],
    [{ SPARK_ENABLED: 'maybe' }, 'SPARK_ENABLED'],
    [{ KAFKA_PORT: '9000', KAFKA_CONTROLLER_PORT: '9000' }, 'KAFKA_CONTROLLER_PORT'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ COMPAT_PATHS: 'emoji' }, 'COMPAT_PATHS'],
    [{ COMPAT_PATHS: '/emoji,/v1/emoji' }, 'COMPAT_PATHS'],
    [{ COMPAT_PATHS: '/emoji?x=1' }, 'COMPAT_PATHS'],
    [{ COMPAT_PATHS: '/emoji,/emoji' }, 'COMPAT_PATHS'],
    [{ COMPAT_TIMEZONE: 'Mars/Olympus_Mons' }, 'COMPAT_TIMEZONE'],
    [{ COMPAT_TIMEZONE: '+05:30' }, 'COMPAT_TIMEZONE'],
    [{ TRUST_PROXY: 'yes' }, 'TRUST_PROXY'],
    [{ TRUST_PROXY: '10.0.0.0/8' }, 'TRUST_PROXY'],
    [{ TRUST_PROXY: '99' }, 'TRUST_PROXY'],
  ])('fails fast naming the bad key: %o', (env, key) => {
    try {
      loadConfig(env);
      expect.unreachable('should have thrown');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).key).toBe(key);
      expect((err as Error).message).toContain(key);
    }
  });

  it('accepts skin-tone and ZWJ sequences as single palette entries', () => {
    expect(loadConfig({ EMOJI_PALETTE: '👍🏽,🧑‍🤝‍🧑,🔥' }).ingest.palette).toEqual(['👍🏽', '🧑‍🤝‍🧑', '🔥']);
  });

  it('serves POST /emoji in UTC by default; COMPAT_PATHS lists paths, and empty turns them off', () => {
    expect(loadConfig({}).compat).toEqual({ paths: ['/emoji'], timeZone: 'UTC' });
    expect(loadConfig({ COMPAT_PATHS: ' /emoji , /api/send_emoji ' }).compat.paths).toEqual(['/emoji', '/api/send_emoji']);
    expect(loadConfig({ COMPAT_PATHS: '' }).compat.paths).toEqual([]);
    expect(loadConfig({ COMPAT_TIMEZONE: 'Asia/Kolkata' }).compat.timeZone).toBe('Asia/Kolkata');
  });

  it('treats empty values as unset and parses booleans', () => {
    expect(loadConfig({ PORT: '' }).port).toBe(8080);
    expect(loadConfig({ SPARK_ENABLED: 'false' }).spark.enabled).toBe(false);
    expect(loadConfig({ SPARK_ENABLED: '1' }).spark.enabled).toBe(true);
  });
});

describe('readEnvironment', () => {
  it('reads .env (comments skipped, quotes stripped) and lets the real environment win', () => {
    const dir = mkdtempSync(join(tmpdir(), 'emostream-env-'));
    try {
      writeFileSync(join(dir, '.env'), '# c\nPORT=9000\n\nHOST="0.0.0.0"\nX = y \nLOG_LEVEL=debug\n');
      const env = readEnvironment({ LOG_LEVEL: 'warn' }, dir);
      expect(env).toEqual({ PORT: '9000', HOST: '0.0.0.0', X: 'y', LOG_LEVEL: 'warn' });
      expect(loadConfig(env).port).toBe(9000);
      expect(readEnvironment({ PORT: '1' }, join(dir, 'none'))).toEqual({ PORT: '1' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('README', () => {
  it('documents every option with its default', async () => {
    const { readFileSync } = await import('node:fs');
    const { CONFIG_KEYS, envDefaults } = await import('./config.ts');
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const rows = new Map(
      [...readme.matchAll(/^\| `([A-Z_]+)` \| ([^|]+) \|/gm)].map((m) => [m[1]!, m[2]!.trim().replace(/`/g, '')]),
    );
    const defaults = envDefaults() as Record<string, unknown>;
    for (const key of CONFIG_KEYS) {
      expect(rows.has(key), `README lacks ${key}`).toBe(true);
      const d = defaults[key];
      const shown = d === undefined ? (key === 'EMOJI_PALETTE' ? DEFAULT_PALETTE.join(',') : 'unset') : String(d);
      expect(rows.get(key), `README default of ${key}`).toBe(shown);
    }
  });
});
