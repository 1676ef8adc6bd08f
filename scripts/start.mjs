// `npm start`: prepare a fresh clone (npm deps, Gradle build), then run the platform (src/main.ts) in this
// same process through tsx, so Ctrl-C reaches the platform's own shutdown directly.
import { ensureJvmBuild, ensureNodeModules } from './prepare.mjs';

try {
  ensureNodeModules();
  ensureJvmBuild();
} catch (err) {
  process.stderr.write(`npm start: ${err.message}\n`);
  process.exit(1);
}
const { register } = await import('tsx/esm/api');
register();
await import('../src/main.ts');
