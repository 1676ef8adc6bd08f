// The embedded single-node Kafka 4.x broker (KRaft, combined broker+controller) used by `npm start`
// and the tests when KAFKA_BROKERS is not set. Jars come from the Gradle `broker` subproject.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join, resolve } from 'node:path';
import { runJava, spawnJava, type JavaProcess } from '../processes/java-process.ts';
import { setTimeout as sleep } from 'node:timers/promises';

export const BROKER_LIB_DIR = resolve(import.meta.dirname, '../../broker/build/runtime-libs');

export interface EmbeddedBrokerOptions {
  dataDir: string;
  port: number;
  controllerPort: number;
  heap: string;
  libDir?: string;
  /** How long to wait for the broker to accept connections. */
  startTimeoutMs?: number;
  log?: (msg: string) => void;
}

export interface EmbeddedBroker {
  readonly bootstrap: string;
  readonly process: JavaProcess;
  stop(): Promise<void>;
}

/** server.properties for one node on loopback; every replication setting at 1. */
export function brokerProperties(o: { logDir: string; port: number; controllerPort: number }): string {
  const p: Record<string, string | number> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.bootstrap.servers': `127.0.0.1:${o.controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${o.port},CONTROLLER://127.0.0.1:${o.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${o.port},CONTROLLER://127.0.0.1:${o.controllerPort}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': o.logDir,
    'num.partitions': 1,
    'default.replication.factor': 1,
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 6,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'transaction.state.log.num.partitions': 6,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    'min.insync.replicas': 1,
    'group.initial.rebalance.delay.ms': 0,
    // The one node is its own controller: with the default 9 s session, a pause longer than that (a GC, a frozen
    // process: the fault suite's 10 s SIGSTOP) ends with the controller fencing its only broker on resume, and the
    // partitions come back one by one (no leader meanwhile, requests half written; consumers read end offsets
    // taken at different moments). There is no other broker to fail over to: fence only after a longer silence.
    // Not much longer: after a kill -9 the restarted node's broker cannot register again until the session its
    // controller remembers for it runs out (KAFKA-19130), and the platform's consumers give up after
    // SUPERVISE_MAX_RESTARTS: at 60 s the fault suite's broker-kill outage (74 s) outlasted them and never healed.
    'broker.session.timeout.ms': 15_000,
    'auto.create.topics.enable': 'false',
    'log.retention.hours': 24,
    'log.segment.bytes': 134217728,
  };
  return Object.entries(p).map(([k, v]) => `${k}=${v}`).join('\n') + '\n';
}

export function portOpen(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolveOpen) => {
    const s = createConnection({ port, host });
    const done = (ok: boolean) => {
      s.destroy();
      resolveOpen(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/**
 * The broker runs in its own process group (so Ctrl-C reaches Node, which stops parts in order). If Node
 * died without stopping it, the broker is still running on this data folder: stop that orphan first.
 */
async function reapOrphan(pidFile: string, log: (m: string) => void): Promise<void> {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  rmSync(pidFile, { force: true });
  if (!Number.isInteger(pid) || pid <= 1) return;
  let cmdline = '';
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return; // not running
  }
  if (!cmdline.includes('kafka.Kafka') || !cmdline.includes(pidFile.replace(/broker\.pid$/, ''))) return;
  log(`stopping a broker left running by an earlier run (pid ${pid})`);
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 150; i++) {
    await sleep(200);
    if (!existsSync(`/proc/${pid}`)) return;
  }
  process.kill(pid, 'SIGKILL');
}


/** Format the log folder on first run, start the broker, wait until it accepts connections. */
export async function startEmbeddedBroker(o: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const log = o.log ?? (() => {});
  const libDir = o.libDir ?? BROKER_LIB_DIR;
  const home = join(o.dataDir, 'kafka');
  const logDir = join(home, 'log');
  const propsFile = join(home, 'server.properties');
  mkdirSync(logDir, { recursive: true });
  const pidFile = join(home, 'broker.pid');
  await reapOrphan(pidFile, log);
  if (await portOpen(o.port)) {
    throw new Error(
      `port ${o.port} is already in use: another Kafka (or something else) listens there. ` +
        `Set KAFKA_BROKERS=127.0.0.1:${o.port} to use it, or KAFKA_PORT to start the embedded broker elsewhere.`,
    );
  }
  writeFileSync(propsFile, brokerProperties({ logDir, port: o.port, controllerPort: o.controllerPort }));
  const heap = '256m';
  if (!existsSync(join(logDir, 'meta.properties'))) {
    log(`formatting Kafka log folder ${logDir}`);
    const uuid = (await runJava({ name: 'kafka-storage', libDir, mainClass: 'kafka.tools.StorageTool', args: ['random-uuid'], heap })).trim().split(/\s+/).pop()!;
    await runJava({
      name: 'kafka-storage',
      libDir,
      mainClass: 'kafka.tools.StorageTool',
      args: ['format', '--standalone', '-t', uuid, '-c', propsFile, '--ignore-formatted'],
      heap,
    });
  }
  const proc = spawnJava({
    name: 'kafka',
    libDir,
    mainClass: 'kafka.Kafka',
    args: [propsFile],
    heap: o.heap,
    jvmArgs: ['-Xms128m', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:+ExitOnOutOfMemoryError', '-Djava.awt.headless=true'],
    logFile: join(o.dataDir, 'logs', 'kafka.log'),
  });
  writeFileSync(pidFile, `${proc.child.pid}\n`);
  void proc.exited.then(() => rmSync(pidFile, { force: true }));
  const deadline = Date.now() + (o.startTimeoutMs ?? 90_000);
  let exited = false;
  void proc.exited.then(() => (exited = true));
  while (!(await portOpen(o.port))) {
    if (exited) throw new Error(`the Kafka broker exited during start-up; see ${proc.logFile}`);
    if (Date.now() > deadline) {
      await proc.stop(5000);
      throw new Error(`the Kafka broker did not accept connections on ${o.port} in time; see ${proc.logFile}`);
    }
    await sleep(200);
  }
  return { bootstrap: `127.0.0.1:${o.port}`, process: proc, stop: () => proc.stop() };
}
