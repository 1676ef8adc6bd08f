// The top frames of a V8 CPU profile (node --cpu-prof) by self time, with their share of all samples.
//   npx tsx bench/components/top-frames.ts <file.cpuprofile | folder> [--top 25] [--by function|file] [--last-s N]
// `--last-s N` counts only the samples of the profile's last N seconds: a server profiled by ingest-ab.ts
// spends its first seconds loading modules, and its last ones under the measured load.
// `--by file` sums self time per script (node internals, kafkajs, hono, src/…), which shows where a layer's
// cost is spread over many small functions; `--by total` ranks functions by inclusive time (self + callees,
// each sample counted once per function however deep its recursion): what one middleware costs in all
// (the synchronous part of each call: an async function's awaited callees show under their own frames).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' }, by: { type: 'string', default: 'function' }, 'last-s': { type: 'string' } } });
const target = positionals[0];
if (!target) throw new Error('usage: top-frames.ts <file.cpuprofile | folder>');
const files = statSync(target).isDirectory()
  ? readdirSync(target).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(target, f))
  : [target];

const short = (url: string) =>
  url
    .replace(/^file:\/\//, '')
    .replace(/.*\/node_modules\//, '')
    .replace(/.*\/(src|bench|tests)\//, '$1/');

for (const file of files) {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const fnKey = (f: Node['callFrame']) => `${f.functionName || '(anonymous)'} ${f.url ? `${short(f.url)}:${f.lineNumber + 1}` : ''}`.trim();
  const self = new Map<string, number>();
  let total = 0;
  // the first sample counted: the one after which the profile's last N seconds remain
  let first = 0;
  if (values['last-s'] !== undefined) {
    let left = Number(values['last-s']) * 1e6;
    for (first = p.samples.length; first > 0 && left > 0; ) left -= p.timeDeltas[--first] ?? 0;
  }
  for (let i = first; i < p.samples.length; i++) {
    const n = byId.get(p.samples[i]!)!;
    const dt = p.timeDeltas[i] ?? 0;
    total += dt;
    const f = n.callFrame;
    if (values.by === 'total') {
      const seen = new Set<string>();
      for (let id: number | undefined = n.id; id !== undefined; id = parent.get(id)) {
        const k = fnKey(byId.get(id)!.callFrame);
        if (seen.has(k) || k === '(root)') continue;
        seen.add(k);
        self.set(k, (self.get(k) ?? 0) + dt);
      }
      continue;
    }
    const key =
      values.by === 'file'
        ? f.url
          ? short(f.url).replace(/\/(lib|dist|src)\/.*$/, '') + (f.url.includes('node_modules') ? '' : '')
          : `(${f.functionName || 'native'})`
        : fnKey(f);
    self.set(key, (self.get(key) ?? 0) + dt);
  }
  const rows = [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top));
  console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled`);
  for (const [k, t] of rows) console.log(`${((t / total) * 100).toFixed(1).padStart(5)}%  ${(t / 1000).toFixed(0).padStart(7)} ms  ${k}`);
}
