// `npm start` (scripts/start.mjs) as a child process of a bench scenario, its output in a log file. stop() ends it
// as Ctrl-C would (SIGTERM) and, past the grace period, kills what is left of its process tree.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { processTree } from './proc.ts';

const START = resolve(import.meta.dirname, '../../scripts/start.mjs');

export interface NpmStart {
  child: ChildProcess;
  readonly exited: boolean;
  stop(graceMs: number): Promise<void>;
}

/** `start`: another checkout's scripts/start.mjs (a before/after in one run); this checkout's by default. */
export function spawnNpmStart(env: NodeJS.ProcessEnv, logFile: string, start = START): NpmStart {
  const out = openSync(logFile, 'a');
  const child = spawn(process.execPath, [start], { env, stdio: ['ignore', out, out] });
  closeSync(out); // the child has its own copy
  let exited = false;
  child.once('exit', () => (exited = true));
  return {
    child,
    get exited() {
      return exited;
    },
    async stop(graceMs) {
      if (exited) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([gone, sleep(graceMs)]);
      if (!exited) for (const p of processTree(child.pid!).reverse()) try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
    },
  };
}
