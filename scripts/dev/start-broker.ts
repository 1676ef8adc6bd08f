// Start the embedded broker alone and leave it running (for working on one part against a broker):
//   npx tsx scripts/dev/start-broker.ts        # KAFKA_PORT, KAFKA_CONTROLLER_PORT, KAFKA_HEAP, DATA_DIR as for npm start
// The data goes where `npm start` keeps it (DATA_DIR, default ./data); stop it with `kill <pid>`.
import { loadConfig } from '../../src/config.ts';
import { startEmbeddedBroker } from '../../src/kafka/broker.ts';

const config = loadConfig();
const t0 = Date.now();
const b = await startEmbeddedBroker({
  dataDir: config.dataDir,
  port: config.kafka.embeddedPort,
  controllerPort: config.kafka.embeddedControllerPort,
  heap: config.kafka.embeddedHeap,
  log: console.log,
});
console.log('broker up', b.bootstrap, Date.now() - t0, 'ms, pid', b.process.child.pid, 'data', config.dataDir);
b.process.child.unref();
process.exit(0);
