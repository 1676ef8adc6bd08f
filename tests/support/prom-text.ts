// A small reader for the Prometheus text exposition (what GET /metrics returns), used by the monitor,
// the simulator and the benchmarks. Not a full parser: samples only, no timestamps or exemplars.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parsePromText(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    if (m[2]) for (const l of m[2].matchAll(LABEL)) labels[l[1]!] = l[2]!.replace(/\\"/g, '"').replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
    const v = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    out.push({ name: m[1]!, labels, value: v });
  }
  return out;
}

export class Metrics {
  constructor(readonly samples: Sample[]) {}
  static parse(text: string): Metrics {
    return new Metrics(parsePromText(text));
  }
  /** Samples of one metric whose labels include `match`. */
  select(name: string, match: Record<string, string> = {}): Sample[] {
    return this.samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
  }
  /** Sum over the selected samples; undefined when there are none. */
  sum(name: string, match: Record<string, string> = {}): number | undefined {
    const s = this.select(name, match);
    return s.length ? s.reduce((a, x) => a + x.value, 0) : undefined;
  }
  /** Sum grouped by one label. */
  by(name: string, label: string, match: Record<string, string> = {}): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this.select(name, match)) out[s.labels[label] ?? ''] = (out[s.labels[label] ?? ''] ?? 0) + s.value;
    return out;
  }
  /**
   * A quantile estimated from a histogram's cumulative buckets (linear inside the bucket, as Prometheus'
   * histogram_quantile does); undefined without observations.
   */
  histogramQuantile(name: string, q: number, match: Record<string, string> = {}): number | undefined {
    const buckets = new Map<number, number>();
    for (const s of this.select(`${name}_bucket`, match)) {
      const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
      buckets.set(le, (buckets.get(le) ?? 0) + s.value);
    }
    return quantileFromBuckets([...buckets.entries()].sort((a, b) => a[0] - b[0]), q);
  }
}

/** `sorted`: [upper bound, cumulative count] ascending, last bound +Inf. */
export function quantileFromBuckets(sorted: [number, number][], q: number): number | undefined {
  const total = sorted.length ? sorted[sorted.length - 1]![1] : 0;
  if (!total) return undefined;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, count] of sorted) {
    if (count >= rank) {
      if (le === Infinity) return prevLe; // beyond the last finite bucket: its bound is the best estimate
      const inBucket = count - prevCount;
      return inBucket > 0 ? prevLe + (le - prevLe) * ((rank - prevCount) / inBucket) : le;
    }
    prevLe = le;
    prevCount = count;
  }
  return prevLe;
}
