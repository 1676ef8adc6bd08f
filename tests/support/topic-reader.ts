// A test's view of a platform topic: a consumer that starts where the topic ends NOW (everything the test
// writes comes later, whatever earlier tests left on a shared broker) and hands every record's JSON value
// to `onRecord`. The caller filters (by its match id) and collects.
import type { Consumer, Kafka } from 'kafkajs';

export interface TopicRecord {
  partition: number;
  offset: string;
  key: string | null;
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
      onRecord({ partition, offset: message.offset, key: message.key?.toString('utf8') ?? null, value: JSON.parse(message.value!.toString('utf8')) });
    },
  });
  await joined;
  for (const p of ends) consumer.seek({ topic, partition: p.partition, offset: p.offset });
  return consumer;
}
