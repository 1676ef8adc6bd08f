// Kafka producers from Node on the SAME records, SAME broker, SAME run (the variants: bench/lib/producers.ts;
// `npm run bench` reports them as the `ingest/alternatives` row through bench/scenarios/producers.ts).
//   npx tsx bench/components/producers.ts [--seconds 8] [--batch 1000] [--concurrency 8] [--brokers 127.0.0.1:9092] [--only name,name]
// BENCH_KAFKAJS_RECORD=original keeps kafkajs' own record encoder, CRC-32C and murmur2 (the A/B of src/kafka/kafkajs-record.ts).
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { loadAverage } from '../lib/proc.ts';

if (process.env.BENCH_KAFKAJS_RECORD === 'original') keepKafkajsRecordEncoder();
const { measureProducers } = await import('../lib/producers.ts');
const { kafkajsRecordFast } = await import('../../src/kafka/kafkajs-record.ts');

/** Loads kafkajs' own record encoder and CRC-32C first, so that src/kafka/kafkajs-record.ts leaves them in place. */
function keepKafkajsRecordEncoder(): void {
  const require = createRequire(import.meta.url);
  require('kafkajs/src/protocol/recordBatch/record/v0/index.js');
  require('kafkajs/src/protocol/recordBatch/crc32C/index.js');
  require('kafkajs/src/producer/partitioners/default/murmur2.js');
}

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    batch: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '8' },
    brokers: { type: 'string', default: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092' },
    only: { type: 'string' },
  },
});
const rows = await measureProducers({
  brokers: values.brokers,
  seconds: Number(values.seconds),
  batch: Number(values.batch),
  concurrency: Number(values.concurrency),
  only: values.only?.split(','),
  log: (m) => process.stderr.write(`${m}\n`),
});
console.log(`\nproducers (kafkajs record encoder: ${kafkajsRecordFast() ? 'ours' : "kafkajs' own"}), ${values.concurrency} concurrent sends of ${values.batch} events, ${values.seconds} s each; load average ${loadAverage()}`);
console.log('| producer | keeps the contract | durable events/s | send p50 ms | send p99 ms | Node CPU % |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const r of rows) console.log(`| ${r.name} | ${r.contract ? 'yes' : 'no'} | ${r.eps} | ${r.sendP50} | ${r.sendP99} | ${r.cpuPct} |`);
process.exit(0);
