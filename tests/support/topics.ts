// Create a topic and wait until every partition has a leader. kafkajs' own `waitForLeaders: true` failed here
// under load with a transient "This server does not host this topic-partition" from the metadata it polls,
// so the wait is done by hand on fetchTopicMetadata, which tolerates that answer until the deadline.
import type { Admin } from 'kafkajs';
import { waitFor } from './wait.ts';

export async function createTopicWithLeaders(admin: Admin, topic: string, numPartitions: number, replicationFactor = -1): Promise<void> {
  await admin.createTopics({ topics: [{ topic, numPartitions, replicationFactor }], waitForLeaders: false });
  await waitFor(`leaders of ${topic}`, async () => {
    const md = await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => null);
    const parts = md?.topics[0]?.partitions;
    return parts?.length === numPartitions && parts.every((p) => p.leader >= 0);
  }, 30_000, 200);
}
