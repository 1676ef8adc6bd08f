// `npm run tail -- <topic> [--from-beginning] [--match ID] [--max N]`: print records of a platform topic,
// one JSON line each (key, partition, offset, value). Reads with its own throw-away consumer group and
// commits nothing. Kafka comes from the same configuration as `npm start` (KAFKA_BROKERS, KAFKA_PORT).
//   npm run tail -- emoji-events --from-beginning --max 5     # events the API accepted
//   npm run tail -- emoji-windows --match ind-aus             # windows from the Spark job, as they come
// A packed record of emoji-events (contracts/event-records.json) prints as its events, one line each, with
// their position in the record.
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.ts';
import { createKafka } from '../src/kafka/client.ts';
import { isPacked } from '../src/kafka/packed.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'from-beginning': { type: 'boolean', default: false },
    match: { type: 'string' },
    max: { type: 'string' },
    ticks: { type: 'boolean', default: false },
  },
});
const config = loadConfig();
const topic = positionals[0] ?? config.topics.windows;
const max = values.max ? Number(values.max) : Infinity;
const kafka = createKafka(config, 'tail');
const consumer = kafka.consumer({ groupId: `emostream-tail-${randomUUID()}`, readUncommitted: false });
let seen = 0;
const stop = async () => {
  await consumer.disconnect().catch(() => {});
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: values['from-beginning'] });
process.stderr.write(`reading ${topic}${values['from-beginning'] ? ' from the beginning' : ' (new records only)'}; Ctrl-C to stop\n`);
await consumer.run({
  autoCommit: false,
  eachMessage: async ({ partition, message }) => {
    const value = message.value?.toString('utf8') ?? '';
    if (!values.ticks && value.includes('"type":"tick"')) return;
    if (values.match && !value.includes(`"match_id":${JSON.stringify(values.match)}`)) return;
    const key = message.key?.toString('utf8') ?? null;
    const parsed = tryJson(value);
    const lines = isPacked(parsed) ? parsed.events.map((v, position) => ({ value: v, position })) : [{ value: parsed }];
    for (const line of lines) {
      const v = line.value as { match_id?: unknown };
      if (values.match && v?.match_id !== values.match) continue;
      process.stdout.write(JSON.stringify({ partition, offset: message.offset, key, ...line }) + '\n');
      if (++seen >= max) return void stop();
    }
  },
});
function tryJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}
