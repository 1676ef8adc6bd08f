import { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, KafkaJSRequestTimeoutError } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { failureText, unreachableDependency } from './causes.ts';

describe('failure causes: Kafka unreachable or a crash', () => {
  it("reads the parts' own failure texts while the broker was killed and restarting (platform log, 2026-12-01)", () => {
    for (const text of [
      'crashed: KafkaJSNumberOfRetriesExceeded: Connection error: connect ECONNREFUSED 127.0.0.1:29802',
      'crashed: KafkaJSNonRetriableError: Connection error: connect ECONNREFUSED 127.0.0.1:29802',
      'crashed: KafkaJSNoBrokerAvailableError: No broker available',
      'Connection error: connect ECONNREFUSED 127.0.0.1:29802',
      'crashed: KafkaJSProtocolError: There is no leader for this topic-partition as we are in the middle of a leadership election',
      'crashed: KafkaJSProtocolError: The coordinator is not available',
      'crashed: KafkaJSNumberOfRetriesExceeded: Request Fetch(key: 1, version: 11) timed out',
      'Connection timeout',
      // Kafka Streams' last error (ExactCountsFacade.describe: the cause chain)
      'state ERROR (org.apache.kafka.streams.errors.StreamsException: task [0_1] failed <- org.apache.kafka.common.errors.TimeoutException: Timeout of 60000ms expired before the position for partition emoji-events-1 could be determined)',
      'org.apache.kafka.common.errors.DisconnectException: null',
    ]) {
      expect(unreachableDependency(text), text).toBe('kafka');
    }
  });

  it('reads kafkajs error objects, also wrapped (a start that rejected)', () => {
    const refused = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092');
    expect(unreachableDependency(refused)).toBe('kafka');
    expect(unreachableDependency(new KafkaJSNonRetriableError(refused))).toBe('kafka');
    expect(unreachableDependency(new KafkaJSNumberOfRetriesExceeded(refused, { retryCount: 5, retryTime: 2000 }))).toBe('kafka');
    expect(unreachableDependency(new KafkaJSRequestTimeoutError('Request Metadata(key: 3, version: 6) timed out'))).toBe('kafka');
    const leader = new KafkaJSProtocolError({ message: 'There is no leader for this topic-partition as we are in the middle of a leadership election', type: 'LEADER_NOT_AVAILABLE', code: 5, retriable: true } as never);
    expect(unreachableDependency(leader)).toBe('kafka');
    expect(failureText(new KafkaJSNumberOfRetriesExceeded(refused, { retryCount: 5, retryTime: 2000 }))).toBe('KafkaJSNumberOfRetriesExceeded: Connection error: connect ECONNREFUSED 127.0.0.1:9092 <- KafkaJSConnectionError: Connection error: connect ECONNREFUSED 127.0.0.1:9092');
  });

  it('anything else is a crash of the part itself', () => {
    for (const failure of [
      'exited (1); see /data/logs/spark.log',
      'exited (SIGKILL)',
      'stopped on its own',
      'TypeError: Cannot read properties of undefined (reading "x")',
      'crashed: KafkaJSProtocolError: This server does not host this topic-partition',
      'crashed: KafkaJSSASLAuthenticationError: SASL PLAIN authentication failed',
      'state ERROR (org.apache.kafka.streams.errors.StreamsException: java.lang.IllegalStateException: bad state)',
      'state CLOSED',
      new Error('cannot start'),
      new KafkaJSProtocolError({ message: 'Topic authorization failed', type: 'TOPIC_AUTHORIZATION_FAILED', code: 29, retriable: false } as never),
      undefined,
    ]) {
      expect(unreachableDependency(failure), String(failure)).toBeNull();
    }
  });
});
