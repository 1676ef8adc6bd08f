// The folders under src/ depend only downward: no folder imports a folder that imports it back (directly or
// through others), and only the entry point (main.ts) imports the composition root (src/app/). This test
// reads every module's imports, so it keeps holding as the code grows.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = import.meta.dirname;

function modules(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return modules(p);
    return /\.ts$/.test(e.name) && !/\.test\.ts$/.test(e.name) ? [p] : [];
  });
}

/** The unit a module belongs to: its top folder under src/, or its own name for a file directly in src/. */
const unitOf = (file: string) => relative(SRC, file).split(sep)[0]!.replace(/\.ts$/, '');

/** Relative specifiers of `import … from`, `export … from`, `import '…'` and `import('…')`. */
export function importsOf(code: string): string[] {
  const found = new Set<string>();
  const re = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g;
  for (const m of code.matchAll(re)) found.add(m[1]!);
  return [...found];
}

/** Folder → folders it imports, with one example import per edge (for the failure message). */
function folderGraph(): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  for (const file of modules(SRC)) {
    const from = unitOf(file);
    const edges = graph.get(from) ?? new Map<string, string>();
    graph.set(from, edges);
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      const target = resolve(dirname(file), spec);
      if (!target.startsWith(SRC + sep)) continue;
      const to = unitOf(target);
      if (to !== from && !edges.has(to)) edges.set(to, `${relative(SRC, file)} imports ${spec}`);
    }
  }
  return graph;
}

/** Every cycle's folders (strongly connected components with more than one folder; Tarjan). */
export function cyclesOf(graph: Map<string, Iterable<string>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

describe('src/ layering', () => {
  const graph = folderGraph();

  it('finds the imports it checks (the walk sees every folder)', () => {
    for (const unit of ['actors', 'api', 'app', 'kafka', 'metrics', 'ports', 'push', 'domain']) expect(graph.has(unit), unit).toBe(true);
    expect(graph.get('app')!.has('api')).toBe(true);
  });

  it('has no cycle between folders', () => {
    const cycles = cyclesOf(new Map([...graph].map(([k, v]) => [k, v.keys()])));
    const explain = cycles.map((c) => c.map((a) => c.filter((b) => graph.get(a)!.has(b)).map((b) => graph.get(a)!.get(b)).join('; ')).join('\n'));
    expect(explain).toEqual([]);
  });

  it('lets only the entry point import the composition root (src/app/)', () => {
    const importers = [...graph].filter(([from, edges]) => from !== 'app' && edges.has('app')).map(([from]) => from);
    expect(importers).toEqual(['main']);
  });

  it('has a test file beside every machine file', () => {
    const machines = modules(SRC).filter((f) => f.endsWith('.machine.ts'));
    expect(machines.length).toBeGreaterThanOrEqual(3);
    const untested = machines.filter((f) => !existsSync(f.replace(/\.ts$/, '.test.ts'))).map((f) => relative(SRC, f));
    expect(untested).toEqual([]);
  });

  it('detects a cycle when there is one (the check can fail)', () => {
    expect(cyclesOf(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]))).toEqual([['a', 'b', 'c']]);
    expect(importsOf(`import { x } from '../kafka/a.ts';\nexport * from "./b.ts";\nconst j = await import('../c.ts');`)).toEqual(['../kafka/a.ts', './b.ts', '../c.ts']);
  });
});
