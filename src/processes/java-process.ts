// Child processes the platform runs (the embedded broker and the Spark job are JVMs): spawn one with its log in
// a file under the data folder; stop() asks politely (SIGTERM) and insists after a timeout.
// The log rolls: the JVM's log4j2 writes `logFile` itself (log4j2-rolling.properties in the runtime, merged
// over its log4j2.properties), rolling at JVM_LOG_MAX_BYTES and keeping JVM_LOG_FILES older files
// (`logFile.1` newest). What the JVM prints outside log4j2 (a crash, an early failure) goes to `<logFile>.out`,
// moved aside to `.out.1` at a start when it has grown past JVM_LOG_MAX_BYTES.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface JavaProcessOptions {
  name: string;
  /** Folder holding every jar of this runtime (Gradle's `copyRuntimeLibs` output). */
  libDir: string;
  mainClass: string;
  args?: string[];
  heap: string;
  jvmArgs?: string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface JavaProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  stop(timeoutMs?: number): Promise<void>;
}

export const JVM_LOG_MAX_BYTES = 20 * 1024 * 1024;
export const JVM_LOG_FILES = 5;

/**
 * The system properties that make a JVM's log4j2 roll `logFile` (see the top of this file); `configuration`:
 * the log4j2 configuration resources (the in-process Kafka Streams JVM passes its own).
 */
export const rollingLogFlags = (logFile: string, configuration = 'log4j2.properties,log4j2-rolling.properties'): string[] => [
  `-Dlog4j2.configurationFile=${configuration}`,
  `-Demostream.log.file=${logFile}`,
  `-Demostream.log.maxSize=${JVM_LOG_MAX_BYTES}`,
  `-Demostream.log.files=${JVM_LOG_FILES}`,
];

export const javaBin = (): string => (process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java');

export function assertBuilt(libDir: string, what: string): void {
  if (!existsSync(libDir)) {
    throw new Error(`${what} is not built (${libDir} is missing): run \`npm run build:jvm\` (npm start does this itself)`);
  }
}

/** Every child JVM still running, for the last-resort handler (src/main.ts). */
const running = new Set<ChildProcess>();

/** SIGKILL every child JVM still running (last resort: the orderly stop failed or took too long). */
export function killChildJvms(): number {
  let n = 0;
  for (const child of running) {
    try {
      child.kill('SIGKILL');
      n++;
    } catch {
      /* gone */
    }
  }
  return n;
}

export function spawnJava(o: JavaProcessOptions): JavaProcess {
  assertBuilt(o.libDir, o.name);
  mkdirSync(dirname(o.logFile), { recursive: true });
  // The JVM writes its log files directly (not through Node), so the log survives whatever Node does.
  const outFile = `${o.logFile}.out`;
  try {
    if (statSync(outFile).size > JVM_LOG_MAX_BYTES) renameSync(outFile, `${outFile}.1`);
  } catch {
    /* no output file yet */
  }
  const fd = openSync(outFile, 'a');
  const args = [`-Xmx${o.heap}`, ...(o.jvmArgs ?? []), ...rollingLogFlags(o.logFile), '-cp', join(o.libDir, '*'), o.mainClass, ...(o.args ?? [])];
  const child = spawn(javaBin(), args, {
    cwd: o.cwd,
    env: { ...process.env, ...o.env },
    stdio: ['ignore', fd, fd],
    // Own process group: a Ctrl-C in the terminal reaches Node only, which then stops children in order.
    detached: true,
  });
  closeSync(fd);
  running.add(child);
  child.once('exit', () => running.delete(child));
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    child.once('error', () => resolve('spawn-error'));
  });
  let stopping: Promise<void> | null = null;
  return {
    name: o.name,
    child,
    logFile: o.logFile,
    exited,
    stop(timeoutMs = 30_000) {
      if (stopping) return stopping;
      stopping = (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}

/** Run a JVM to completion (e.g. a one-off tool); rejects with the tail of its output on failure. */
export function runJava(o: Omit<JavaProcessOptions, 'logFile'> & { logFile?: string }): Promise<string> {
  assertBuilt(o.libDir, o.name);
  return new Promise((resolve, reject) => {
    const args = [`-Xmx${o.heap}`, ...(o.jvmArgs ?? []), '-cp', join(o.libDir, '*'), o.mainClass, ...(o.args ?? [])];
    const child = spawn(javaBin(), args, { cwd: o.cwd, env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${o.name} exited with ${code}:\n${out.slice(-2000)}`)),
    );
  });
}
