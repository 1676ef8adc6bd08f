// GET /healthz: the process is alive.
// GET /readyz: what a load balancer needs: this instance can take events and serve viewers (Kafka reachable
//   with the platform topics, the ingest path up, plus the checks the platform passes as `ready`). A part
//   that only degrades something else (Spark, Kafka Streams, a restarting window consumer) does not take the
//   instance out of rotation.
// GET /status: every part, for operators and the dashboard: the /readyz checks plus `status` checks (Spark
//   running and not stuck, Kafka Streams RUNNING, the broker child, the window consumer), each with its
//   supervision phase and restarts when supervised. 200 when every part is ok, else 503.
//   Its details (pids, group ids, why a part is down) go to admins only (src/api/admin.ts); anyone else gets
//   each part's name, ok, phase and restarts.
// Details never carry filesystem paths on /readyz, and only admins see them on /status.
// A check that throws or takes longer than `timeoutMs` counts as not ok.
import { Hono, type Context } from 'hono';
import type { Readiness, ReadinessCheck } from '../../ports/readiness.ts';

export interface HealthChecks {
  /** Checks behind /readyz (and /status). */
  ready: ReadinessCheck[];
  /** Checks behind /status only. */
  status?: ReadinessCheck[];
  /** Whether this request may see /status details (the admin guard); absent: everyone may. */
  detailed?: (c: Context) => Promise<boolean>;
}

// an absolute path (`/x/y`, `C:\x`), not the `//host/…` of a URL
const PATH_RE = /(^|[\s(='"`,;])(?:\/(?!\/)[^\s'"`),;]+|[A-Za-z]:\\[^\s'"`),;]*)/g;
/** A detail with every absolute filesystem path replaced by `[path]`. */
export const withoutPaths = (detail: string): string => detail.replace(PATH_RE, '$1[path]');

export function healthRoutes(checks: HealthChecks | ReadinessCheck[], timeoutMs = 3000): Hono {
  const { ready, status = [], detailed = async () => true } = Array.isArray(checks) ? { ready: checks } : checks;
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
  const answer = async (list: ReadinessCheck[]) => {
    const results = (await Promise.all(list.map(run))).flat();
    return { ok: results.every((r) => r.ok), results };
  };
  return new Hono()
    .get('/healthz', (c) => c.json({ status: 'ok', uptime_s: Math.round((Date.now() - started) / 1000), node: process.version }))
    .get('/readyz', async (c) => {
      const { ok, results } = await answer(ready);
      const shown = results.map((r) => (r.detail === undefined ? r : { ...r, detail: withoutPaths(r.detail) }));
      return c.json({ status: ok ? 'ready' : 'not_ready', checks: shown }, ok ? 200 : 503);
    })
    .get('/status', async (c) => {
      const { ok, results } = await answer([...ready, ...status]);
      const shown = (await detailed(c)) ? results : results.map(({ detail: _, ...r }) => r);
      return c.json({ status: ok ? 'ready' : 'degraded', checks: shown }, ok ? 200 : 503);
    });
}
