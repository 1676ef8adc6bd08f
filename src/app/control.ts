// Viewers across instances, over the Kafka control topic (TOPIC_CONTROL) that every broadcast instance reads
// from a consumer group of its own (like emoji-windows):
//   - `delete`:   a DELETE /v1/subscriptions/:id answered by an instance that does not hold the stream; every
//                 instance revokes the id (its token is refused from then on) and the ones that hold it release
//                 it (the viewer gets `event: disconnect`, reason left) and answer `deleted`;
//   - `deleted`:  that answer (the asking instance then says 204; nobody within a few seconds: 404);
//   - `instance`: a heartbeat with the instance's clusters, for GET /v1/clusters?scope=deployment.
// Kafka rather than peer-to-peer HTTP: instances need no list of their peers (workers on one machine and
// instances on many are the same case), and a new instance learns the deletes made before it started by
// reading the topic from STREAM_TOKEN_TTL_MS ago (the topic keeps records that long). Without Kafka (tests,
// the fan-out bench) the directory is local: tokens are still signed and checked.
import { randomBytes, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Kafka, Producer } from 'kafkajs';
import type { BroadcastFacade } from '../actors/facade.ts';
import type { Config } from '../config.ts';
import { newInstanceId } from '../domain/ids.ts';
import { startWindowConsumer, windowGroupId, type WindowConsumer } from '../kafka/window-consumer.ts';
import { signStreamToken, verifyStreamToken } from '../push/stream-token.ts';
import type { ClusterSummary, DeploymentView, InstanceView, ViewerDirectory } from '../ports/viewers.ts';
import { supervise, type Supervised, type SupervisorDeps } from '../supervision/supervisor.ts';

type ControlRecord =
  | { t: 'delete'; id: string; req: string; from: string }
  | { t: 'deleted'; id: string; req: string; by: string }
  | ({ t: 'instance'; at: number } & Omit<InstanceView, 'age_ms'>);

export function parseControlRecord(text: string): ControlRecord | null {
  try {
    const r = JSON.parse(text) as ControlRecord;
    if (typeof r !== 'object' || r === null) return null;
    if ((r.t === 'delete' || r.t === 'deleted') && typeof r.id === 'string' && typeof r.req === 'string') return r;
    if (r.t === 'instance' && typeof r.instance_id === 'string' && typeof r.at === 'number' && Array.isArray(r.clusters)) return r;
    return null;
  } catch {
    return null;
  }
}

export interface ControlHandle {
  directory: ViewerDirectory;
  /** The control consumer under supervision (null without Kafka). */
  consumer: Supervised<WindowConsumer> | null;
  stop(): Promise<void>;
}

/** How long an instance waits for the holder of a subscription to confirm a delete. */
const DELETE_WAIT_MS = 3_000;

