// The ingest path's producer against its alternatives, on the same records, the same broker, in the same run
// (bench/lib/producers.ts: kafkajs settings, the Java KafkaProducer in the API's JVM, many events per Kafka
// record): durable events/s with no HTTP in front, 1,000 events a send, 8 sends in flight. The row's ratio is
// the fastest variant that keeps the ingest contract (idempotent producer, acks=all, one event per record
// keyed by user_id) ÷ the ingest path's kafkajs producer today; the variants that do not keep it (many events
// a record: a wire-format change; kafkajs without idempotence) are in the notes, for what they would buy.
import { isMain, runStandalone, type BenchContext, type ScenarioResult } from '../lib/context.ts';
import { measureProducers, type ProducerRow } from '../lib/producers.ts';
import { fmt } from '../lib/rows.ts';

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 10_000);
const BATCH = 1000;
const CONCURRENCY = 8;

export async function producers(ctx: BenchContext): Promise<ScenarioResult> {
  const t0 = Date.now();
  ctx.log(`producers: ${BATCH} events a send, ${CONCURRENCY} in flight, ${DURATION_MS} ms each`);
  const rows = await measureProducers({ brokers: ctx.brokers, seconds: DURATION_MS / 1000, batch: BATCH, concurrency: CONCURRENCY, log: (m) => ctx.log(`  ${m}`) });
  const today = rows.find((r) => r.name === 'kafkajs');
  const keep = rows.filter((r) => r.contract);
  const best = keep.reduce<ProducerRow | undefined>((a, r) => (!a || r.eps > a.eps ? r : a), undefined);
  const cell = (r: ProducerRow) => `${r.name} ${fmt(r.eps)}`;
  return {
    name: 'producers',
    rows: [
      {
        id: 'ingest/alternatives',
        title: `Ingest alternatives on the same records (kafkajs settings, many events a record, Java KafkaProducer), durable events/s, ${BATCH} events a send, ${CONCURRENCY} in flight, no HTTP`,
        ingestOnly: keep.map(cell).join('; '),
        baseline: today ? `the ingest path's kafkajs producer: ${fmt(today.eps)} events/s` : '',
        ratio: today && best ? `${best.name}: ${fmt(+(best.eps / today.eps).toFixed(2))}` : '–',
        notes: `breaking the contract: ${rows
          .filter((r) => !r.contract)
          .map(cell)
          .join('; ')} (plain = kafkajs without idempotence; packed = INGEST_PACK_EVENTS=100, up to 100 events of one partition a Kafka record). Node CPU: ${rows.map((r) => `${r.name} ${r.cpuPct}%`).join(', ')}`,
      },
    ],
    details: { duration_ms: DURATION_MS, batch: BATCH, concurrency: CONCURRENCY, rows },
    seconds: Math.round((Date.now() - t0) / 1000),
  };
}

if (isMain(import.meta.url)) await runStandalone('producers', producers);
