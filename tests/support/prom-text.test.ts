import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { Metrics, parsePromText, quantileFromBuckets } from './prom-text.ts';

describe('Prometheus text reader', () => {
  it('reads samples with labels, escapes and special values', () => {
    const s = parsePromText('# HELP x y\n# TYPE x counter\nx{a="1",b="q\\"uote"} 3\nup 1\nh_bucket{le="+Inf"} 4\n');
    expect(s).toEqual([
      { name: 'x', labels: { a: '1', b: 'q"uote' }, value: 3 },
      { name: 'up', labels: {}, value: 1 },
      { name: 'h_bucket', labels: { le: '+Inf' }, value: 4 },
    ]);
  });

  it('sums, groups and estimates histogram quantiles like histogram_quantile', async () => {
    const r = new Registry();
    const h = new Histogram({ name: 'lat', help: 'h', labelNames: ['c'], buckets: [0.1, 0.5, 1], registers: [r] });
    for (let i = 0; i < 100; i++) h.observe({ c: i % 2 ? 'a' : 'b' }, i < 90 ? 0.05 : 0.7);
    const m = Metrics.parse(await r.metrics());
    expect(m.sum('lat_count')).toBe(100);
    expect(m.by('lat_count', 'c')).toEqual({ a: 50, b: 50 });
    expect(m.histogramQuantile('lat', 0.5)).toBeCloseTo(0.1 * (50 / 90), 5);
    expect(m.histogramQuantile('lat', 0.99)).toBeCloseTo(0.5 + 0.5 * (9 / 10), 5);
    expect(quantileFromBuckets([], 0.5)).toBeUndefined();
    expect(m.sum('nothing')).toBeUndefined();
  });
});