export async function startControl(
  config: Config,
  kafka: Kafka | null,
  facade: BroadcastFacade,
  o: { log?: (m: string) => void; supervision?: SupervisorDeps; now?: () => number; instanceId?: string } = {},
): Promise<ControlHandle> {
  const now = o.now ?? Date.now;
  const log = o.log ?? (() => {});
  const d = config.deployment;
  // a process started without a secret (tests, a library user) signs with one of its own
  const secret = d.streamTokenSecret ?? randomBytes(32).toString('base64url');
  const worker = d.workerIndex;
  const instanceId = o.instanceId ?? newInstanceId(worker);
  const revoked = new Map<string, number>(); // id → until (epoch ms)
  const pending = new Map<string, (ok: boolean) => void>();
  const peers = new Map<string, { view: Omit<InstanceView, 'age_ms'>; seenAt: number }>();

  const summary = (): ClusterSummary[] =>
    facade.clusters().map((c) => ({ cluster_id: c.cluster_id, status: c.status, viewers: c.viewers, subscriptions: c.subscriptions, capacity: c.capacity }));
  const self = (): Omit<InstanceView, 'age_ms'> => ({
    instance_id: instanceId,
    host: hostname(),
    pid: process.pid,
    worker,
    roles: [...d.roles],
    clusters: summary(),
  });

  let producer: Producer | null = null;
  const publish = async (r: ControlRecord) => {
    if (!producer) return;
    await producer.send({ topic: config.topics.control, messages: [{ value: JSON.stringify(r) }] });
  };
  const revoke = (id: string) => revoked.set(id, now() + d.streamTokenTtlMs);

  const onRecord = (r: ControlRecord) => {
    switch (r.t) {
      case 'delete':
        revoke(r.id);
        if (facade.holds(r.id) && facade.unsubscribe(r.id) && r.from !== instanceId) {
          publish({ t: 'deleted', id: r.id, req: r.req, by: instanceId }).catch((err: Error) => log(`control: answering a delete failed: ${err.message}`));
        }
        return;
      case 'deleted': {
        const done = pending.get(r.req);
        if (done) done(true);
        return;
      }
      case 'instance':
        if (r.instance_id !== instanceId && now() - r.at < 3 * d.controlHeartbeatMs) {
          const { t: _t, at, ...view } = r;
          peers.set(r.instance_id, { view, seenAt: Math.min(at, now()) });
        }
        return;
    }
  };

  let consumer: Supervised<WindowConsumer> | null = null;
  let beat: NodeJS.Timeout | null = null;
  let sweep: NodeJS.Timeout | null = null;
  if (kafka) {
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const startAtMs = now() - d.streamTokenTtlMs; // the deletes made while this instance was not running
    const groupId = windowGroupId(`${config.kafka.clientId}-control`);
    consumer = supervise<WindowConsumer>(
      'control-consumer',
      {
        start: () =>
          startWindowConsumer<ControlRecord>({ kafka, topic: config.topics.control, groupId, parse: parseControlRecord, lagName: 'control', startAtMs, log, onWindow: onRecord, maxWaitMs: config.kafka.consumerMaxWaitMs }),
        died: (c) => c.died,
        stop: (c) => c.stop(),
      },
      o.supervision ?? { policy: config.supervision },
    );
    await consumer.started;
    const heartbeat = () => publish({ t: 'instance', at: now(), ...self() }).catch((err: Error) => log(`control: heartbeat failed: ${err.message}`));
    void heartbeat();
    beat = setInterval(heartbeat, d.controlHeartbeatMs);
    beat.unref();
  }
  sweep = setInterval(() => {
    const t = now();
    for (const [id, until] of revoked) if (until <= t) revoked.delete(id);
    for (const [id, p] of peers) if (t - p.seenAt > 3 * d.controlHeartbeatMs) peers.delete(id);
  }, 10_000);
  sweep.unref();

  const directory: ViewerDirectory = {
    instanceId,
    sign: (claims) => signStreamToken(secret, { ...claims, exp: now() + d.streamTokenTtlMs }),
    verify: (token) => verifyStreamToken(secret, token, now()),
    revoked: (id) => (revoked.get(id) ?? 0) > now(),
    async deletedHere(id) {
      revoke(id);
      await publish({ t: 'delete', id, req: randomUUID(), from: instanceId });
    },
    async deleteElsewhere(id) {
      if (!producer) return false;
      revoke(id);
      const req = randomUUID();
      const answered = new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), DELETE_WAIT_MS);
        pending.set(req, (ok) => {
          clearTimeout(timer);
          resolve(ok);
        });
      });
      try {
        await publish({ t: 'delete', id, req, from: instanceId });
        return await answered;
      } finally {
        pending.delete(req);
      }
    },
    deployment(): DeploymentView {
      const t = now();
      const instances: InstanceView[] = [{ ...self(), age_ms: 0 }, ...[...peers.values()].map((p) => ({ ...p.view, age_ms: t - p.seenAt }))];
      const totals = new Map<string, DeploymentView['totals'][number]>();
      for (const i of instances) {
        for (const c of i.clusters) {
          const s = totals.get(c.cluster_id) ?? { cluster_id: c.cluster_id, viewers: 0, subscriptions: 0, capacity: 0, instances: 0 };
          s.viewers += c.viewers;
          s.subscriptions += c.subscriptions;
          s.capacity += c.capacity;
          s.instances++;
          totals.set(c.cluster_id, s);
        }
      }
      return { instance_id: instanceId, instances, totals: [...totals.values()] };
    },
  };

  return {
    directory,
    consumer,
    async stop() {
      if (beat) clearInterval(beat);
      if (sweep) clearInterval(sweep);
      for (const done of pending.values()) done(false);
      await consumer?.stop();
      await producer?.disconnect();
    },
  };
}
