package io.emostream.streams;

import static org.junit.Assert.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.Test;

/** The Java copies of the shared contracts are held to ../contracts/*.json, like the TypeScript side. */
public class ContractsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode contract(String name) throws Exception {
        return JSON.readTree(new File("../contracts/" + name));
    }

    @Test
    public void topicDefaultsMatchTheContract() throws Exception {
        JsonNode t = contract("topics.json");
        assertEquals(t.get("events").asText(), Topics.EVENTS);
        assertEquals(t.get("windows").asText(), Topics.WINDOWS);
        assertEquals(t.get("exact").asText(), Topics.EXACT);
        assertEquals(t.get("metrics").asText(), Topics.METRICS);
        assertEquals(t.get("moments").asText(), Topics.MOMENTS);
        assertEquals(Topics.MOMENTS, ExactCountsConfig.defaults().momentsTopic());
        assertEquals(Topics.EVENTS, ExactCountsConfig.defaults().eventsTopic());
        assertEquals(Topics.EXACT, ExactCountsConfig.defaults().exactTopic());
    }

    @Test
    public void ticksWithAndWithoutAnInstanceAreTicks() throws Exception {
        JsonNode c = contract("ticks.json");
        assertEquals(c.get("key").asText(), Topics.TICK_KEY);
        for (JsonNode t : c.get("ticks")) {
            Event e = EventSerde.parse(t.get("value").asText());
            assertEquals(t.toString(), Event.Kind.TICK, e.kind());
            assertEquals(t.get("received_at_ms").asLong(), e.receivedAtMs());
        }
        for (JsonNode bad : c.get("invalid")) assertEquals(bad.asText(), Event.Kind.INVALID, EventSerde.parse(bad.asText()).kind());
    }

    @Test
    public void scaleRuleMatchesTheContract() throws Exception {
        JsonNode examples = contract("scale-rule.json").get("examples");
        assertEquals(true, examples.size() > 5);
        for (JsonNode e : examples) {
            assertEquals(e.toString(), e.get("swarm").asLong(), WindowFormat.scale(e.get("count").asLong(), e.get("factor").asLong()));
        }
        assertEquals(0, WindowFormat.scale(0, 1000));
    }

    @Test
    public void windowBoundsAndRecordsMatchTheContract() throws Exception {
        JsonNode w = contract("windows.json");
        long windowMs = w.get("windowMs").asLong();
        assertEquals(windowMs, ExactCountsConfig.defaults().window().toMillis());
        for (JsonNode e : w.get("windowOf")) {
            long ts = Instant.parse(e.get("timestamp").asText()).toEpochMilli();
            long start = WindowFormat.windowStart(ts, windowMs);
            assertEquals(e.get("window_start").asText(), WindowFormat.iso(start));
            assertEquals(e.get("window_end").asText(), WindowFormat.iso(start + windowMs));
        }
        for (JsonNode r : w.get("records")) {
            Map<String, Long> counts = new LinkedHashMap<>();
            r.get("counts").fields().forEachRemaining(f -> counts.put(f.getKey(), f.getValue().asLong()));
            long start = Instant.parse(r.get("window_start").asText()).toEpochMilli();
            String match = r.get("match_id").asText();
            assertEquals(r.get("expected").get("id").asText(), WindowFormat.windowId(match, start));
            JsonNode got = JSON.readTree(WindowFormat.windowJson(match, start, windowMs, counts, w.get("factor").asLong()));
            assertEquals(r.get("expected").get("record"), got);
        }
    }

    @Test
    public void moodFollowsTheSharedTableAndExamples() throws Exception {
        JsonNode m = contract("mood.json");
        assertEquals(Mood.fromJson(m.get("emojis")).table(), Mood.defaults().table());
        for (JsonNode e : m.get("examples")) {
            Map<String, Long> counts = new LinkedHashMap<>();
            e.get("counts").fields().forEachRemaining(f -> counts.put(f.getKey(), f.getValue().asLong()));
            Mood.Result r = Mood.defaults().of(counts);
            assertEquals(e.get("note").asText(), e.get("mood").get("score").asDouble(), r.score(), 0.0);
            assertEquals(e.get("note").asText(), e.get("mood").get("feeling").asText(), r.feeling());
        }
    }
}
