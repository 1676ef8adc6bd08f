// GET /healthz: the process is alive. GET /readyz: every readiness check passes (Kafka reachable with the
// platform topics, the ingest path up, plus whatever other parts register: Spark, Kafka Streams, ...).
// A check that throws or takes longer than `timeoutMs` counts as not ready.
import { Hono } from 'hono';
import type { Readiness, ReadinessCheck } from '../../ports/readiness.ts';

export function healthRoutes(checks: ReadinessCheck[], timeoutMs = 3000): Hono {
  const started = Date.now();
  const run = async (check: ReadinessCheck, i: number): Promise<Readiness[]> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      const r = await Promise.race([
        Promise.resolve().then(check),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs))),
      ]);
      return Array.isArray(r) ? r : [r];
    } catch (err) {
      return [{ name: check.name || `check-${i}`, ok: false, detail: err instanceof Error ? err.message : String(err) }];
    } finally {
      clearTimeout(timer);
    }
  };
  return new Hono()
    .get('/healthz', (c) => c.json({ status: 'ok', uptime_s: Math.round((Date.now() - started) / 1000), node: process.version }))
    .get('/readyz', async (c) => {
      const results = (await Promise.all(checks.map(run))).flat();
      const ready = results.every((r) => r.ok);
      return c.json({ status: ready ? 'ready' : 'not_ready', checks: results }, ready ? 200 : 503);
    });
}
