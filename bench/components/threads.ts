// CPU per thread of running processes over a window, from /proc/<pid>/task/*/stat (utime + stime) and the thread
// names in /proc/<pid>/task/<tid>/comm, grouped by name with the digits folded (`data-plane-kafka-…-3` →
// `data-plane-kafka-…-#`). What the idle figures in the README were taken with: which thread of the broker, the
// Spark job or the API (with its in-process Kafka Streams JVM) spends the platform's CPU at rest.
//   npx tsx bench/components/threads.ts --seconds 60 broker=<pid> spark=<pid> api=<pid>
// Prints, per process, its total as % of one core and each thread group's share; the load average before and after.
import { setTimeout as sleep } from 'node:timers/promises';
import { loadAverage as load, threadCpu } from '../lib/proc.ts';

/** thread id → its name with the digits folded, and its CPU (ms) */
function snapshot(pid: number): Map<string, { name: string; ms: number }> {
  const out = new Map<string, { name: string; ms: number }>();
  for (const [tid, t] of threadCpu(pid)) out.set(tid, { name: t.name.replace(/\d+/g, '#'), ms: t.ms });
  return out;
}

const args = process.argv.slice(2);
const si = args.indexOf('--seconds');
const seconds = si >= 0 ? Number(args[si + 1]) : 60;
const procs = args.filter((a, i) => a.includes('=') && i !== si + 1).map((a) => {
  const [label, pid] = a.split('=');
  return { label: label!, pid: Number(pid) };
});
if (procs.length === 0 || !Number.isFinite(seconds)) {
  console.error('usage: threads.ts [--seconds 60] label=pid [label=pid …]');
  process.exit(2);
}
const load0 = load();
const before = procs.map((p) => snapshot(p.pid));
const t0 = performance.now();
await sleep(seconds * 1000);
const after = procs.map((p) => snapshot(p.pid));
const dt = (performance.now() - t0) / 1000;
console.log(`window ${dt.toFixed(1)} s, load average ${load0} -> ${load()}`);
const pct = (ms: number) => (100 * ms) / 1000 / dt;
procs.forEach((p, i) => {
  const groups = new Map<string, { ms: number; threads: number }>();
  let total = 0;
  for (const [tid, t] of after[i]!) {
    const d = t.ms - (before[i]!.get(tid)?.ms ?? 0);
    const g = groups.get(t.name) ?? { ms: 0, threads: 0 };
    g.ms += d;
    g.threads++;
    groups.set(t.name, g);
    total += d;
  }
  console.log(`== ${p.label} (pid ${p.pid}): ${pct(total).toFixed(2)}% of a core, ${after[i]!.size} threads`);
  for (const [name, g] of [...groups].sort((a, b) => b[1].ms - a[1].ms)) {
    if (g.ms > 0) console.log(`  ${pct(g.ms).toFixed(2).padStart(6)}%  ${name} (×${g.threads})`);
  }
});
