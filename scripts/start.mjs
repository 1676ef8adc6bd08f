// `npm start`: prepare a fresh clone (a supported Node, npm deps, Gradle build), then run the platform
// (src/main.ts) in this same process through tsx, so Ctrl-C reaches the platform's own shutdown directly.
import { ensureJvmBuild, ensureNode, ensureNodeModules } from './prepare.mjs';

try {
  await ensureNode(); // on a node older than 22: re-runs this script under the project's Node 24
  ensureNodeModules();
  ensureJvmBuild();
} catch (err) {
  process.stderr.write(`npm start: ${err.message}\n`);
  process.exit(1);
}
const { register } = await import('tsx/esm/api');
register();
await import('../src/main.ts');
