// vitest global setup: the integration tests need a real Kafka broker. With KAFKA_BROKERS set, that cluster
// is used; otherwise an embedded broker (the same one `npm start` runs) is started on TEST_KAFKA_PORT
// (default 29092, away from npm start's 9092) with its data under test-data/, and stopped at the end.
// Workers see the address as process.env.KAFKA_BROKERS (and through vitest's inject('kafkaBrokers')).
import { mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '../../src/config.ts';
import { portOpen, startEmbeddedBroker, type EmbeddedBroker } from '../../src/kafka/broker.ts';
import { createKafka, ensureTopics } from '../../src/kafka/client.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
  }
}

let broker: EmbeddedBroker | null = null;

export async function setup(project: TestProject) {
  let brokers = process.env.KAFKA_BROKERS;
  if (!brokers) {
    const port = Number(process.env.TEST_KAFKA_PORT ?? 29092);
    if (await portOpen(port)) {
      brokers = `127.0.0.1:${port}`; // a test broker left running (e.g. by a watch session): reuse it
    } else {
      const dataDir = resolve('test-data/broker');
      rmSync(dataDir, { recursive: true, force: true });
      mkdirSync(dataDir, { recursive: true });
      const t0 = Date.now();
      broker = await startEmbeddedBroker({ dataDir, port, controllerPort: port + 1, heap: '512m' });
      brokers = broker.bootstrap;
      process.stderr.write(`[tests] embedded Kafka broker on ${brokers} in ${Date.now() - t0} ms (log: ${broker.process.logFile})\n`);
    }
  }
  process.env.KAFKA_BROKERS = brokers;
  project.provide('kafkaBrokers', brokers);
  const config = loadConfig({ KAFKA_BROKERS: brokers });
  const admin = createKafka(config, 'test-setup').admin();
  await admin.connect();
  try {
    await ensureTopics(admin, config);
  } finally {
    await admin.disconnect();
  }
}

export async function teardown() {
  if (broker) await broker.stop();
}
