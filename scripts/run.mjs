// `npm run simulate|tail|monitor|bench`: run a TypeScript script the way `npm start` runs the platform, under a
// supported Node (ensureNode: on a node older than 22, the project's Node 24 from .node/) through tsx.
//   node scripts/run.mjs <file.ts> [args...]   (the script sees process.argv = [node, <file.ts>, args...])
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureNode } from './prepare.mjs';

try {
  await ensureNode();
} catch (err) {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
}
const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node scripts/run.mjs <file.ts> [args...]\n');
  process.exit(2);
}
process.argv.splice(1, 2, resolve(file));
const { register } = await import('tsx/esm/api');
register();
await import(pathToFileURL(resolve(file)).href);
