// The one place that reads the environment. `loadConfig()` is called once at start-up (src/main.ts,
// test setup); everything below receives the parsed `Config` (or a section of it) as an argument.
// Every option is documented in README.md ("Configuration"); keep the two in step.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { z } from 'zod';
import { parseTrustProxy, type TrustProxy } from './limits/address.ts';
import { DEFAULT_MOOD_TABLE, type MoodEntry, type MoodTable } from './mood.ts';

const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(def);
const bool = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(def ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');
/** A positive rate (fractions allowed: 0.5 = one every 2 s). */
const rate = (def: number) => z.coerce.number().positive().max(1e9).default(def);
const str = (def: string) => z.string().min(1).default(def);
/** `auto` (decided at start-up), or a whole number in [min, max]. */
const autoOr = (min: number, max: number) =>
  z.union([z.literal('auto'), z.coerce.number().int().min(min).max(max)]).default('auto');
const heap = (def: string) => z.string().regex(/^\d+[mMgG]$/, 'a JVM heap size such as 512m or 1g').default(def);

/** The default palette: each entry is one emoji (one grapheme: skin-tone and ZWJ sequences count as one). */
export const DEFAULT_PALETTE = ['🔥', '😀', '😡', '😂', '😮', '😢', '👏', '🏏', '🎉', '❤️', '👍🏽', '🧑‍🤝‍🧑'];

const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });
const EMOJI_RE = /\p{Extended_Pictographic}/u;
export const isSingleGrapheme = (s: string) => [...segmenter.segment(s)].length === 1;

