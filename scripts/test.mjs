// `npm test`: every test, JVM and TypeScript, against real components.
//   1. prepare (a supported Node, npm deps, Gradle build of the three runtimes), then the TypeScript type check
//   2. Gradle tests (JUnit: broker-free topology and aggregation tests)
//   3. vitest (unit tests, then integration tests against a real broker that tests/setup/global.ts starts)
// Extra arguments go to vitest (e.g. `npm test -- tests/ingest.test.ts`); SKIP_JVM_TESTS=1 skips step 2.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureJvmBuild, ensureNode, ensureNodeModules, ROOT } from './prepare.mjs';

const t0 = Date.now();
const step = (name, cmd, args) => {
  const s = Date.now();
  process.stderr.write(`\n[test] ${name}: ${cmd} ${args.join(' ')}\n`);
  // EMOSTREAM_TEST_NODE: tests/node-runtime.test.ts checks that vitest's workers run on this same binary
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, EMOSTREAM_TEST_NODE: process.execPath } });
  const secs = ((Date.now() - s) / 1000).toFixed(1);
  if (r.status !== 0) {
    process.stderr.write(`[test] ${name} FAILED after ${secs} s (exit ${r.status ?? r.signal})\n`);
    process.exit(r.status || 1);
  }
  process.stderr.write(`[test] ${name} passed in ${secs} s\n`);
};

try {
  await ensureNode(); // on a node older than 22: re-runs this script under the project's Node 24
  process.stderr.write(`[test] node ${process.version} (${process.execPath})\n`);
  ensureNodeModules();
  ensureJvmBuild();
} catch (err) {
  process.stderr.write(`npm test: ${err.message}\n`);
  process.exit(1);
}
const vitestArgs = process.argv.slice(2);
if (vitestArgs.length === 0) step('type check (tsc --noEmit, strict)', 'npx', ['tsc', '--noEmit', '-p', '.']);
const counts = { passed: 0, failed: 0, skipped: 0 };
if (!process.env.SKIP_JVM_TESTS && vitestArgs.length === 0) {
  step('JVM tests (Gradle, JUnit 4)', 'gradle', ['--no-daemon', '-q', 'test']);
  const junit = junitCounts();
  process.stderr.write(`[test] JUnit: ${junit.passed} passed, ${junit.failed} failed, ${junit.skipped} skipped\n`);
  add(junit);
}
const vitestJson = join(ROOT, 'build', 'vitest-results.json');
rmSync(vitestJson, { force: true });
step('TypeScript tests (vitest)', 'npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestJson}`, ...vitestArgs]);
if (existsSync(vitestJson)) {
  const v = JSON.parse(readFileSync(vitestJson, 'utf8'));
  add({ passed: v.numPassedTests, failed: v.numFailedTests, skipped: v.numPendingTests + (v.numTodoTests ?? 0) });
}
process.stderr.write(`\n[test] all passed in ${((Date.now() - t0) / 1000).toFixed(1)} s (JUnit + vitest, node ${process.version})\n`);
process.stdout.write(`total: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);

function add(c) {
  for (const k of Object.keys(counts)) counts[k] += c[k];
}

/** Sum the JUnit XML reports Gradle wrote for this run's three subprojects. */
function junitCounts() {
  const c = { passed: 0, failed: 0, skipped: 0 };
  for (const sub of ['broker', 'jvm', 'spark']) {
    const dir = join(ROOT, sub, 'build', 'test-results', 'test');
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.xml'))) {
      const head = readFileSync(join(dir, f), 'utf8').slice(0, 600);
      const num = (attr) => Number(new RegExp(`${attr}="(\\d+)"`).exec(head)?.[1] ?? 0);
      const failed = num('failures') + num('errors');
      c.failed += failed;
      c.skipped += num('skipped');
      c.passed += num('tests') - failed - num('skipped');
    }
  }
  return c;
}
