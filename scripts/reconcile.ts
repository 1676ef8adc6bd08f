// Compare Spark's per-window counts (emoji-windows) with the exact per-window counts (emoji-exact) of one match.
//   npx tsx scripts/reconcile.ts --match ind-aus [--from 2026-11-28T15:00:00Z|<epoch ms>] [--to …] [--json]
// Reads both topics from the beginning to their current end (KAFKA_BROKERS etc. from the environment / .env).
// Exit code 0 when every window agrees, 1 when some differ (each listed), 2 on bad arguments.
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.ts';
import { createKafka } from '../src/kafka/client.ts';
import { readAllWindows, reconcileWindows } from '../src/streams/reconcile.ts';

const { values } = parseArgs({
  options: { match: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, json: { type: 'boolean', default: false } },
});
const time = (v: string | undefined, name: string): number | undefined => {
  if (v === undefined) return undefined;
  const ms = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (Number.isNaN(ms)) {
    console.error(`--${name} must be ISO-8601 or epoch ms`);
    process.exit(2);
  }
  return ms;
};
if (!values.match) {
  console.error('usage: npx tsx scripts/reconcile.ts --match <match_id> [--from <ISO|ms>] [--to <ISO|ms>] [--json]');
  process.exit(2);
}
const config = loadConfig();
const kafka = createKafka(config, 'reconcile');
const [spark, exact] = await Promise.all([
  readAllWindows(kafka, config.topics.windows, values.match),
  readAllWindows(kafka, config.topics.exact, values.match),
]);
const r = reconcileWindows(values.match, spark, exact, { fromMs: time(values.from, 'from'), toMs: time(values.to, 'to') });
if (values.json) {
  console.log(JSON.stringify(r, null, 2));
} else {
  console.log(`match ${r.match_id}: ${r.windows} windows, ${r.agreeing} agree, ${r.differing.length} differ; events: spark ${r.spark_total}, exact ${r.exact_total}`);
  for (const d of r.differing) console.log(`  ${d.window_start}  spark ${JSON.stringify(d.spark)}  exact ${JSON.stringify(d.exact)}`);
}
process.exit(r.ok ? 0 : 1);
