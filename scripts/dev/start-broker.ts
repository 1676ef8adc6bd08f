import { startEmbeddedBroker } from '../../src/kafka/broker.ts';
const t0 = Date.now();
const b = await startEmbeddedBroker({ dataDir: process.env.DATA_DIR ?? '/work/devdata', port: 9092, controllerPort: 9093, heap: '512m', log: console.log });
console.log('broker up', b.bootstrap, Date.now() - t0, 'ms pid', b.process.child.pid);
b.process.child.unref();
process.exit(0);
