import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { createKafka } from './client.ts';
import { groupMessagesPerPartition, kafkajsGroupingLinear, KAFKAJS_GROUPING_MODULE } from './kafkajs-grouping.ts';

const require = createRequire(import.meta.url);

describe('kafkajs per-partition grouping', () => {
  it('is the linear one in the producer kafkajs loads through client.ts', () => {
    expect(createKafka).toBeTypeOf('function'); // client.ts (and with it kafkajs) is loaded
    expect(kafkajsGroupingLinear()).toBe(true);
  });

  it('groups like kafkajs: every message once, under its partition, in send order', () => {
    const messages = Array.from({ length: 500 }, (_, i) => ({ key: `u-${i % 37}`, value: String(i) }));
    const args = { topic: 't', partitionMetadata: [{}, {}, {}, {}, {}, {}], messages, partitioner: ({ message }: { message: unknown }) => Number((message as { key: string }).key.slice(2)) % 6 };
    const ours = groupMessagesPerPartition(args);
    // kafkajs' own function, read from its file (not from the require cache, which holds ours)
    const src = require('node:fs').readFileSync(KAFKAJS_GROUPING_MODULE, 'utf8') as string;
    const original = new Function('module', `${src}; return module.exports`)({ exports: {} }) as typeof groupMessagesPerPartition;
    expect(ours).toEqual(original(args));
    expect(Object.values(ours).flat()).toHaveLength(500);
  });

  it('stays linear: 20,000 messages group in well under a second', () => {
    const messages = Array.from({ length: 20_000 }, (_, i) => ({ key: String(i), value: '' }));
    const t0 = performance.now();
    const out = groupMessagesPerPartition({ topic: 't', partitionMetadata: [{}, {}, {}, {}, {}, {}], messages, partitioner: ({ message }) => Number((message as { key: string }).key) % 6 });
    expect(performance.now() - t0).toBeLessThan(500); // kafkajs' own function took seconds at this size (PR #1576)
    expect(out[0]).toHaveLength(3334);
  });
});
