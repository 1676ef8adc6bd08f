// The seed-stack baseline (bench/peer/main.py: Flask + kafka-python, as the original project's users run
// it): a virtual environment of the bench's own (.bench-venv/, git-ignored, the pins of
// bench/peer/requirements.txt, made once and reused while the pins match), and the app started as
// `python3 main.py` (Flask's threaded development server) or `gunicorn -w 2 main:app` on a free port.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { portOpen } from '../../src/kafka/broker.ts';
import { freePort } from './context.ts';
import { processTree } from './proc.ts';

const PEER_DIR = resolve(import.meta.dirname, '../peer');
const VENV = resolve(import.meta.dirname, '../../.bench-venv');
const REQUIREMENTS = join(PEER_DIR, 'requirements.txt');
const MARK = join(VENV, 'emostream-requirements.txt');

export type PeerKind = 'flask' | 'gunicorn';
export const PEER_COMMAND: Record<PeerKind, string> = { flask: 'python3 main.py', gunicorn: 'gunicorn -w 2 main:app' };

/** The venv's bin folder, made if needed; or why the seed stack cannot run here. */
export function ensureVenv(log: (m: string) => void): { bin: string } | { unavailable: string } {
  const py = spawnSync('python3', ['--version'], { encoding: 'utf8' });
  if (py.status !== 0) return { unavailable: 'python3 not found: the seed-stack rows are not measured' };
  const bin = join(VENV, 'bin');
  const want = readFileSync(REQUIREMENTS, 'utf8');
  if (existsSync(MARK) && readFileSync(MARK, 'utf8') === want) return { bin };
  log(`making ${VENV} (${py.stdout.trim()}) with ${want.trim().split('\n').join(', ')}`);
  const steps: [string, string[]][] = [
    ['python3', ['-m', 'venv', '--clear', VENV]],
    [join(bin, 'pip'), ['install', '--quiet', '--disable-pip-version-check', '-r', REQUIREMENTS]],
  ];
  for (const [cmd, args] of steps) {
    const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 300_000 });
    if (r.status !== 0) return { unavailable: `\`${cmd} ${args.join(' ')}\` failed: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}` };
  }
  writeFileSync(MARK, want);
  return { bin };
}

export interface Peer {
  url: string;
  /** every process of the stack (gunicorn: the arbiter and its workers), for CPU and RSS */
  pids(): number[];
  stop(): Promise<void>;
}

export async function startPeer(kind: PeerKind, o: { bin: string; brokers: string; topic: string; logFile: string }): Promise<Peer> {
  const port = await freePort();
  const env = { ...process.env, KAFKA_BROKERS: o.brokers, TOPIC: o.topic, PORT: String(port), PATH: `${o.bin}:${process.env.PATH}`, PYTHONUNBUFFERED: '1' };
  const out = openSync(o.logFile, 'a');
  const child: ChildProcess =
    kind === 'flask'
      ? spawn(join(o.bin, 'python3'), ['main.py'], { cwd: PEER_DIR, env, stdio: ['ignore', out, out] })
      : spawn(join(o.bin, 'gunicorn'), ['-w', '2', '-b', `127.0.0.1:${port}`, 'main:app'], { cwd: PEER_DIR, env, stdio: ['ignore', out, out] });
  let exited = false;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + 60_000;
  while (!(await portOpen(port))) {
    if (exited) throw new Error(`${PEER_COMMAND[kind]} exited before listening (log ${o.logFile})`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${PEER_COMMAND[kind]} did not listen within 60 s (log ${o.logFile})`);
    }
    await sleep(200);
  }
  // gunicorn's workers come up after the arbiter binds: wait for an answer
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/emoji`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"user_id":"warm","emoji_type":"🔥","timestamp":0}' });
      if (r.ok) break;
    } catch {
      /* not yet */
    }
    await sleep(200);
  }
  return {
    url: `http://127.0.0.1:${port}`,
    pids: () => processTree(child.pid!),
    async stop() {
      if (exited) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([gone, sleep(10_000)]);
      if (!exited) for (const p of processTree(child.pid!).reverse()) try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
    },
  };
}
