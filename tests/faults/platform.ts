// The platform under test, as an operator runs it: `src/main.ts` (what `npm start` runs) in a child process
// with its own ports and data folder, its broker and Spark job as its children. The fault suite kills and
// freezes these processes by pid. Every process it started (the API, and everything whose command line
// names its data folder: the broker, the Spark JVM) is killed by cleanup(), also when a scenario failed,
// and on exit of the runner.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const ROOT = resolve(import.meta.dirname, '../..');

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

/** Pids of every process (but this one) whose command line contains `needle`. */
export function pidsWith(needle: string, also?: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (cmd.includes(needle) && (!also || cmd.includes(also))) out.push(Number(d));
  }
  return out;
}

const alive = (pid: number) => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z');

/** GET /status: every part, with the supervised ones' phase and restarts. */
export interface PlatformStatus {
  status: string;
  checks?: { name: string; ok: boolean; detail?: string; phase?: string; restarts?: number }[];
}

export class PlatformProcess {
  readonly url: string;
  readonly dataDir: string;
  readonly env: Record<string, string>;
  private api: ChildProcess | null = null;
  private apiExit: Promise<number | string | null> | null = null;

  private constructor(url: string, dataDir: string, env: Record<string, string>) {
    this.url = url;
    this.dataDir = dataDir;
    this.env = env;
  }

  /** Ports picked free, a fresh data folder, fault injection on; extra env wins. */
  static async create(dataDir: string, extra: Record<string, string> = {}): Promise<PlatformProcess> {
    mkdirSync(dataDir, { recursive: true });
    const [port, kafkaPort, controllerPort] = [await freePort(), await freePort(), await freePort()];
    const env = {
      PORT: String(port),
      KAFKA_PORT: String(kafkaPort),
      KAFKA_CONTROLLER_PORT: String(controllerPort),
      SPARK_UI_PORT: '0',
      DATA_DIR: dataDir,
      FAULT_INJECTION: 'true',
      LOG_LEVEL: 'info',
      KAFKA_HEAP: '384m',
      SPARK_HEAP: '768m',
      ...extra,
    };
    const p = new PlatformProcess(`http://127.0.0.1:${port}`, dataDir, env);
    cleanupOnExit.add(p);
    return p;
  }

  /** Start the API process (which starts the broker and Spark) and wait until every part is ready (/status). */
  async start(timeoutMs = 300_000): Promise<number> {
    const t0 = Date.now();
    const fd = openSync(join(this.dataDir, 'api.log'), 'a');
    const { KAFKA_BROKERS: _unused, ...inherited } = process.env; // never the test broker
    this.api = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      env: { ...inherited, ...this.env },
      stdio: ['ignore', fd, fd],
      detached: true,
    });
    closeSync(fd);
    const child = this.api;
    this.apiExit = new Promise((r) => child.once('exit', (code, sig) => r(code ?? sig)));
    await this.waitReady(timeoutMs);
    return Date.now() - t0;
  }

  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.api && (this.api.exitCode !== null || this.api.signalCode !== null)) {
        throw new Error(`the platform exited (${this.api.exitCode ?? this.api.signalCode}); see ${join(this.dataDir, 'api.log')}`);
      }
      const s = await this.get('/status').catch(() => null);
      if (s?.status === 'ready') return;
      if (Date.now() > deadline) throw new Error(`the platform was not ready within ${timeoutMs} ms: ${JSON.stringify(s)}`);
      await sleep(500);
    }
  }

  async get(path: string): Promise<any> {
    const res = await fetch(this.url + path, { signal: AbortSignal.timeout(5000) });
    return res.json();
  }

  /** The detailed per-part status (GET /status). */
  status(): Promise<PlatformStatus> {
    return this.get('/status');
  }

  async post(path: string, body?: object): Promise<Response> {
    return fetch(this.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined, signal: AbortSignal.timeout(10_000) });
  }

  apiPid = () => this.api?.pid ?? null;
  brokerPid = () => pidsWith(join(this.dataDir, 'kafka', 'server.properties'), 'kafka.Kafka')[0] ?? null;
  sparkPid = () => pidsWith(`--data-dir=${this.dataDir}`, 'io.emostream.spark.Job')[0] ?? null;

  /** The API process's exit code (or signal), or 'running' if it has not exited within `ms`. */
  async exitWithin(ms: number): Promise<number | string | null> {
    return Promise.race([this.apiExit ?? Promise.resolve(null), sleep(ms).then(() => 'running')]);
  }

  /** Processes still naming the data folder (broker, Spark): none once the platform is down. */
  leftovers = (): number[] => pidsWith(this.dataDir).filter(alive);

  /** kill -9 the API process (its broker and Spark job stay: a restart must cope with them). */
  async killApi(): Promise<void> {
    const pid = this.apiPid();
    if (pid) process.kill(pid, 'SIGKILL');
    await this.apiExit;
  }

  /** SIGTERM the API (an orderly stop of everything) and wait, then make sure nothing is left. */
  async stop(): Promise<void> {
    if (this.api && this.api.exitCode === null && this.api.signalCode === null) {
      this.api.kill('SIGTERM');
      await Promise.race([this.apiExit, sleep(60_000)]);
    }
    this.cleanup();
  }

  /** kill -9 everything this platform started (the API, and every process naming its data folder). */
  cleanup(): void {
    const pids = [this.apiPid(), ...pidsWith(this.dataDir)].filter((p): p is number => p !== null && alive(p));
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGCONT'); // a frozen process cannot die
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    cleanupOnExit.delete(this);
  }
}

const cleanupOnExit = new Set<PlatformProcess>();
process.on('exit', () => {
  for (const p of cleanupOnExit) p.cleanup();
});
// a runner stopped by a signal must not leave the platform behind either
for (const sig of ['SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => {
    for (const p of cleanupOnExit) p.cleanup();
    process.exit(sig === 'SIGTERM' ? 143 : 129);
  });
}
