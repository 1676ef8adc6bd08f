// Why a part failed: its dependency was away, or it crashed on its own account. The supervisor retries the
// first for as long as it takes and counts only the second against the restart budget (./policy.ts). Pure:
// a failure is an error object (a start that rejected) or the text a part's `died` resolved with.
//
// Kafka unreachable, as the parts report it (seen in the platform's logs during a broker kill -9 and its
// restart, and in kafkajs 2.2.4's and the Kafka client's sources):
// - kafkajs: `Connection error: connect ECONNREFUSED 127.0.0.1:9092` (KafkaJSConnectionError, also wrapped
//   in KafkaJSNonRetriableError / KafkaJSNumberOfRetriesExceeded), `Connection timeout`, `Closed connection`,
//   `Request Fetch(key: 1, version: 11) timed out` (KafkaJSRequestTimeoutError), `No broker available`
//   (KafkaJSNoBrokerAvailableError), KafkaJSBrokerNotFound, KafkaJSGroupCoordinatorNotFound, KafkaJSLockTimeout,
//   and the broker's availability answers (LEADER_NOT_AVAILABLE "There is no leader for this topic-partition…",
//   NOT_LEADER_FOR_PARTITION, BROKER_NOT_AVAILABLE, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR,
//   COORDINATOR_LOAD_IN_PROGRESS, REQUEST_TIMED_OUT, NETWORK_EXCEPTION);
// - the Java parts (Kafka Streams' last error, a cause chain joined by " <- "): the Kafka client's
//   org.apache.kafka.common.errors.TimeoutException, DisconnectException, NetworkException,
//   BrokerNotAvailableException, LeaderNotAvailableException, NotLeaderOrFollowerException,
//   (Not)Coordinator(NotAvailable|LoadInProgress)Exception, java.net.ConnectException.
// Not a dependency: anything else, e.g. an unknown topic, an authentication or authorization failure, a bad
// config, a bug (TypeError), a JVM that exited (its exit code says nothing about why).

const KAFKA_UNREACHABLE: RegExp[] = [
  /\bE(?:CONNREFUSED|CONNRESET|HOSTUNREACH|NETUNREACH|TIMEDOUT|PIPE|AI_AGAIN)\b/,
  /\bKafkaJS(?:ConnectionError|ConnectionClosedError|RequestTimeoutError|NoBrokerAvailableError|BrokerNotFound|GroupCoordinatorNotFound|LockTimeout)\b/,
  /\bConnection (?:error|timeout)\b|\bClosed connection\b|\bConnection closed by the server\b|\bFailed to connect\b/i,
  /\bNo broker available\b|\bNo brokers in the broker pool\b|\bFailed to find group coordinator\b/i,
  /\bRequest [^\n]{1,80}? timed out\b|\bThe request timed out\b/i,
  /\bThere is no leader for this topic-partition\b|\bis not the leader for that topic-partition\b/i,
  /\bThe (?:broker|coordinator) is not available\b|\bnot the correct coordinator\b|\bcoordinator is loading\b/i,
  /\bThe server disconnected before a response was received\b/i,
  /\b(?:LEADER_NOT_AVAILABLE|NOT_LEADER_FOR_PARTITION|NOT_LEADER_OR_FOLLOWER|BROKER_NOT_AVAILABLE|COORDINATOR_NOT_AVAILABLE|NOT_COORDINATOR(?:_FOR_GROUP)?|COORDINATOR_LOAD_IN_PROGRESS|REQUEST_TIMED_OUT|NETWORK_EXCEPTION)\b/,
  /\borg\.apache\.kafka\.common\.errors\.(?:TimeoutException|DisconnectException|NetworkException|BrokerNotAvailableException|LeaderNotAvailableException|NotLeaderOrFollowerException|NotLeaderForPartitionException|NotCoordinatorException|CoordinatorNotAvailableException|CoordinatorLoadInProgressException)\b/,
  /\bjava\.net\.(?:ConnectException|NoRouteToHostException|SocketTimeoutException)\b/,
];

/** The failure as text: an error with its name, its protocol type (kafkajs) and its causes; a string as is. */
export function failureText(failure: unknown): string {
  const parts: string[] = [];
  let e: unknown = failure;
  for (let depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
    if (e instanceof Error) {
      const type = (e as { type?: unknown }).type;
      parts.push(`${e.name}: ${e.message}${typeof type === 'string' ? ` (${type})` : ''}`);
      e = (e as { cause?: unknown }).cause;
    } else {
      parts.push(String(e));
      break;
    }
  }
  return parts.join(' <- ');
}

/**
 * The dependency a failure says is away ('kafka'), or null: a crash of the part itself. A failure that names
 * both (a wrapped cause) counts as the dependency: the part was doing nothing wrong while Kafka was away.
 */
export function unreachableDependency(failure: unknown): string | null {
  const text = failureText(failure);
  return KAFKA_UNREACHABLE.some((re) => re.test(text)) ? 'kafka' : null;
}
