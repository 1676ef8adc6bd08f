// CPU and memory of other processes from /proc (Linux): the bench measures the broker, the Spark job, the
// API and the seed stack's Python processes by pid, each over the same wall-clock window.
import { execSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let tck: number | undefined;
const clockTicks = () => (tck ??= Number(execSync('getconf CLK_TCK').toString().trim()) || 100);

/** utime + stime of one process in ms, and its RSS in MiB; null once it is gone. */
export function procSample(pid: number): { cpuMs: number; rssMiB: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from 3 (state) on
    const ticks = Number(f[11]) + Number(f[12]); // utime (14), stime (15)
    const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { cpuMs: (ticks * 1000) / clockTicks(), rssMiB: rss ? Math.round(Number(rss[1]) / 1024) : 0 };
  } catch {
    return null;
  }
}

/** Each thread of a process by thread id: its name (comm, truncated by Linux to 15 characters) and its CPU (utime + stime, ms); empty once the process is gone. */
export function threadCpu(pid: number): Map<string, { name: string; ms: number }> {
  const out = new Map<string, { name: string; ms: number }>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // after "tid (comm) "
      out.set(tid, { name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), ms: ((Number(f[11]) + Number(f[12])) * 1000) / clockTicks() });
    } catch {
      /* the thread ended meanwhile */
    }
  }
  return out;
}

/**
 * CPU (utime + stime, ms) of a process's threads since the last call, by thread name (a trailing number or "#n" is
 * dropped, so a pool's threads add up), accumulated in `seen` (thread id → last CPU): a thread that ends between
 * two calls keeps what it had counted, one born since counts from zero.
 */
export function threadCpuMs(pid: number, seen: Map<string, number>): Map<string, number> {
  const added = new Map<string, number>();
  for (const [tid, t] of threadCpu(pid)) {
    const name = t.name.replace(/[-#\d\s]+$/, '');
    added.set(name, (added.get(name) ?? 0) + t.ms - (seen.get(tid) ?? 0));
    seen.set(tid, t.ms);
  }
  return added;
}

/** The process and all its descendants. */
export function processTree(root: number): number[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* gone */
    }
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const [pid, pp] of parent) if (pp === out[i]) out.push(pid);
  return out;
}

/** The command line of a process ('' once it is gone). */
export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
}

export interface CpuWindow {
  /** CPU over the window as % of one core */
  cpuPct: number;
  /** RSS at the end of the window (sum over the group) */
  rssMiB: number;
}

/** Start measuring groups of pids; `end()` gives each group's CPU % of one core over the window and its RSS. */
export function cpuWindow<K extends string>(groups: Record<K, number[]>): { end(): Record<K, CpuWindow> } {
  const t0 = performance.now();
  const sum = (pids: number[]) => pids.reduce((a, p) => a + (procSample(p)?.cpuMs ?? 0), 0);
  const start = Object.fromEntries(Object.entries<number[]>(groups).map(([k, pids]) => [k, sum(pids)])) as Record<K, number>;
  return {
    end() {
      const wall = performance.now() - t0;
      const out = {} as Record<K, CpuWindow>;
      for (const [k, pids] of Object.entries<number[]>(groups) as [K, number[]][]) {
        out[k] = {
          cpuPct: +(((sum(pids) - start[k]) / wall) * 100).toFixed(1),
          rssMiB: pids.reduce((a, p) => a + (procSample(p)?.rssMiB ?? 0), 0),
        };
      }
      return out;
    },
  };
}

/** The 1-, 5- and 15-minute load averages as /proc/loadavg gives them ("0.52 0.58 0.59"). */
export const loadAverage = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/**
 * An `npm start` process tree (its root pid) split into its parts: the Spark job's JVM, and the API (Node with its
 * in-process Kafka Streams JVM; scripts/start.mjs and its children). An embedded broker child is in neither.
 */
export function platformParts(rootPid: number): { spark: number[]; api: number[] } {
  const tree = processTree(rootPid);
  const spark = tree.filter((p) => p !== rootPid && /io\.emostream\.spark\.Job|spark/i.test(cmdline(p)) && /java/.test(cmdline(p)));
  const api = tree.filter((p) => !spark.includes(p) && !/kafka\.Kafka/.test(cmdline(p)));
  return { spark, api };
}
