// The match lifecycle part of the platform: the MatchService (src/matches/) with its log (the compacted
// TOPIC_MATCHES: every instance reads it whole at start and follows it, src/kafka/match-log.ts) and the sweep
// that retires idle matches and forgets closed ones. Per instance: the open-policy live set (each instance
// admits at most MAX_LIVE_MATCHES itself). Shared through the log: the registered matches.
import type { Kafka } from 'kafkajs';
import type { Config } from '../config.ts';
import { startMatchLog, type MatchLog } from '../kafka/match-log.ts';
import { MatchService } from '../matches/service.ts';
import { supervise, type Supervised, type SupervisorDeps } from '../supervision/supervisor.ts';
import { matchesRetired, setLiveMatchesSource } from '../metrics/registry.ts';

export interface MatchesHandle {
  service: MatchService;
  /** The lifecycle log's reader and writer under supervision; null without Kafka. */
  log: Supervised<MatchLog> | null;
  stop(): Promise<void>;
}

/** How often the sweep runs: often enough that a slot frees within a few seconds of its match's idle timeout. */
export const sweepIntervalMs = (c: Config['matches']) => Math.max(250, Math.min(5_000, Math.floor(c.idleMs / 4)));

export async function startMatches(
  config: Config,
  kafka: Kafka | null,
  log: (msg: string) => void = () => {},
  supervision?: SupervisorDeps,
): Promise<MatchesHandle> {
  let matchLog: Supervised<MatchLog> | null = null;
  const writer = {
    write: (id: string, r: Parameters<MatchLog['write']>[1]) => {
      const l = matchLog?.current();
      if (!l) return Promise.reject(new Error(`the match log is ${matchLog?.status().phase ?? 'not running'}: try again`));
      return l.write(id, r);
    },
  };
  const service = new MatchService(config.matches, kafka ? writer : null);
  if (kafka) {
    // supervised like the window consumers: a restarted log reads the whole (compacted) topic again, and
    // applying a record twice is harmless
    matchLog = supervise<MatchLog>(
      'match-log',
      {
        start: () =>
          startMatchLog({ kafka, topic: config.topics.matches, apply: (id, r) => service.apply(id, r), produceTimeoutMs: config.ingest.produceTimeoutMs, maxWaitMs: config.kafka.consumerMaxWaitMs, log }),
        died: (l) => l.died,
        stop: (l) => l.stop(),
      },
      supervision ?? { policy: config.supervision },
    );
    await matchLog.started;
  }
  const offRetired = service.onRetired(() => matchesRetired.inc());
  setLiveMatchesSource(() => service.registry.liveCount);
  let sweeping = false;
  const timer = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    service
      .sweep()
      .then((r) => r.forgotten.length && log(`forgot ${r.forgotten.length} closed match(es) past MATCH_TOTALS_RETENTION_MS`))
      .catch((err: Error) => log(`match sweep: ${err.message} (retried next sweep)`))
      .finally(() => (sweeping = false));
  }, sweepIntervalMs(config.matches));
  timer.unref();
  log(`matches: MATCH_POLICY=${config.matches.policy}${config.matches.policy === 'open' ? `, at most ${config.matches.maxLive} live, retired after ${config.matches.idleMs} ms idle` : `, ${service.list().length} registered`}`);
  return {
    service,
    log: matchLog,
    async stop() {
      clearInterval(timer);
      offRetired();
      setLiveMatchesSource(null);
      if (matchLog) await matchLog.stop();
    },
  };
}
