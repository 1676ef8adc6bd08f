package io.emostream.streams;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/** The moment rule alone, held to ../contracts/moments.json (the same examples the topology test and vitest run). */
public class MomentRuleTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static JsonNode contract() throws Exception {
        return JSON.readTree(new File("../contracts/moments.json"));
    }

    static List<Map.Entry<Long, Map<String, Long>>> windowsOf(JsonNode c) {
        List<Map.Entry<Long, Map<String, Long>>> out = new ArrayList<>();
        for (JsonNode w : c.get("windows")) {
            Map<String, Long> counts = new LinkedHashMap<>();
            w.get("counts").fields().forEachRemaining(f -> counts.put(f.getKey(), f.getValue().asLong()));
            out.add(Map.entry(Instant.parse(w.get("window_start").asText()).toEpochMilli(), counts));
        }
        return out;
    }

    /** Field by field, numbers compared as numbers (19 and 19.0 are the same baseline). */
    static void assertMoment(String where, JsonNode expected, JsonNode got) {
        List<String> names = new ArrayList<>();
        expected.fieldNames().forEachRemaining(names::add);
        List<String> gotNames = new ArrayList<>();
        got.fieldNames().forEachRemaining(gotNames::add);
        assertEquals(where + ": fields", names, gotNames);
        for (String f : names) {
            JsonNode e = expected.get(f), g = got.get(f);
            if (e.isNumber()) assertEquals(where + ": " + f, e.asDouble(), g.asDouble(), 1e-9);
            else if (e.isObject()) assertEquals(where + ": " + f, longs(e), longs(g)); // counts: 5000 (int) = 5000 (long)
            else assertEquals(where + ": " + f, e, g);
        }
    }

    private static Map<String, Long> longs(JsonNode o) {
        Map<String, Long> m = new LinkedHashMap<>();
        o.fields().forEachRemaining(f -> m.put(f.getKey(), f.getValue().asLong()));
        return m;
    }

    @Test
    public void theContractUsesTheDefaultSettings() throws Exception {
        JsonNode c = contract();
        MomentRule.Settings d = MomentRule.Settings.defaults();
        JsonNode s = c.get("settings");
        assertEquals(d.baselineWindows(), s.get("momentBaselineWindows").asInt());
        assertEquals(d.minHistory(), s.get("momentMinHistory").asInt());
        assertEquals(d.minScore(), s.get("momentMinScore").asDouble(), 0);
        assertEquals(d.minCount(), s.get("momentMinCount").asLong());
        assertEquals(c.get("windowMs").asLong(), ExactCountsConfig.defaults().window().toMillis());
        assertEquals(d, ExactCountsConfig.fromJson(s.toString()).moments());
    }

    @Test
    public void everyContractCaseProducesExactlyItsMoments() throws Exception {
        JsonNode c = contract();
        MomentRule rule = new MomentRule(MomentRule.Settings.defaults(), c.get("windowMs").asLong());
        boolean quiet = false, some = false;
        for (JsonNode k : c.get("cases")) {
            String name = k.get("name").asText();
            List<ObjectNode> got = rule.run(k.get("match_id").asText(), windowsOf(k));
            assertEquals(name + ": number of moments", k.get("moments").size(), got.size());
            for (int i = 0; i < got.size(); i++) assertMoment(name + " #" + i, k.get("moments").get(i), got.get(i));
            quiet |= got.isEmpty();
            some |= !got.isEmpty();
        }
        assertTrue("the examples include a case with no moment", quiet);
        assertTrue("the examples include moments", some);
    }

    private static Map<String, Long> counts(Object... kv) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], ((Number) kv[i + 1]).longValue());
        return m;
    }

    @Test
    public void aPerfectlySteadySeriesIsNotAMomentForOneMoreReaction() {
        // MAD = 0: without the sqrt(median) floor, 101 against a baseline of exactly 100 would score infinity
        MomentRule rule = new MomentRule(MomentRule.Settings.defaults(), 2000);
        MomentHistory h = new MomentHistory();
        for (int i = 0; i < 10; i++) h.add(i * 2000L, counts("🔥", 100), 30, 2000);
        assertFalse(rule.detect(h, "m", 20_000, counts("🔥", 101)).isPresent());
        assertFalse(rule.detect(h, "m", 20_000, counts("🔥", 149)).isPresent()); // score 4.9
        assertTrue(rule.detect(h, "m", 20_000, counts("🔥", 150)).isPresent()); // score 5.0
    }

    @Test
    public void theHistoryKeepsOnlyTheBaselineSpanAndSurvivesItsSerde() {
        MomentHistory h = new MomentHistory();
        for (int i = 0; i < 50; i++) h.add(i * 2000L, counts("🔥", i), 30, 2000);
        MomentHistory back = MomentHistory.serde().deserializer().deserialize("t", MomentHistory.serde().serializer().serialize("t", h));
        assertEquals(0, back.first());
        assertEquals(49 * 2000L, back.last());
        assertEquals(0, back.count(19 * 2000L, "🔥")); // dropped: not in the next window's 30-window baseline
        assertEquals(20, back.count(20 * 2000L, "🔥"));
        assertEquals(49, back.total(49 * 2000L));
    }

    @Test(expected = IllegalArgumentException.class)
    public void minHistoryAboveTheBaselineIsRefused() {
        new MomentRule.Settings(10, 11, 5, 50);
    }
}