/** Environment variable → config key, with its default. The README's table mirrors this. */
const EnvSchema = z.object({
  // where state lives (broker logs, Spark checkpoint, Kafka Streams state, logs)
  DATA_DIR: str('./data'),
  HOST: str('127.0.0.1'),
  PORT: int(8080, 0, 65535),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  // auto: pretty lines when stderr is a terminal, JSON lines (one object each) otherwise
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
  // one line per HTTP request with its request id: all, refusals (status >= 400) or off
  ACCESS_LOG: z.enum(['all', 'refusals', 'off']).default('all'),
  // POST /v1/emoji answered straight from node:http, past Hono (src/api/fast-emoji.ts); false: through Hono
  API_FAST_PATH: bool(true),

  // Kafka: unset KAFKA_BROKERS → an embedded broker is started on KAFKA_PORT
  KAFKA_BROKERS: z.string().optional(),
  KAFKA_PORT: int(9092, 1, 65535),
  KAFKA_CONTROLLER_PORT: int(9093, 1, 65535),
  KAFKA_HEAP: heap('512m'),
  KAFKA_CLIENT_ID: str('emostream'),
  // how long a fetch of the API's own kafkajs consumers (windows, live, moments, control, matches, Spark progress)
  // waits at the broker when there is nothing to read; a record ends the wait at once (fetch.min.bytes 1), so this is
  // the idle poll rate, not a latency; a stop waits for the fetch in flight (the platform stops its consumers at
  // once). At most half the 10 s session timeout: kafkajs heartbeats between fetches. Not Kafka Streams' consumer
  // (README "At rest")
  KAFKA_CONSUMER_MAX_WAIT_MS: int(3000, 10, 5000),
  // how every Kafka client of the platform (kafkajs, Kafka Streams, the Spark source and sinks) connects to
  // KAFKA_BROKERS: PLAINTEXT, SSL (TLS), SASL_PLAINTEXT or SASL_SSL; the SASL_* keys only with a SASL_*
  // protocol, the SSL files only with SSL / SASL_SSL (CA unset: the JVM's / Node's default trust store)
  KAFKA_SECURITY_PROTOCOL: z.enum(['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL']).default('PLAINTEXT'),
  KAFKA_SASL_MECHANISM: z.enum(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']).default('PLAIN'),
  KAFKA_SASL_USERNAME: z.string().optional(),
  KAFKA_SASL_PASSWORD: z.string().optional(),
  KAFKA_SSL_CA_FILE: z.string().optional(), // PEM: the CA certificate(s) the brokers' certificates chain to
  KAFKA_SSL_CERT_FILE: z.string().optional(), // PEM: this client's certificate (mutual TLS), with KAFKA_SSL_KEY_FILE
  KAFKA_SSL_KEY_FILE: z.string().optional(), // PEM: this client's private key (unencrypted PKCS#8)
  TOPIC_EVENTS: str('emoji-events'),
  TOPIC_WINDOWS: str('emoji-windows'),
  TOPIC_EXACT: str('emoji-exact'),
  TOPIC_METRICS: str('emoji-metrics'),
  TOPIC_MOMENTS: str('emoji-moments'),
  // running counts of open windows (Spark, every micro-batch): SSE event: live
  TOPIC_LIVE: str('emoji-live'),
  EVENTS_PARTITIONS: int(6, 1, 1000),
  // durability of the platform's topics when it creates them: auto = min(3, brokers in the cluster) replicas
  // and min.insync.replicas = replicas - 1 (at least 1); the embedded broker is one node (1 and 1)
  TOPIC_REPLICATION_FACTOR: autoOr(1, 32),
  TOPIC_MIN_INSYNC_REPLICAS: autoOr(1, 32),

  // ingest contract
  EMOJI_PALETTE: z.string().optional(),
  EMOJI_MOOD: z.string().optional(), // emoji:valence:intensity:feeling,… (unset: contracts/mood.json)
  DEFAULT_MATCH_ID: str('live'),
  TIMESTAMP_SKEW_MS: int(60_000, 0),
  MAX_BATCH_EVENTS: int(1000, 1, 100_000),
  MAX_BODY_BYTES: int(1_048_576, 256),
  // a request body not fully received this long after the request arrived is refused with 408
  BODY_TIMEOUT_MS: int(10_000, 100),

  // batcher in front of the producer (group commit)
  FLUSH_INTERVAL_MS: int(500, 1),
  BATCH_MAX_EVENTS: int(20_000, 1),
  BUFFER_MAX_EVENTS: int(100_000, 1),
  PRODUCE_TIMEOUT_MS: int(4_000, 100),
  // the producer behind the batcher: kafkajs (in Node), or java (a Java KafkaProducer in the in-process JVM,
  // java-bridge; pipelined, encoding off the event loop; see README "Ingest path")
  INGEST_PRODUCER: z.enum(['kafkajs', 'java']).default('kafkajs'),
  // events per Kafka record on emoji-events: a flush packs each partition's events into records of up to this
  // many ({"type":"events","events":[...]}, contracts/event-records.json); 1 = one record per event
  INGEST_PACK_EVENTS: int(100, 1, 1000),
  RETRY_AFTER_S: int(2, 1),
  TICK_INTERVAL_MS: int(250, 0),
  // on a quiet stream the tick interval doubles up to this (and is back at TICK_INTERVAL_MS on the first event);
  // 0 or <= TICK_INTERVAL_MS: ticks never back off. Every tick costs the Spark job two micro-batches; at rest
  // nothing waits on one (windows are closed, Spark's idle reports keep /status ok), see README "Quiet streams"
  TICK_IDLE_INTERVAL_MS: int(300_000, 0),
  // in-memory idempotency for client-supplied event_ids (per API instance)
  IDEMPOTENCY_TTL_MS: int(600_000, 0),
  IDEMPOTENCY_MAX_KEYS: int(100_000, 0),

  // windows and the swarm (shared with Spark and Kafka Streams)
  WINDOW_MS: int(2000, 100),
  SCALE_FACTOR: int(1000, 1),

  // Spark job: SPARK_MASTER unset → local[2] child process
  SPARK_ENABLED: bool(true),
  SPARK_MASTER: str('local[2]'),
  SPARK_HEAP: heap('1g'),
  SPARK_TRIGGER_MS: int(250, 0), // = the tick interval: each trigger sees fresh ticks; see README "Spark job"
  SPARK_WATERMARK_MS: int(500, 0),
  // an instance whose ticks lag the newest time Spark has seen by more than this stops holding windows (dead); 0 = ticks close no window early
  SPARK_TICK_LIVENESS_MS: int(5000, 0),
  SPARK_DEDUP_RETENTION_MS: int(600_000, 0), // keep equal to STREAMS_DEDUP_RETENTION_MS: both count a retried id once
  SPARK_SHUFFLE_PARTITIONS: int(1, 1), // frozen into the checkpoint at its first run; see README "Spark job"
  SPARK_UI_PORT: int(4040, 0, 65535),
  // On a cluster (README "Deployment"): where the driver listens and what executors on other hosts dial.
  // Unset with a local master: 127.0.0.1 both (nothing leaves the machine); with a cluster master: Spark's own
  // default (this host's name, every interface). Ports 0 = any free port (fix them for firewalls/manifests).
  SPARK_DRIVER_HOST: z.string().min(1).optional(),
  SPARK_DRIVER_BIND_ADDRESS: z.string().min(1).optional(),
  SPARK_DRIVER_PORT: int(0, 0, 65535),
  SPARK_BLOCKMANAGER_PORT: int(0, 0, 65535),
  // unset: <DATA_DIR>/spark/checkpoint; with a cluster master a folder every executor and the driver mount
  SPARK_CHECKPOINT_DIR: z.string().min(1).optional(),

  // Kafka Streams side-topology (inside this process via java-bridge)
  STREAMS_ENABLED: bool(true),
  STREAMS_APP_ID: str('emostream-exact'),
  STREAMS_HEAP: heap('384m'),
  STREAMS_DEDUP_RETENTION_MS: int(600_000, 1000),
  STREAMS_GRACE_MS: int(500, 0),
  // how long each 2 s window stays queryable (GET /v1/counts/windows)
  STREAMS_WINDOW_RETENTION_MS: int(3_600_000, 10_000),
  STREAMS_COMMIT_INTERVAL_MS: int(100, 10),
  // partitions of the internal topic keyed by match (fixed once the application id has run)
  STREAMS_PARTITIONS: int(2, 1, 1000),
  // where a NEW application id starts reading emoji-events (earliest: the whole retained topic)
  STREAMS_OFFSET_RESET: z.enum(['earliest', 'latest']).default('earliest'),
  // replication of the topology's internal topics (changelogs, repartition): unset → as the platform's
  // topics (TOPIC_REPLICATION_FACTOR / TOPIC_MIN_INSYNC_REPLICAS; auto = min(3, brokers), one fewer in sync)
  STREAMS_REPLICATION_FACTOR: z.coerce.number().int().min(1).max(32).optional(),
  STREAMS_MIN_INSYNC_REPLICAS: z.coerce.number().int().min(1).max(32).optional(),
  // standby replicas of each store on other instances (num.standby.replicas): a failed instance's stores are
  // served again by a peer that already holds a warm copy; no effect while only one instance runs
  STREAMS_STANDBY_REPLICAS: int(1, 0, 8),

  // internal listener: peers' interactive queries (exact counts held by this instance) — a Hono app of its
  // own, never mounted on the public port; keep it off the public network. INTERNAL_PORT 0: any free port.
  // The address peers use (Kafka Streams application.server) is INTERNAL_ADVERTISED_HOST:<bound port>.
  INTERNAL_HOST: str('127.0.0.1'),
  INTERNAL_PORT: int(0, 0, 65535),
  INTERNAL_ADVERTISED_HOST: z.string().optional(), // unset: INTERNAL_HOST (required when that is 0.0.0.0 or ::)
  INTERNAL_TOKEN: z.string().min(16, 'at least 16 characters').optional(), // shared secret peers send (Bearer)
  INTERNAL_QUERY_TIMEOUT_MS: int(2_000, 50), // a peer that does not answer in time → 503 (Retry-After)

  // moments (Kafka Streams, MomentRule): a closed window whose total or one emoji's count scores at least
  // MOMENTS_MIN_SCORE (robust z-score against the trailing MOMENTS_BASELINE_WINDOWS) with at least MOMENTS_MIN_COUNT
  MOMENTS_BASELINE_WINDOWS: int(30, 1, 10_000),
  MOMENTS_MIN_HISTORY: int(5, 1, 10_000),
  MOMENTS_MIN_SCORE: z.coerce.number().positive().max(1e6).default(5),
  MOMENTS_MIN_COUNT: int(50, 1),
  // how long moments stay listed (GET /v1/matches/:id/moments, the summary)
  MOMENTS_RETENTION_MS: int(86_400_000, 60_000),

  // clients of the original project: POST /emoji in its shape (README "Coming from the original project");
  // COMPAT_PATHS is comma-separated, and empty (unlike other keys) turns the compatibility routes off
  COMPAT_PATHS: z.string().default('/emoji'),
  COMPAT_TIMEZONE: str('UTC'),

  // broadcast: clusters → subscribers → sessions
  CLUSTERS: int(3, 1, 64),
  SUBSCRIBERS_PER_CLUSTER: int(3, 1, 256),
  MAX_SUBSCRIBERS_PER_CLUSTER: int(32, 1, 4096),
  SUBSCRIBER_CAPACITY: int(10_000, 1),
  HISTORY_MS: int(300_000, 0),
  // one reconnect's Last-Event-ID replay: at most this many frames and bytes (the newest; more → event: reset first)
  REPLAY_MAX_FRAMES: int(1_000, 1),
  REPLAY_MAX_BYTES: int(524_288, 1024),
  HEARTBEAT_MS: int(15_000, 100),
  SSE_RETRY_MS: int(2_000, 0),
  SESSION_MAX_PENDING_BYTES: int(1_048_576, 1024),
  // a subscription whose stream dropped is kept this long for a reconnect (Last-Event-ID), then released
  SUBSCRIPTION_GRACE_MS: int(60_000, 100),
  // a subscription whose stream never attached is released after this (POST /v1/subscriptions, then GET stream_url)
  SUBSCRIPTION_ATTACH_MS: int(10_000, 100),
  // a viewer that got no window, moment or live frame for this long is retired (event: disconnect, idle); 0: never
  SESSION_IDLE_MS: int(600_000, 0),
  // a viewer whose bytes stayed unsent this long (a reader that stopped reading) is cut off as slow; 0: never
  SESSION_STALL_MS: int(60_000, 0),
  // a failed cluster publisher is restarted after RESTART_BACKOFF_MS, doubling per failure up to the max
  RESTART_BACKOFF_MS: int(250, 1),
  RESTART_BACKOFF_MAX_MS: int(10_000, 1),

  // supervision of the platform's parts (broker child, Spark job, Kafka Streams, window consumer): a part
  // that dies is restarted after SUPERVISE_BACKOFF_MS, doubling per failure up to the max; more than
  // SUPERVISE_MAX_RESTARTS failures within SUPERVISE_PERIOD_MS → given up on (reported, not restarted).
  // A failure that says Kafka is unreachable does not count: the part is retried, the delay doubling up to
  // SUPERVISE_WAIT_MAX_MS, until Kafka is back. An instance that ran SUPERVISE_HEALTHY_MS before it failed
  // forgets the failures before it.
  SUPERVISE_BACKOFF_MS: int(1_000, 1),
  SUPERVISE_BACKOFF_MAX_MS: int(30_000, 1),
  SUPERVISE_MAX_RESTARTS: int(5, 0),
  SUPERVISE_PERIOD_MS: int(300_000, 1000),
  SUPERVISE_WAIT_MAX_MS: int(5_000, 1),
  SUPERVISE_HEALTHY_MS: int(60_000, 1),
  // the Spark query counts as stuck (not ready in /status) after this many trigger intervals without a progress
  // or idle report (a quiet query reports itself idle every 10 s)
  SPARK_STUCK_TRIGGERS: int(120, 2),
  // POST /faults/… (fault injection for `npm run faults`); never enable in production
  FAULT_INJECTION: bool(false),

  // security (README "Security"): the bearer token of the operational routes (/metrics, /status detail,
  // /faults, the match admin API); unset → those routes are open on a loopback HOST and refused on any other
  ADMIN_TOKEN: z
    .string()
    .regex(/^[A-Za-z0-9._~+/-]+=*$/, 'a bearer token: letters, digits and . _ ~ + / - (then = padding)')
    .min(16, 'at least 16 characters')
    .optional(),
  // who may publish (POST /v1/emoji, /v1/emoji/batch, the compatibility paths): off, jwt (JWT_SECRET;
  // user_id = the token's sub) or apikey (API_KEYS)
  AUTH: z.enum(['off', 'jwt', 'apikey']).default('off'),
  JWT_SECRET: z.string().min(32, 'at least 32 characters').optional(),
  JWT_ALG: z.enum(['HS256', 'HS384', 'HS512']).default('HS256'),
  API_KEYS: z.string().optional(), // comma-separated, each 16+ characters of a bearer token
  // CORS: comma-separated origins (https://example.com) allowed to call the API from a browser, or *;
  // unset → same-origin only (preflights from other origins are refused with 403)
  CORS_ORIGINS: z.string().optional(),
  // match lifecycle (README "Matches"): open = any well-formed match_id, at most MAX_LIVE_MATCHES live per
  // instance, a match with no event for MATCH_IDLE_MS retired; registered = only matches opened through
  // PUT /v1/admin/matches/:id (kept on the compacted TOPIC_MATCHES), unknown ids 404
  MATCH_POLICY: z.enum(['open', 'registered']).default('open'),
  MAX_LIVE_MATCHES: int(1000, 1, 1_000_000),
  MATCH_IDLE_MS: int(600_000, 1000),
  // a match's exact totals (Kafka Streams) are dropped this long after its last counted event; a closed
  // registered match is forgotten (404) this long after it closed
  MATCH_TOTALS_RETENTION_MS: int(604_800_000, 60_000),
  TOPIC_MATCHES: str('emoji-matches'),
  // scale out (README "Running several instances / workers"): which parts this instance runs, comma-separated
  // from ingest, broadcast, streams, spark (the Spark job once per deployment: give `spark` to one instance)
  ROLES: str('ingest,broadcast,streams,spark'),
  // API processes on this machine sharing PORT (node:cluster); the broker and the Spark job start once
  API_WORKERS: int(1, 1, 64),
  // set by the primary for each worker it forks (0-based); not set by hand
  API_WORKER_INDEX: z.coerce.number().int().min(0).max(63).optional(),
  // signs the stream_url tokens (HMAC-SHA256) so any instance accepts a subscription made on another; unset →
  // generated once and kept in DATA_DIR/stream-token.secret (several machines: set the same value on each)
  STREAM_TOKEN_SECRET: z.string().min(16, 'at least 16 characters').optional(),
  // how long a stream_url (its token) can be used to attach or reconnect
  STREAM_TOKEN_TTL_MS: int(43_200_000, 1000),
  // the control topic every broadcast instance reads: subscription deletes across instances, instance heartbeats
  TOPIC_CONTROL: str('emoji-control'),
  CONTROL_HEARTBEAT_MS: int(2_000, 100),
  // limits for a public port (README "Limits"): token buckets in memory per instance (rate per second and
  // burst); ingest buckets count events (a batch of 1000 costs 1000), the others requests
  RATE_LIMITS: bool(true),
  RATE_LIMIT_USER_PER_S: rate(10),
  RATE_LIMIT_USER_BURST: int(100, 1),
  RATE_LIMIT_ADDRESS_PER_S: rate(1_000_000),
  RATE_LIMIT_ADDRESS_BURST: int(1_000_000, 1),
  RATE_LIMIT_SUBSCRIBE_PER_S: rate(1_000),
  RATE_LIMIT_SUBSCRIBE_BURST: int(20_000, 1),
  RATE_LIMIT_STREAM_PER_S: rate(1_000),
  RATE_LIMIT_STREAM_BURST: int(20_000, 1),
  // behind a load balancer / reverse proxy: off (the TCP peer is the client; X-Forwarded-For ignored), the
  // number of proxies in front (1: one load balancer), or the proxies' addresses, comma-separated
  TRUST_PROXY: str('off'),
  // keys remembered per bucket family; past it the oldest is forgotten (it starts full again)
  RATE_LIMIT_MAX_KEYS: int(1_000_000, 1_000),
  // the ingest buffer's fair share: an address may always hold this many events in it; beyond that only
  // while more than BUFFER_RESERVE_PERCENT of BUFFER_MAX_EVENTS is free (else 429)
  BUFFER_ADDRESS_EVENTS: int(5_000, 1),
  BUFFER_RESERVE_PERCENT: int(25, 0, 90),
  // connections: auto = the open-files limit minus FD_RESERVE (kept for Kafka, the JVM, logs); SSE streams
  // stop SSE_INGEST_HEADROOM connections below that, so ingest still connects when viewers fill the server
  MAX_CONNECTIONS: autoOr(1, 10_000_000),
  FD_RESERVE: int(2_048, 0),
  MAX_SSE_STREAMS: autoOr(1, 10_000_000),
  SSE_INGEST_HEADROOM: int(1_024, 0),
  SSE_STREAMS_PER_ADDRESS: int(20_000, 1),
  // time limits: request headers, the whole request (headers and body), an idle keep-alive connection
  HEADERS_TIMEOUT_MS: int(10_000, 100),
  REQUEST_TIMEOUT_MS: int(30_000, 100),
  KEEP_ALIVE_TIMEOUT_MS: int(10_000, 0),
  // requests on one keep-alive connection before the server closes it (0: no limit)
  KEEP_ALIVE_MAX_REQUESTS: int(10_000, 0),
});

export type Env = z.infer<typeof EnvSchema>;

export const ROLE_NAMES = ['ingest', 'broadcast', 'streams', 'spark'] as const;
export type Role = (typeof ROLE_NAMES)[number];

/** Every environment variable the platform reads (README.md's configuration table lists each). */
export const CONFIG_KEYS = Object.keys(EnvSchema.shape) as (keyof Env)[];

/** The default of every option, as parsed from an empty environment (undefined = unset). */
export const envDefaults = (): Env => EnvSchema.parse({});

export interface Config {
  dataDir: string;
  host: string;
  port: number;
  logLevel: Env['LOG_LEVEL'];
  logFormat: Env['LOG_FORMAT'];
  accessLog: Env['ACCESS_LOG'];
  /** API_FAST_PATH: POST /v1/emoji past Hono when AUTH=off and CORS_ORIGINS is unset (src/api/fast-emoji.ts). */
  apiFastPath: boolean;
  kafka: {
    /** null → start the embedded broker on `embeddedPort`. */
    brokers: string[] | null;
    embeddedPort: number;
    embeddedControllerPort: number;
    embeddedHeap: string;
    clientId: string;
    /** KAFKA_CONSUMER_MAX_WAIT_MS: maxWaitTimeInMs of the API's kafkajs consumers. */
    consumerMaxWaitMs: number;
    security: KafkaSecurity;
  };
  topics: {
    events: string;
    windows: string;
    exact: string;
    metrics: string;
    moments: string;
    live: string;
    /** The match lifecycle log (compacted; key match_id). */
    matches: string;
    control: string;
    eventsPartitions: number;
    /** 'auto': min(3, brokers in the cluster); the embedded broker: 1. */
    replicationFactor: number | 'auto';
    /** 'auto': replicationFactor - 1, at least 1. */
    minInsyncReplicas: number | 'auto';
  };
  ingest: {
    palette: string[];
    defaultMatchId: string;
    timestampSkewMs: number;
    maxBatchEvents: number;
    maxBodyBytes: number;
    bodyTimeoutMs: number;
    flushIntervalMs: number;
    batchMaxEvents: number;
    bufferMaxEvents: number;
    produceTimeoutMs: number;
    producer: 'kafkajs' | 'java';
    /** Events per record on emoji-events (packed records); 1 = one record per event. */
    packEvents: number;
    retryAfterS: number;
    tickIntervalMs: number;
    tickIdleIntervalMs: number;
    idempotencyTtlMs: number;
    idempotencyMaxKeys: number;
  };
  windows: { windowMs: number; scaleFactor: number; mood: MoodTable };
  compat: {
    /** POST paths taking the original project's body (src/domain/compat.ts); empty: none. */
    paths: string[];
    /** IANA zone (as configured) in which a zone-less ISO timestamp is read. */
    timeZone: string;
  };
  spark: {
    enabled: boolean;
    master: string;
    heap: string;
    triggerMs: number;
    watermarkMs: number;
    /** How long an instance's ticks may lag and still hold windows in the Spark driver (README "Spark job"); 0 = off. */
    tickLivenessMs: number;
    dedupRetentionMs: number;
    shufflePartitions: number;
    uiPort: number;
    stuckTriggers: number;
    /** spark.driver.host: what executors dial; null: 127.0.0.1 with a local master, Spark's default otherwise */
    driverHost: string | null;
    /** spark.driver.bindAddress (and SPARK_LOCAL_IP); null: 127.0.0.1 with a local master, Spark's default otherwise */
    driverBindAddress: string | null;
    /** spark.driver.port / spark.blockManager.port; 0 = any free port */
    driverPort: number;
    blockManagerPort: number;
    /** absolute path of the checkpoint folder */
    checkpointDir: string;
  };
  supervision: { initialBackoffMs: number; maxBackoffMs: number; maxRestarts: number; periodMs: number; waitMaxMs: number; healthyAfterMs: number };
  faultInjection: boolean;
  security: {
    /** Bearer token of the operational routes; null: open on a loopback HOST, refused elsewhere. */
    adminToken: string | null;
    auth: 'off' | 'jwt' | 'apikey';
    jwtSecret: string | null;
    jwtAlg: 'HS256' | 'HS384' | 'HS512';
    apiKeys: string[];
    /** Origins allowed by CORS; empty: same-origin only; ['*']: any. */
    corsOrigins: string[];
  };
  matches: {
    policy: 'open' | 'registered';
    maxLive: number;
    idleMs: number;
    totalsRetentionMs: number;
  };
  /** What this instance runs (ROLES) and how many API processes share its port (API_WORKERS). */
  deployment: {
    roles: ReadonlySet<Role>;
    apiWorkers: number;
    /** This process's index among the workers (null: not a worker of API_WORKERS). */
    workerIndex: number | null;
    /** null: generated once per data folder at start-up (src/main.ts) and handed to the workers. */
    streamTokenSecret: string | null;
    streamTokenTtlMs: number;
    controlHeartbeatMs: number;
  };
  limits: {
    /** false: no rate limits (connection and time limits still apply). */
    enabled: boolean;
    /** Per user_id, events. */
    user: { ratePerS: number; burst: number };
    /** Per client address, events. */
    address: { ratePerS: number; burst: number };
    /** Per client address, POST /v1/subscriptions requests. */
    subscribe: { ratePerS: number; burst: number };
    /** Per client address, stream connects. */
    stream: { ratePerS: number; burst: number };
    maxKeys: number;
    /** who the client is behind proxies (X-Forwarded-For); hops 0: the TCP peer */
    trustProxy: TrustProxy;
    bufferAddressEvents: number;
    bufferReserveEvents: number;
    maxConnections: number | 'auto';
    fdReserve: number;
    maxSseStreams: number | 'auto';
    sseIngestHeadroom: number;
    sseStreamsPerAddress: number;
    headersTimeoutMs: number;
    requestTimeoutMs: number;
    keepAliveTimeoutMs: number;
    keepAliveMaxRequests: number;
  };
  streams: {
    enabled: boolean;
    appId: string;
    heap: string;
    dedupRetentionMs: number;
    graceMs: number;
    windowRetentionMs: number;
    commitIntervalMs: number;
    partitions: number;
    offsetReset: 'earliest' | 'latest';
    /** null: 1 with the embedded broker, else min(3, brokers) — resolved by the Java side at start. */
    replicationFactor: number | null;
    /** null: replicationFactor - 1, at least 1. */
    minInsyncReplicas: number | null;
    /** num.standby.replicas */
    standbyReplicas: number;
  };
  /** The internal listener peers query (exact counts across instances); never the public port. */
  internal: {
    host: string;
    /** 0: any free port (the bound one is advertised). */
    port: number;
    /** Host part of the advertised address (Kafka Streams application.server = advertisedHost:port). */
    advertisedHost: string;
    /** Shared secret: peers send `Authorization: Bearer <token>`; null: none (rely on the network). */
    token: string | null;
    queryTimeoutMs: number;
  };
  moments: { baselineWindows: number; minHistory: number; minScore: number; minCount: number; retentionMs: number };
  broadcast: {
    clusters: number;
    subscribersPerCluster: number;
    maxSubscribersPerCluster: number;
    subscriberCapacity: number;
    historyMs: number;
    replayMaxFrames: number;
    replayMaxBytes: number;
    heartbeatMs: number;
    sseRetryMs: number;
    sessionMaxPendingBytes: number;
    subscriptionGraceMs: number;
    subscriptionAttachMs: number;
    sessionIdleMs: number;
    sessionStallMs: number;
    restartBackoffMs: number;
    restartBackoffMaxMs: number;
  };
}

/** How the Kafka clients authenticate and encrypt (the same for kafkajs, Kafka Streams and Spark). */
export interface KafkaSecurity {
  protocol: 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
  /** Set exactly when the protocol is SASL_PLAINTEXT or SASL_SSL. */
  sasl: { mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; username: string; password: string } | null;
  /** Set exactly when the protocol is SSL or SASL_SSL; absolute paths of PEM files, null = not given. */
  ssl: { caFile: string | null; certFile: string | null; keyFile: string | null } | null;
}

export class ConfigError extends Error {
  constructor(readonly key: string, reason: string) {
    super(`invalid configuration: ${key}: ${reason}`);
    this.name = 'ConfigError';
  }
}

/** EMOJI_MOOD: `emoji:valence:intensity:feeling` entries, comma-separated (valence in [-1, 1], intensity in (0, 1]). */
export function parseMoodTable(spec: string): MoodTable {
  const table: Record<string, MoodEntry> = {};
  for (const item of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const f = item.split(':');
    const valence = Number(f[1]);
    const intensity = Number(f[2]);
    if (f.length !== 4 || !f[0] || !f[3]) throw new ConfigError('EMOJI_MOOD', `"${item}" is not emoji:valence:intensity:feeling`);
    if (!(valence >= -1 && valence <= 1)) throw new ConfigError('EMOJI_MOOD', `"${item}": valence must be in [-1, 1]`);
    if (!(intensity > 0 && intensity <= 1)) throw new ConfigError('EMOJI_MOOD', `"${item}": intensity must be in (0, 1]`);
    if (table[f[0]]) throw new ConfigError('EMOJI_MOOD', `lists ${f[0]} twice`);
    table[f[0]] = { valence, intensity, feeling: f[3] };
  }
  if (Object.keys(table).length === 0) throw new ConfigError('EMOJI_MOOD', 'must list one or more entries');
  return table;
}

/** The mood table in EMOJI_MOOD's form (the Spark job's --mood argument). */
export const moodTableSpec = (t: MoodTable): string =>
  Object.entries(t).map(([emoji, m]) => `${emoji}:${m.valence}:${m.intensity}:${m.feeling}`).join(',');

/** Reads `.env` in `cwd` if present (Node's dotenv parser); real environment variables win over it. */
export function readEnvironment(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Record<string, string | undefined> {
  const file = resolve(cwd, '.env');
  const fromFile = existsSync(file) ? parseEnv(readFileSync(file, 'utf8')) : {};
  return { ...fromFile, ...env };
}

/** Keys where an empty value means "none" rather than "unset" (the default). */
const EMPTY_MEANS_NONE = new Set<string>(['COMPAT_PATHS']);
// a compatibility path: one or more /segments of URL-safe characters
const COMPAT_PATH_RE = /^(?:\/[A-Za-z0-9._~-]+)+$/;

/** Validate once, fail fast naming the bad key. Empty strings count as unset (except EMPTY_MEANS_NONE). */
export function loadConfig(env: Record<string, string | undefined> = readEnvironment()): Config {
  const cleaned: Record<string, string> = {};
  for (const key of Object.keys(EnvSchema.shape)) {
    const v = env[key];
    if (v !== undefined && (v !== '' || EMPTY_MEANS_NONE.has(key))) cleaned[key] = v;
  }
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(String(issue.path[0] ?? '?'), issue.message);
  }
  const e = parsed.data;

  const palette = e.EMOJI_PALETTE
    ? e.EMOJI_PALETTE.split(',').map((s) => s.trim()).filter(Boolean)
    : DEFAULT_PALETTE;
  for (const p of palette) {
    if (!isSingleGrapheme(p) || !EMOJI_RE.test(p)) throw new ConfigError('EMOJI_PALETTE', `"${p}" is not a single emoji`);
  }
  if (new Set(palette).size !== palette.length || palette.length === 0) {
    throw new ConfigError('EMOJI_PALETTE', 'must list one or more distinct emojis, comma-separated');
  }
  let brokers: string[] | null = null;
  if (e.KAFKA_BROKERS) {
    brokers = e.KAFKA_BROKERS.split(',').map((s) => s.trim()).filter(Boolean);
    for (const b of brokers) {
      if (!/^[^:\s]+:\d{1,5}$/.test(b)) throw new ConfigError('KAFKA_BROKERS', `"${b}" is not host:port`);
    }
  }
  if (e.KAFKA_PORT === e.KAFKA_CONTROLLER_PORT) {
    throw new ConfigError('KAFKA_CONTROLLER_PORT', 'must differ from KAFKA_PORT');
  }
  const rf = e.TOPIC_REPLICATION_FACTOR;
  const isr = e.TOPIC_MIN_INSYNC_REPLICAS;
  if (!brokers && typeof rf === 'number' && rf > 1) {
    throw new ConfigError('TOPIC_REPLICATION_FACTOR', 'the embedded broker is a single node: 1 or auto (set KAFKA_BROKERS for a cluster)');
  }
  if (typeof rf === 'number' && typeof isr === 'number' && isr > rf) {
    throw new ConfigError('TOPIC_MIN_INSYNC_REPLICAS', `must not exceed TOPIC_REPLICATION_FACTOR (${rf}): no write could ever be acknowledged`);
  }
  if (e.SUPERVISE_BACKOFF_MAX_MS < e.SUPERVISE_BACKOFF_MS) {
    throw new ConfigError('SUPERVISE_BACKOFF_MAX_MS', 'must be at least SUPERVISE_BACKOFF_MS');
  }
  if (e.REQUEST_TIMEOUT_MS < e.HEADERS_TIMEOUT_MS) throw new ConfigError('REQUEST_TIMEOUT_MS', 'must be at least HEADERS_TIMEOUT_MS');
  if (e.REQUEST_TIMEOUT_MS < e.BODY_TIMEOUT_MS) throw new ConfigError('REQUEST_TIMEOUT_MS', 'must be at least BODY_TIMEOUT_MS (the body deadline answers first, with a JSON 408)');
  if (e.BUFFER_ADDRESS_EVENTS < e.MAX_BATCH_EVENTS) throw new ConfigError('BUFFER_ADDRESS_EVENTS', `must be at least MAX_BATCH_EVENTS (${e.MAX_BATCH_EVENTS}): one batch must always fit`);
  if (e.WINDOW_MS % 100 !== 0) throw new ConfigError('WINDOW_MS', 'must be a multiple of 100');
  if (e.MOMENTS_MIN_HISTORY > e.MOMENTS_BASELINE_WINDOWS) {
    throw new ConfigError('MOMENTS_MIN_HISTORY', 'must be at most MOMENTS_BASELINE_WINDOWS');
  }
  // Kafka Streams' internal topics follow the platform's topics unless set; null = auto (the Java side asks the cluster)
  const embedded = brokers === null;
  const replicationFactor = e.STREAMS_REPLICATION_FACTOR ?? (embedded ? 1 : typeof rf === 'number' ? rf : null);
  const minInsyncReplicas = e.STREAMS_MIN_INSYNC_REPLICAS ?? (embedded ? 1 : typeof isr === 'number' ? isr : null);
  if (replicationFactor !== null && minInsyncReplicas !== null && minInsyncReplicas > replicationFactor) {
    throw new ConfigError('STREAMS_MIN_INSYNC_REPLICAS', 'must be at most the replication factor');
  }
  const security = kafkaSecurity(e, brokers !== null);
  const wildcard = e.INTERNAL_HOST === '0.0.0.0' || e.INTERNAL_HOST === '::';
  if (wildcard && !e.INTERNAL_ADVERTISED_HOST) {
    throw new ConfigError('INTERNAL_ADVERTISED_HOST', `required when INTERNAL_HOST is ${e.INTERNAL_HOST}: the host name or address peers reach this instance at`);
  }
  if (e.INTERNAL_PORT !== 0 && e.INTERNAL_PORT === e.PORT) {
    throw new ConfigError('INTERNAL_PORT', 'must differ from PORT: the internal listener is never the public one');
  }
  if (e.AUTH === 'jwt' && !e.JWT_SECRET) throw new ConfigError('JWT_SECRET', 'AUTH=jwt needs the secret its tokens are signed with');
  const apiKeys = (e.API_KEYS ?? '').split(',').map((k) => k.trim()).filter(Boolean);
  for (const k of apiKeys) {
    if (k.length < 16 || !/^[A-Za-z0-9._~+/-]+=*$/.test(k)) throw new ConfigError('API_KEYS', 'each key: 16+ characters of A-Z a-z 0-9 . _ ~ + / -');
  }
  if (e.AUTH === 'apikey' && apiKeys.length === 0) throw new ConfigError('API_KEYS', 'AUTH=apikey needs at least one key');
  const corsOrigins = (e.CORS_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean);
  for (const o of corsOrigins) {
    if (o !== '*' && !/^https?:\/\/[A-Za-z0-9.-]+(?::\d{1,5})?$/.test(o)) throw new ConfigError('CORS_ORIGINS', `"${o}" is not an origin such as https://example.com (or *)`);
  }
  const compatPaths = e.COMPAT_PATHS.split(',').map((s) => s.trim()).filter(Boolean);
  for (const p of compatPaths) {
    if (!COMPAT_PATH_RE.test(p)) throw new ConfigError('COMPAT_PATHS', `"${p}" is not a path such as /emoji`);
    if (p === '/v1' || p.startsWith('/v1/')) throw new ConfigError('COMPAT_PATHS', `"${p}" is under /v1, which belongs to the versioned API`);
  }
  if (new Set(compatPaths).size !== compatPaths.length) throw new ConfigError('COMPAT_PATHS', 'lists a path twice');
  const roleList = e.ROLES.split(',').map((s) => s.trim()).filter(Boolean);
  for (const r of roleList) {
    if (!(ROLE_NAMES as readonly string[]).includes(r)) throw new ConfigError('ROLES', `"${r}" is not a role; roles: ${ROLE_NAMES.join(', ')}`);
  }
  if (roleList.length === 0) throw new ConfigError('ROLES', `must list one or more of ${ROLE_NAMES.join(', ')}`);
  const roles = new Set(roleList as Role[]);
  const timeZone = e.COMPAT_TIMEZONE; // kept as given: ICU would rename e.g. Asia/Kolkata to Asia/Calcutta
  try {
    // Node 22+'s Intl also takes a UTC offset ("+05:30"); an IANA name starts with a letter
    if (!/^[A-Za-z]/.test(timeZone)) throw new RangeError('an offset, not a name');
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    throw new ConfigError('COMPAT_TIMEZONE', `"${e.COMPAT_TIMEZONE}" is not an IANA time zone name (e.g. UTC, Asia/Kolkata)`);
  }

  return {
    dataDir: resolve(e.DATA_DIR),
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    accessLog: e.ACCESS_LOG,
    apiFastPath: e.API_FAST_PATH,
    kafka: {
      brokers,
      embeddedPort: e.KAFKA_PORT,
      embeddedControllerPort: e.KAFKA_CONTROLLER_PORT,
      embeddedHeap: e.KAFKA_HEAP,
      clientId: e.KAFKA_CLIENT_ID,
      consumerMaxWaitMs: e.KAFKA_CONSUMER_MAX_WAIT_MS,
      security,
    },
    topics: {
      events: e.TOPIC_EVENTS,
      windows: e.TOPIC_WINDOWS,
      exact: e.TOPIC_EXACT,
      metrics: e.TOPIC_METRICS,
      moments: e.TOPIC_MOMENTS,
      live: e.TOPIC_LIVE,
      matches: e.TOPIC_MATCHES,
      control: e.TOPIC_CONTROL,
      eventsPartitions: e.EVENTS_PARTITIONS,
      replicationFactor: e.TOPIC_REPLICATION_FACTOR,
      minInsyncReplicas: e.TOPIC_MIN_INSYNC_REPLICAS,
    },
    ingest: {
      palette,
      defaultMatchId: e.DEFAULT_MATCH_ID,
      timestampSkewMs: e.TIMESTAMP_SKEW_MS,
      maxBatchEvents: e.MAX_BATCH_EVENTS,
      maxBodyBytes: e.MAX_BODY_BYTES,
      bodyTimeoutMs: e.BODY_TIMEOUT_MS,
      flushIntervalMs: e.FLUSH_INTERVAL_MS,
      batchMaxEvents: e.BATCH_MAX_EVENTS,
      bufferMaxEvents: e.BUFFER_MAX_EVENTS,
      produceTimeoutMs: e.PRODUCE_TIMEOUT_MS,
      producer: e.INGEST_PRODUCER,
      packEvents: e.INGEST_PACK_EVENTS,
      retryAfterS: e.RETRY_AFTER_S,
      tickIntervalMs: e.TICK_INTERVAL_MS,
      tickIdleIntervalMs: e.TICK_IDLE_INTERVAL_MS,
      idempotencyTtlMs: e.IDEMPOTENCY_TTL_MS,
      idempotencyMaxKeys: e.IDEMPOTENCY_MAX_KEYS,
    },
    windows: { windowMs: e.WINDOW_MS, scaleFactor: e.SCALE_FACTOR, mood: e.EMOJI_MOOD ? parseMoodTable(e.EMOJI_MOOD) : DEFAULT_MOOD_TABLE },
    compat: { paths: compatPaths, timeZone },
    spark: {
      enabled: e.SPARK_ENABLED,
      master: e.SPARK_MASTER,
      heap: e.SPARK_HEAP,
      triggerMs: e.SPARK_TRIGGER_MS,
      watermarkMs: e.SPARK_WATERMARK_MS,
      tickLivenessMs: e.SPARK_TICK_LIVENESS_MS,
      dedupRetentionMs: e.SPARK_DEDUP_RETENTION_MS,
      shufflePartitions: e.SPARK_SHUFFLE_PARTITIONS,
      uiPort: e.SPARK_UI_PORT,
      stuckTriggers: e.SPARK_STUCK_TRIGGERS,
      driverHost: e.SPARK_DRIVER_HOST ?? null,
      driverBindAddress: e.SPARK_DRIVER_BIND_ADDRESS ?? null,
      driverPort: e.SPARK_DRIVER_PORT,
      blockManagerPort: e.SPARK_BLOCKMANAGER_PORT,
      checkpointDir: sparkCheckpointDir(e),
    },
    supervision: {
      initialBackoffMs: e.SUPERVISE_BACKOFF_MS,
      maxBackoffMs: e.SUPERVISE_BACKOFF_MAX_MS,
      maxRestarts: e.SUPERVISE_MAX_RESTARTS,
      periodMs: e.SUPERVISE_PERIOD_MS,
      waitMaxMs: e.SUPERVISE_WAIT_MAX_MS,
      healthyAfterMs: e.SUPERVISE_HEALTHY_MS,
    },
    faultInjection: e.FAULT_INJECTION,
    security: { adminToken: e.ADMIN_TOKEN ?? null, auth: e.AUTH, jwtSecret: e.JWT_SECRET ?? null, jwtAlg: e.JWT_ALG, apiKeys, corsOrigins },
    matches: {
      policy: e.MATCH_POLICY,
      maxLive: e.MAX_LIVE_MATCHES,
      idleMs: e.MATCH_IDLE_MS,
      totalsRetentionMs: e.MATCH_TOTALS_RETENTION_MS,
    },
    deployment: {
      roles,
      apiWorkers: e.API_WORKERS,
      workerIndex: e.API_WORKER_INDEX ?? null,
      streamTokenSecret: e.STREAM_TOKEN_SECRET ?? null,
      streamTokenTtlMs: e.STREAM_TOKEN_TTL_MS,
      controlHeartbeatMs: e.CONTROL_HEARTBEAT_MS,
    },
    limits: {
      enabled: e.RATE_LIMITS,
      user: { ratePerS: e.RATE_LIMIT_USER_PER_S, burst: e.RATE_LIMIT_USER_BURST },
      address: { ratePerS: e.RATE_LIMIT_ADDRESS_PER_S, burst: e.RATE_LIMIT_ADDRESS_BURST },
      subscribe: { ratePerS: e.RATE_LIMIT_SUBSCRIBE_PER_S, burst: e.RATE_LIMIT_SUBSCRIBE_BURST },
      stream: { ratePerS: e.RATE_LIMIT_STREAM_PER_S, burst: e.RATE_LIMIT_STREAM_BURST },
      maxKeys: e.RATE_LIMIT_MAX_KEYS,
      trustProxy: trustProxyOf(e.TRUST_PROXY),
      bufferAddressEvents: e.BUFFER_ADDRESS_EVENTS,
      bufferReserveEvents: Math.floor((e.BUFFER_MAX_EVENTS * e.BUFFER_RESERVE_PERCENT) / 100),
      maxConnections: e.MAX_CONNECTIONS,
      fdReserve: e.FD_RESERVE,
      maxSseStreams: e.MAX_SSE_STREAMS,
      sseIngestHeadroom: e.SSE_INGEST_HEADROOM,
      sseStreamsPerAddress: e.SSE_STREAMS_PER_ADDRESS,
      headersTimeoutMs: e.HEADERS_TIMEOUT_MS,
      requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: e.KEEP_ALIVE_TIMEOUT_MS,
      keepAliveMaxRequests: e.KEEP_ALIVE_MAX_REQUESTS,
    },
    streams: {
      enabled: e.STREAMS_ENABLED,
      appId: e.STREAMS_APP_ID,
      heap: e.STREAMS_HEAP,
      dedupRetentionMs: e.STREAMS_DEDUP_RETENTION_MS,
      graceMs: e.STREAMS_GRACE_MS,
      windowRetentionMs: e.STREAMS_WINDOW_RETENTION_MS,
      commitIntervalMs: e.STREAMS_COMMIT_INTERVAL_MS,
      partitions: e.STREAMS_PARTITIONS,
      offsetReset: e.STREAMS_OFFSET_RESET,
      replicationFactor,
      minInsyncReplicas,
      standbyReplicas: e.STREAMS_STANDBY_REPLICAS,
    },
    internal: {
      host: e.INTERNAL_HOST,
      port: e.INTERNAL_PORT,
      advertisedHost: e.INTERNAL_ADVERTISED_HOST ?? e.INTERNAL_HOST,
      token: e.INTERNAL_TOKEN ?? null,
      queryTimeoutMs: e.INTERNAL_QUERY_TIMEOUT_MS,
    },
    moments: {
      baselineWindows: e.MOMENTS_BASELINE_WINDOWS,
      minHistory: e.MOMENTS_MIN_HISTORY,
      minScore: e.MOMENTS_MIN_SCORE,
      minCount: e.MOMENTS_MIN_COUNT,
      retentionMs: e.MOMENTS_RETENTION_MS,
    },
    broadcast: {
      clusters: e.CLUSTERS,
      subscribersPerCluster: e.SUBSCRIBERS_PER_CLUSTER,
      maxSubscribersPerCluster: e.MAX_SUBSCRIBERS_PER_CLUSTER,
      subscriberCapacity: e.SUBSCRIBER_CAPACITY,
      historyMs: e.HISTORY_MS,
      replayMaxFrames: e.REPLAY_MAX_FRAMES,
      replayMaxBytes: e.REPLAY_MAX_BYTES,
      heartbeatMs: e.HEARTBEAT_MS,
      sseRetryMs: e.SSE_RETRY_MS,
      sessionMaxPendingBytes: e.SESSION_MAX_PENDING_BYTES,
      subscriptionGraceMs: e.SUBSCRIPTION_GRACE_MS,
      subscriptionAttachMs: e.SUBSCRIPTION_ATTACH_MS,
      sessionIdleMs: e.SESSION_IDLE_MS,
      sessionStallMs: e.SESSION_STALL_MS,
      restartBackoffMs: e.RESTART_BACKOFF_MS,
      restartBackoffMaxMs: e.RESTART_BACKOFF_MAX_MS,
    },
  };
}

function trustProxyOf(spec: string): TrustProxy {
  const t = parseTrustProxy(spec);
  if ('error' in t) throw new ConfigError('TRUST_PROXY', t.error);
  return t;
}

/** KAFKA_SECURITY_PROTOCOL and its companions, checked for what each protocol needs (files must exist). */
function kafkaSecurity(e: Env, external: boolean): KafkaSecurity {
  const protocol = e.KAFKA_SECURITY_PROTOCOL;
  const sasl = protocol.startsWith('SASL_');
  const tls = protocol === 'SSL' || protocol === 'SASL_SSL';
  if (protocol !== 'PLAINTEXT' && !external) {
    throw new ConfigError('KAFKA_SECURITY_PROTOCOL', 'the embedded broker speaks PLAINTEXT only: set KAFKA_BROKERS to use TLS or SASL');
  }
  if (sasl) {
    if (!e.KAFKA_SASL_USERNAME) throw new ConfigError('KAFKA_SASL_USERNAME', `required with KAFKA_SECURITY_PROTOCOL=${protocol}`);
    if (e.KAFKA_SASL_PASSWORD === undefined) throw new ConfigError('KAFKA_SASL_PASSWORD', `required with KAFKA_SECURITY_PROTOCOL=${protocol}`);
  } else {
    for (const k of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'] as const) {
      if (e[k] !== undefined) throw new ConfigError(k, `only with KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT or SASL_SSL (is ${protocol})`);
    }
  }
  const files = { KAFKA_SSL_CA_FILE: e.KAFKA_SSL_CA_FILE, KAFKA_SSL_CERT_FILE: e.KAFKA_SSL_CERT_FILE, KAFKA_SSL_KEY_FILE: e.KAFKA_SSL_KEY_FILE };
  for (const [k, f] of Object.entries(files)) {
    if (f === undefined) continue;
    if (!tls) throw new ConfigError(k, `only with KAFKA_SECURITY_PROTOCOL=SSL or SASL_SSL (is ${protocol})`);
    if (!existsSync(f)) throw new ConfigError(k, `no such file: ${f}`);
  }
  if ((e.KAFKA_SSL_CERT_FILE === undefined) !== (e.KAFKA_SSL_KEY_FILE === undefined)) {
    throw new ConfigError(e.KAFKA_SSL_CERT_FILE === undefined ? 'KAFKA_SSL_CERT_FILE' : 'KAFKA_SSL_KEY_FILE', 'KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together (mutual TLS)');
  }
  const abs = (f: string | undefined) => (f === undefined ? null : resolve(f));
  return {
    protocol,
    sasl: sasl ? { mechanism: e.KAFKA_SASL_MECHANISM, username: e.KAFKA_SASL_USERNAME!, password: e.KAFKA_SASL_PASSWORD! } : null,
    ssl: tls ? { caFile: abs(e.KAFKA_SSL_CA_FILE), certFile: abs(e.KAFKA_SSL_CERT_FILE), keyFile: abs(e.KAFKA_SSL_KEY_FILE) } : null,
  };
}

/**
 * SPARK_CHECKPOINT_DIR: a folder (absolute once resolved). URIs (hdfs:, s3a:) are refused: the job's classpath
 * has no Hadoop file system for them; shared storage is a folder mounted on the driver and every executor.
 */
function sparkCheckpointDir(e: Env): string {
  const d = e.SPARK_CHECKPOINT_DIR;
  if (d === undefined) return resolve(e.DATA_DIR, 'spark', 'checkpoint');
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(d)) {
    throw new ConfigError('SPARK_CHECKPOINT_DIR', `"${d}" is a URI: give a folder (shared storage mounted at the same path on the driver and every executor)`);
  }
  return resolve(d);
}

/** Where the Kafka clients connect: the configured cluster, or the embedded broker. */
export const bootstrapServers = (c: Config): string[] =>
  c.kafka.brokers ?? [`127.0.0.1:${c.kafka.embeddedPort}`];
