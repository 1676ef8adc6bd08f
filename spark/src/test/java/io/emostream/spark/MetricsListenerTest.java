package io.emostream.spark;

import static org.junit.Assert.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.UUID;
import org.apache.spark.sql.streaming.StreamingQueryListener.QueryIdleEvent;
import org.junit.Test;

public class MetricsListenerTest {
    @Test
    public void anIdleReportIsOneJsonObjectWithTheRunAndTheTriggerTime() throws Exception {
        UUID run = UUID.randomUUID();
        String json = MetricsListener.idleJson(new QueryIdleEvent(UUID.randomUUID(), run, "2026-11-30T22:00:00.250Z"));
        assertEquals(-1, json.indexOf('\n')); // one log line: src/spark/job.ts reads the log line by line
        JsonNode n = new ObjectMapper().readTree(json);
        assertEquals("spark-idle", n.get("type").asText());
        assertEquals(run.toString(), n.get("run_id").asText());
        assertEquals("2026-11-30T22:00:00.250Z", n.get("timestamp").asText());
    }
}
