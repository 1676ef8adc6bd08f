// The one readiness shape. Every part that can be ready or not (Kafka, the ingest path, Spark, Kafka Streams)
// reports named results in this shape; GET /readyz and GET /status (src/api/routes/health.routes.ts) list them.

export interface Readiness {
  name: string;
  ok: boolean;
  detail?: string;
  /** Supervised parts: running | starting | restarting | failed | stopped. */
  phase?: string;
  /** Supervised parts: restarts since the platform started. */
  restarts?: number;
  /**
   * Supervised parts, only while restarting or starting after a failure that said a dependency is
   * unreachable: that dependency (`kafka`). The part is retried until it is back (no give-up).
   */
  waitingFor?: string;
}

/** One readiness source; it may report several named results (the ingest service reports kafka + ingest). */
export type ReadinessCheck = () => Promise<Readiness | Readiness[]> | Readiness | Readiness[];
