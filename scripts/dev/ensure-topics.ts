import { loadConfig } from '../../src/config.ts';
import { createKafka, ensureTopics } from '../../src/kafka/client.ts';
const c = loadConfig({ KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092' });
const admin = createKafka(c, 'admin').admin();
await admin.connect();
console.log('created', await ensureTopics(admin, c));
console.log('created again', await ensureTopics(admin, c));
await admin.disconnect();
