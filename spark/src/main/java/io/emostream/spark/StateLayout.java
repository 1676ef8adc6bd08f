package io.emostream.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which layout of the dedup state ({@link FirstOccurrence#STATE_LAYOUT}) a checkpoint holds: a file
 * {@value #MARKER} in the checkpoint directory with the layout's number, written when the job starts a checkpoint.
 * A checkpoint without it was written by a build before layout 2 (a value and an event-time timer per id), which
 * this build cannot resume (the dedup step's group keys are shards now, not ids). Such a checkpoint is moved aside
 * (kept, renamed {@code <dir>.layout1-<millis>}) and the job starts a new one from the old one's last committed Kafka
 * offsets, so no record is skipped or read twice; what is not carried over is logged (a warning): the ids seen
 * before (a retry of an event admitted before the upgrade, within the dedup retention, is counted again by Spark;
 * Kafka Streams' exact counts are not affected) and the windows open at the upgrade (written with only the events
 * read after it). A checkpoint of a newer layout is refused (no downgrade).
 */
final class StateLayout {
    private static final Logger LOG = LoggerFactory.getLogger(StateLayout.class);
    static final String MARKER = "emostream-state-layout";

    private StateLayout() {}

    /**
     * Before the query starts on {@code checkpointDir}: returns the Kafka offsets (the source's JSON, for the
     * {@code startingOffsets} option) to start from when an older checkpoint was moved aside, otherwise null (a new
     * checkpoint, or one of this layout: the checkpoint decides).
     */
    static String prepare(Path checkpointDir) {
        try {
            Path marker = checkpointDir.resolve(MARKER);
            if (Files.exists(marker)) {
                int layout = Integer.parseInt(Files.readString(marker, StandardCharsets.UTF_8).trim());
                if (layout == FirstOccurrence.STATE_LAYOUT) return null;
                throw new IllegalStateException("checkpoint " + checkpointDir + " holds the dedup state's layout " + layout
                    + ", written by a newer build; this build writes layout " + FirstOccurrence.STATE_LAYOUT + " (no downgrade: use that build or a new SPARK_CHECKPOINT_DIR)");
            }
            if (!hasBatches(checkpointDir)) {
                Files.createDirectories(checkpointDir);
                write(marker);
                return null;
            }
            OptionalLong committed = lastBatch(checkpointDir.resolve("commits"));
            String offsets = committed.isPresent() ? sourceOffsets(checkpointDir.resolve("offsets").resolve(Long.toString(committed.getAsLong()))) : null;
            Path aside = checkpointDir.resolveSibling(checkpointDir.getFileName() + ".layout1-" + System.currentTimeMillis());
            Files.move(checkpointDir, aside);
            Files.createDirectories(checkpointDir);
            write(marker);
            LOG.warn("checkpoint {} holds the dedup state's layout 1 (a timer per id), which this build (layout {}: one timer per shard of ids) "
                + "cannot resume: moved it to {}; a new checkpoint starts from its last committed offsets ({}). Not carried over: the ids seen before "
                + "(a retry of an event admitted before now, within the dedup retention, is counted again by Spark; Kafka Streams' exact counts are not "
                + "affected) and the counts of windows open at this restart (written with the events read from now on)",
                checkpointDir, FirstOccurrence.STATE_LAYOUT, aside, offsets == null ? "none committed: the starting offsets option" : offsets);
            return offsets;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(Path marker) throws IOException {
        Files.writeString(marker, FirstOccurrence.STATE_LAYOUT + "\n", StandardCharsets.UTF_8);
    }

    /** Whether Spark has planned a batch in this checkpoint (an offset log entry). */
    private static boolean hasBatches(Path checkpointDir) {
        return lastBatch(checkpointDir.resolve("offsets")).isPresent();
    }

    /** The highest batch id in a Spark metadata log folder (offsets/, commits/): files named by the batch id. */
    static OptionalLong lastBatch(Path log) {
        if (!Files.isDirectory(log)) return OptionalLong.empty();
        try (Stream<Path> files = Files.list(log)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.matches("\\d+")).mapToLong(Long::parseLong).max();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The source's end offsets of a batch from its offset log file ("v1", the batch's metadata, then one line per
     * source: the Kafka source's {"topic":{"partition":offset,…}}).
     */
    static String sourceOffsets(Path offsetFile) throws IOException {
        List<String> lines = Files.readAllLines(offsetFile, StandardCharsets.UTF_8);
        if (lines.size() < 3 || !lines.get(2).trim().startsWith("{")) throw new IOException("not a Kafka source's offset log entry: " + offsetFile);
        return lines.get(2).trim();
    }
}
