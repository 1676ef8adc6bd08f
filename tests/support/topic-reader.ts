// A test's view of a platform topic: a consumer that starts where the topic ends NOW (everything the test
// writes comes later, whatever earlier tests left on a shared broker) and hands every record's JSON value
// to `onRecord`. The caller filters (by its match id) and collects. A packed record of emoji-events
// (contracts/event-records.json) is handed over as its events, in order, each with the record's partition,
// offset and key and its position in the record.
import type { Consumer, Kafka } from 'kafkajs';
import { recordValues } from '../../src/kafka/packed.ts';

export interface TopicRecord {
  partition: number;
  offset: string;
  /** The Kafka record's key: a packed record's is its first event's user_id. */
  key: string | null;
  /** Position in a packed record; 0 otherwise. */
  position: number;
  value: any; // parsed JSON: the caller knows its shape
}

export async function readTopicFromNow(kafka: Kafka, topic: string, groupId: string, onRecord: (r: TopicRecord) => void): Promise<Consumer> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic });
  // seek needs the group to exist: on a fresh broker the first join can take a few seconds
  const joined = new Promise<void>((r) => consumer.on(consumer.events.GROUP_JOIN, () => r()));
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      const key = message.key?.toString('utf8') ?? null;
      for (const { value, position } of recordValues(JSON.parse(message.value!.toString('utf8')))) onRecord({ partition, offset: message.offset, key, position, value });
    },
  });
  await joined;
  for (const p of ends) consumer.seek({ topic, partition: p.partition, offset: p.offset });
  return consumer;
}
