// kafkajs 2.2.4 groups the messages of a send per partition with an array spread per message
// (`[...current, message]` in src/producer/groupMessagesPerPartition.js): O(n²) in the messages of one send.
// The batcher hands kafkajs up to BATCH_MAX_EVENTS (20,000) records a send; at that size the grouping alone
// took seconds of event-loop CPU (the upstream fix, tulios/kafkajs PR #1576, was never released: 20,000
// messages 1,947 ms before, 3 ms after). kafkajs is CommonJS and reads that module once, when its producer
// loads: this module puts a linear version with the same contract in the require cache first. It must be
// imported before anything imports 'kafkajs' (src/kafka/client.ts imports it first; nothing else in src/
// imports kafkajs at run time). `kafkajsGroupingLinear` says whether it took effect in this process.
import { holds, isLoaded, kafkajsFile, preload } from './kafkajs-preload.ts';

interface GroupArgs {
  topic: string;
  partitionMetadata: unknown[];
  messages: unknown[];
  partitioner: (a: { topic: string; partitionMetadata: unknown[]; message: unknown }) => number;
}

/** The same result as kafkajs' function (partition → its messages in send order), in one pass. */
export function groupMessagesPerPartition({ topic, partitionMetadata, messages, partitioner }: GroupArgs): Record<number, unknown[]> {
  if (partitionMetadata.length === 0) return {};
  const result: Record<number, unknown[]> = {};
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    (result[partition] ??= []).push(message);
  }
  return result;
}

export const KAFKAJS_GROUPING_MODULE = kafkajsFile('src/producer/groupMessagesPerPartition.js');
// the module that reads it: once loaded, it holds whichever function was in the cache then
const readerLoadedFirst = isLoaded(kafkajsFile('src/producer/sendMessages.js'));
preload(KAFKAJS_GROUPING_MODULE, groupMessagesPerPartition);

/** True when kafkajs' producer in this process groups with the linear function above. */
export const kafkajsGroupingLinear = (): boolean => !readerLoadedFirst && holds(KAFKAJS_GROUPING_MODULE, groupMessagesPerPartition);
