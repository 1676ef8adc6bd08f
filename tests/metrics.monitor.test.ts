// npm run monitor against a real HTTP server exposing the registry: one frame (--once) shows the Spark
// progress, ingest figures and the clusters.
import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricsRoutes } from '../src/api/routes/metrics.routes.ts';
import { eventsAccepted } from '../src/metrics/registry.ts';
import { parseSparkProgress, recordSparkProgress } from '../src/metrics/spark-progress.ts';

let server: ServerType;
let url = '';

beforeAll(async () => {
  const app = new Hono();
  app.route('/', metricsRoutes());
  app.get('/v1/clusters', (c) =>
    c.json({ clusters: [{ cluster_id: 'c1', status: 'up', viewers: 7, capacity: 30000, subscribers: [{ subscriber_id: 'c1-s1', viewers: 7, subscriptions: 7, capacity: 10000 }] }] }),
  );
  server = await new Promise<ServerType>((r) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => r(s));
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  recordSparkProgress(parseSparkProgress(JSON.stringify({ type: 'spark-progress', batch_id: 77, timestamp: new Date().toISOString(), input_rows_per_second: 1234.5, batch_duration_ms: 420, watermark: new Date(Date.now() - 1500).toISOString() }))!);
  // events arrive while the monitor polls, so it shows a rate
  const timer = setInterval(() => eventsAccepted.inc({ endpoint: 'single' }, 100), 50);
  setTimeout(() => clearInterval(timer), 4000);
});
afterAll(() => server?.close());

describe('npm run monitor', () => {
  it('prints one frame with the Spark job, ingest and clusters', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/monitor.ts', '--url', url, '--once', '--interval', '1000'], { timeout: 30_000 });
    const text = stdout.replace(/\x1b\[[0-9;]*m/g, '');
    expect(text).toContain('Spark job  running');
    expect(text).toMatch(/batch 77 +input 1,234.5 rows\/s/);
    expect(text).toContain('batch duration 420 ms');
    expect(text).toMatch(/accepted [1-9][\d,]* events\/s/);
    expect(text).toMatch(/c1 +[█·]+ 7 +\/ 30,000 +1 subscribers/);
  });
});
