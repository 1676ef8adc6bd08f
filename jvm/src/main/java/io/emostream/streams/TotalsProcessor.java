package io.emostream.streams;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.TimestampedKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;

/**
 * Running totals per match (key = match_id, value "p|emoji"; every counted event, including ones too late for
 * their window) in the totals store, with the time of the match's last counted event (received_at) in the
 * activity store. A wall-clock punctuator drops every match whose last event is older than the retention
 * (MATCH_TOTALS_RETENTION_MS) from the totals, the activity and the moment-history stores: the deletes are
 * tombstones in those stores' compacted changelogs, so a retired match costs nothing after the retention,
 * in RocksDB or in Kafka. Ticks never reach here.
 */
final class TotalsProcessor implements Processor<String, String, Void, Void> {
    private final Duration retention;
    private final TopologyCounters counters;
    private TimestampedKeyValueStore<String, Counts> totals;
    private KeyValueStore<String, Long> activity;
    private KeyValueStore<String, MomentHistory> momentHistory;

    TotalsProcessor(Duration retention, TopologyCounters counters) {
        this.retention = retention;
        this.counters = counters;
    }

    /** How often the retention is checked: a tenth of it, between 1 s and 1 min. */
    static Duration sweepInterval(Duration retention) {
        return Duration.ofMillis(Math.max(1_000, Math.min(60_000, retention.toMillis() / 10)));
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        totals = context.getStateStore(ExactCountsConfig.TOTALS_STORE);
        activity = context.getStateStore(ExactCountsConfig.MATCH_ACTIVITY_STORE);
        momentHistory = context.getStateStore(ExactCountsConfig.MOMENT_HISTORY_STORE);
        context.schedule(sweepInterval(retention), PunctuationType.WALL_CLOCK_TIME, this::expire);
    }

    @Override
    public void process(Record<String, String> record) {
        String match = record.key();
        if (match == null || Topics.TICK_KEY.equals(match)) return;
        ValueAndTimestamp<Counts> c = totals.get(match);
        Counts next = (c == null ? new Counts() : c.value()).add(DedupProcessor.emojiOf(record.value()));
        totals.put(match, ValueAndTimestamp.make(next, c == null ? record.timestamp() : Math.max(c.timestamp(), record.timestamp())));
        Long last = activity.get(match);
        if (last == null || record.timestamp() > last) activity.put(match, record.timestamp());
    }

    /** Drop the matches whose last counted event is at least `retention` before `now`. */
    void expire(long now) {
        List<String> expired = new ArrayList<>();
        try (KeyValueIterator<String, Long> it = activity.all()) {
            while (it.hasNext()) {
                KeyValue<String, Long> kv = it.next();
                if (now - kv.value >= retention.toMillis()) expired.add(kv.key);
            }
        }
        for (String match : expired) {
            totals.delete(match);
            activity.delete(match);
            momentHistory.delete(match);
            counters.retiredMatches.incrementAndGet();
        }
    }
}
