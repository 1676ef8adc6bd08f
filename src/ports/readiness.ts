// The one readiness shape. Every part that can be ready or not (Kafka, the ingest path, Spark, Kafka Streams)
// reports named results in this shape; GET /readyz (src/api/routes/health.routes.ts) lists them all.

export interface Readiness {
  name: string;
  ok: boolean;
  detail?: string;
}

/** One readiness source; it may report several named results (the ingest service reports kafka + ingest). */
export type ReadinessCheck = () => Promise<Readiness | Readiness[]> | Readiness | Readiness[];
