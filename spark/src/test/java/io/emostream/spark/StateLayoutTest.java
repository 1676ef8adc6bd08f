package io.emostream.spark;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.Test;

/**
 * A checkpoint's dedup state layout: a new checkpoint is marked with this build's layout and resumed as it is; one
 * without the mark (layout 1, the builds before) is moved aside whole and the job starts a new one from its last
 * committed Kafka offsets (the offset log entry of the highest batch in commits/, not a planned batch after it); a
 * newer layout is refused. The offset log entries are Spark's format (a Kafka source's line as the Job writes it).
 */
public class StateLayoutTest {
    static void entry(Path dir, String log, long batch, String offsets) throws IOException {
        Files.createDirectories(dir.resolve(log));
        String text = "commits".equals(log) ? "v1\n{\"nextBatchWatermarkMs\":0}"
            : "v1\n{\"batchWatermarkMs\":0,\"batchTimestampMs\":1796096934863,\"conf\":{}}\n" + offsets;
        Files.writeString(dir.resolve(log).resolve(Long.toString(batch)), text, StandardCharsets.UTF_8);
    }

    @Test
    public void aNewCheckpointIsMarkedAndResumedAsItIs() throws IOException {
        Path root = Files.createTempDirectory("emostream-layout");
        Path ckpt = root.resolve("checkpoint");
        assertNull(StateLayout.prepare(ckpt));
        assertEquals(FirstOccurrence.STATE_LAYOUT + "\n", Files.readString(ckpt.resolve(StateLayout.MARKER)));
        // Spark's batches in it, then a restart of the same build: nothing moves
        entry(ckpt, "offsets", 0, "{\"emoji-events\":{\"0\":5}}");
        entry(ckpt, "commits", 0, null);
        assertNull(StateLayout.prepare(ckpt));
        assertTrue(Files.exists(ckpt.resolve("offsets").resolve("0")));
        try (Stream<Path> s = Files.list(root)) {
            assertEquals(1, s.count());
        }
    }

    @Test
    public void aLayoutOneCheckpointIsMovedAsideAndTheNewOneStartsAtItsLastCommittedOffsets() throws IOException {
        Path root = Files.createTempDirectory("emostream-layout");
        Path ckpt = root.resolve("checkpoint");
        entry(ckpt, "offsets", 6, "{\"emoji-events\":{\"0\":40,\"1\":41}}");
        entry(ckpt, "offsets", 7, "{\"emoji-events\":{\"0\":50,\"1\":52}}");
        entry(ckpt, "offsets", 8, "{\"emoji-events\":{\"0\":60,\"1\":61}}"); // planned, never committed
        entry(ckpt, "commits", 6, null);
        entry(ckpt, "commits", 7, null);
        Files.createDirectories(ckpt.resolve("state").resolve("0"));
        assertEquals("{\"emoji-events\":{\"0\":50,\"1\":52}}", StateLayout.prepare(ckpt));
        assertEquals(List.of(StateLayout.MARKER), list(ckpt));
        List<String> siblings = list(root);
        assertEquals(2, siblings.size());
        Path aside = root.resolve(siblings.get(0).startsWith("checkpoint.layout1-") ? siblings.get(0) : siblings.get(1));
        assertTrue("the old checkpoint is kept whole: " + siblings, Files.isDirectory(aside.resolve("state").resolve("0")) && Files.exists(aside.resolve("offsets").resolve("8")));
        // the next start resumes the new checkpoint
        assertNull(StateLayout.prepare(ckpt));
        assertEquals(2, list(root).size());
    }

    @Test
    public void aLayoutOneCheckpointWithNothingCommittedStartsFromTheOption() throws IOException {
        Path root = Files.createTempDirectory("emostream-layout");
        Path ckpt = root.resolve("checkpoint");
        entry(ckpt, "offsets", 0, "{\"emoji-events\":{\"0\":3}}");
        assertNull(StateLayout.prepare(ckpt));
        assertFalse(Files.exists(ckpt.resolve("offsets")));
        assertTrue(Files.exists(ckpt.resolve(StateLayout.MARKER)));
    }

    @Test
    public void aNewerLayoutIsRefused() throws IOException {
        Path ckpt = Files.createTempDirectory("emostream-layout").resolve("checkpoint");
        Files.createDirectories(ckpt);
        Files.writeString(ckpt.resolve(StateLayout.MARKER), (FirstOccurrence.STATE_LAYOUT + 1) + "\n");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> StateLayout.prepare(ckpt));
        assertTrue(e.getMessage(), e.getMessage().contains("newer build"));
    }

    static List<String> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
