// `npm test`: every test, JVM and TypeScript, against real components.
//   1. prepare (npm deps, Gradle build of the three runtimes), then the TypeScript type check
//   2. Gradle tests (JUnit: broker-free topology and aggregation tests)
//   3. vitest (unit tests, then integration tests against a real broker that tests/setup/global.ts starts)
// Extra arguments go to vitest (e.g. `npm test -- tests/ingest.test.ts`); SKIP_JVM_TESTS=1 skips step 2.
import { spawnSync } from 'node:child_process';
import { ensureJvmBuild, ensureNodeModules, ROOT } from './prepare.mjs';

const t0 = Date.now();
const step = (name, cmd, args) => {
  const s = Date.now();
  process.stderr.write(`\n[test] ${name}: ${cmd} ${args.join(' ')}\n`);
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit' });
  const secs = ((Date.now() - s) / 1000).toFixed(1);
  if (r.status !== 0) {
    process.stderr.write(`[test] ${name} FAILED after ${secs} s (exit ${r.status ?? r.signal})\n`);
    process.exit(r.status || 1);
  }
  process.stderr.write(`[test] ${name} passed in ${secs} s\n`);
};

try {
  ensureNodeModules();
  ensureJvmBuild();
} catch (err) {
  process.stderr.write(`npm test: ${err.message}\n`);
  process.exit(1);
}
const vitestArgs = process.argv.slice(2);
if (vitestArgs.length === 0) step('type check (tsc --noEmit, strict)', 'npx', ['tsc', '--noEmit', '-p', '.']);
if (!process.env.SKIP_JVM_TESTS && vitestArgs.length === 0) step('JVM tests (Gradle, JUnit 4)', 'gradle', ['--no-daemon', '-q', 'test']);
step('TypeScript tests (vitest)', 'npx', ['vitest', 'run', ...vitestArgs]);
process.stderr.write(`\n[test] all passed in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
