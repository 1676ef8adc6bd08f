// Shared by `npm start` and `npm test`: install what a fresh clone lacks, with no npm dependency of its own.
//  - a supported Node: on a node older than 22, Node 24 (the version in .nvmrc) from the npm registry into .node/,
//    and the calling script re-run under it (ensureNode)
//  - npm dependencies (npm install when node_modules is missing or older than package-lock.json)
//  - the Gradle build of the three JVM runtimes (broker, jvm = Kafka Streams, spark), rebuilt when any
//    Gradle file or Java source is newer than the last build
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { delimiter, join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..');
const say = (m) => process.stderr.write(`[prepare] ${m}\n`);

/** The oldest Node major that runs the project as it is; below it, ensureNode() brings the pinned one. */
export const MIN_NODE_MAJOR = 22;
const PIN = join(ROOT, 'scripts', 'node-runtime'); // package.json + package-lock.json (version and integrity)
export const NODE_DIR = join(ROOT, '.node'); // git-ignored
const REEXEC = 'EMOSTREAM_NODE_REEXEC';
// kafkajs 2.2.4 schedules a timer at a negative delay; Node 20 clamped it to 1 ms silently, Node 22+ says so
// once per process (TimeoutNegativeWarning, tulios/kafkajs#1751). Same behaviour, so the children run quiet.
const QUIET = '--disable-warning=TimeoutNegativeWarning';
const quietOptions = (o = '') => (o.includes(QUIET) ? o : `${o} ${QUIET}`.trim());

/** The pinned Node for this platform: npm package, version, and where its binary lands. Null if none is pinned. */
export function pinnedNode(platform = process.platform, arch = process.arch) {
  const pkg = `node-${platform}-${arch}`;
  const lock = JSON.parse(readFileSync(join(PIN, 'package-lock.json'), 'utf8'));
  const entry = lock.packages[`node_modules/${pkg}`];
  if (!entry) return null;
  const dir = join(NODE_DIR, 'node_modules', pkg);
  return { pkg, version: entry.version, dir, bin: join(dir, 'bin', 'node'), binDir: join(NODE_DIR, 'node_modules', '.bin') };
}

/**
 * On Node MIN_NODE_MAJOR or newer: returns at once, the caller runs as it is. On an older node: fetches the
 * pinned Node (`npm ci` of scripts/node-runtime's lock into .node/, so npm checks the tarball against the
 * integrity committed here) unless it is already there, says so in one line, and re-runs the calling script
 * under it with .node's bin first on PATH, so that every child (npm, npx, tsc, vitest and its forks, tsx)
 * runs under it too. The returned promise then never resolves: this process exits as the re-run one does.
 */
export function ensureNode() {
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= MIN_NODE_MAJOR) {
    process.env.NODE_OPTIONS = quietOptions(process.env.NODE_OPTIONS);
    return Promise.resolve();
  }
  if (process.env[REEXEC]) throw new Error(`re-run under ${process.env[REEXEC]} but still on node ${process.version}`);
  const pin = pinnedNode();
  if (!pin) {
    throw new Error(`node ${process.version} is older than ${MIN_NODE_MAJOR} and no Node is pinned for ${process.platform}-${process.arch}: install Node ${readFileSync(join(ROOT, '.nvmrc'), 'utf8').trim()} (.nvmrc), e.g. \`nvm install\``);
  }
  let how = 'already in .node/';
  if (installedVersion(pin.dir) !== pin.version || !existsSync(pin.bin)) {
    mkdirSync(NODE_DIR, { recursive: true });
    for (const f of ['package.json', 'package-lock.json']) copyFileSync(join(PIN, f), join(NODE_DIR, f));
    rmSync(join(NODE_DIR, 'node_modules'), { recursive: true, force: true });
    const t0 = Date.now();
    const r = spawnSync('npm', ['ci', '--prefix', NODE_DIR, '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: NODE_DIR, stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.error || r.status !== 0 || installedVersion(pin.dir) !== pin.version) {
      throw new Error(`fetching Node ${pin.version} (${pin.pkg}) from the npm registry failed (${r.error?.message ?? `npm ci exit ${r.status}`})`);
    }
    how = `fetched from the npm registry (${pin.pkg}, integrity checked) into .node/ in ${((Date.now() - t0) / 1000).toFixed(1)} s`;
  }
  process.stderr.write(`[node] ${process.version} is older than ${MIN_NODE_MAJOR}: running under Node v${pin.version}, ${how}\n`);
  const child = spawn(pin.bin, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, PATH: `${pin.binDir}${delimiter}${process.env.PATH ?? ''}`, NODE_OPTIONS: quietOptions(process.env.NODE_OPTIONS), [REEXEC]: pin.bin },
  });
  // The terminal's Ctrl-C reaches both processes; a kill aimed at this one alone is passed on. The platform
  // counts a repeated signal within 1.5 s once (src/main.ts).
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const sig of signals) process.on(sig, () => child.kill(sig));
  child.on('error', (err) => {
    process.stderr.write(`[node] could not start ${pin.bin}: ${err.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      for (const sig of signals) process.removeAllListeners(sig);
      process.kill(process.pid, signal);
    }
    process.exit(code ?? 128 + (constants.signals[signal] ?? 0));
  });
  return new Promise(() => {});
}

function installedVersion(dir) {
  try {
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

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
