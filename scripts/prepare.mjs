// Shared by `npm start` and `npm test`: install what a fresh clone lacks, with no npm dependency of its own.
//  - npm dependencies (npm install when node_modules is missing or older than package-lock.json)
//  - the Gradle build of the three JVM runtimes (broker, jvm = Kafka Streams, spark), rebuilt when any
//    Gradle file or Java source is newer than the last build
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..');
const say = (m) => process.stderr.write(`[prepare] ${m}\n`);

function newest(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let m = st.mtimeMs;
  for (const e of readdirSync(path)) if (e !== 'build' && e !== '.gradle') m = Math.max(m, newest(join(path, e)));
  return m;
}

function run(cmd, args, what) {
  const t0 = Date.now();
  say(`${what}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit' });
  if (r.error) throw new Error(`${what} failed to start: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status})`);
  say(`${what} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

export function ensureNodeModules() {
  const lock = join(ROOT, 'package-lock.json');
  const marker = join(ROOT, 'node_modules', '.package-lock.json');
  if (existsSync(marker) && newest(marker) >= newest(lock)) return;
  // `npm install`, not `npm ci`: see .ci/run (java-bridge's unpublished optional platform packages).
  run('npm', ['install', '--no-audit', '--no-fund'], 'installing npm dependencies');
}

const STAMP = join(ROOT, 'build', 'jvm-libs.stamp');
const RUNTIMES = ['broker', 'jvm', 'spark'];

export function jvmBuildIsCurrent() {
  if (!existsSync(STAMP)) return false;
  if (RUNTIMES.some((p) => !existsSync(join(ROOT, p, 'build', 'runtime-libs')))) return false;
  const sources = Math.max(
    newest(join(ROOT, 'build.gradle')),
    newest(join(ROOT, 'settings.gradle')),
    newest(join(ROOT, 'gradle.properties')),
    ...RUNTIMES.map((p) => newest(join(ROOT, p))),
  );
  return statSync(STAMP).mtimeMs >= sources;
}

export function ensureJvmBuild({ force = false } = {}) {
  if (!force && jvmBuildIsCurrent()) return;
  try {
    execFileSync('gradle', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error("Gradle is not installed. On Debian: `sudo apt-get install -y gradle` (4.4.1 is what this build is written for).");
  }
  run('gradle', ['--no-daemon', '-q', 'copyRuntimeLibs'], 'building the JVM parts (Kafka broker, Kafka Streams, Spark)');
  mkdirSync(join(ROOT, 'build'), { recursive: true });
  writeFileSync(STAMP, new Date().toISOString() + '\n');
}
