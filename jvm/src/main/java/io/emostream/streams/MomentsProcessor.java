package io.emostream.streams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;

/**
 * Third stage (key = match_id): reads each closed window (the records WindowCountsProcessor writes to
 * emoji-exact, exact counts) and applies {@link MomentRule} with the match's history kept in a changelogged
 * store; a moment is kept in the moments store (for GET /v1/matches/:id/moments and the summary) and forwarded
 * to the moments topic. A window at or before the last one seen for its match (a replay) is ignored, so a
 * restart neither repeats nor skips a moment.
 */
final class MomentsProcessor implements Processor<String, String, String, String> {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final MomentRule rule;
    private final TopologyCounters counters;
    private final long windowMs;
    private ProcessorContext<String, String> context;
    private KeyValueStore<String, MomentHistory> history;
    private WindowStore<String, String> moments;

    MomentsProcessor(MomentRule rule, long windowMs, TopologyCounters counters) {
        this.rule = rule;
        this.windowMs = windowMs;
        this.counters = counters;
    }

    @Override
    public void init(ProcessorContext<String, String> context) {
        this.context = context;
        this.history = context.getStateStore(ExactCountsConfig.MOMENT_HISTORY_STORE);
        this.moments = context.getStateStore(ExactCountsConfig.MOMENTS_STORE);
    }

    @Override
    public void process(Record<String, String> record) {
        String match = record.key();
        long start;
        Map<String, Long> counts = new LinkedHashMap<>();
        try {
            JsonNode w = JSON.readTree(record.value());
            start = Instant.parse(w.get("window_start").asText()).toEpochMilli();
            w.get("counts").fields().forEachRemaining(f -> counts.put(f.getKey(), f.getValue().asLong()));
        } catch (Exception e) {
            counters.invalid.incrementAndGet(); // cannot happen for records of the window stage; never crash on it
            return;
        }
        MomentHistory h = history.get(match);
        if (h == null) h = new MomentHistory();
        if (!h.isEmpty() && start <= h.last()) return;
        Optional<ObjectNode> m = rule.detect(h, match, start, counts);
        if (m.isPresent()) {
            String json = m.get().toString();
            moments.put(match, json, start);
            counters.moments.incrementAndGet();
            context.forward(new Record<>(match, json, start + windowMs));
        }
        history.put(match, h.add(start, counts, rule.settings().baselineWindows(), windowMs));
    }
}
