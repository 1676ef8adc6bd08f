package io.emostream.spark;

import static org.junit.Assert.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.Test;

/**
 * The closer's bookkeeping on hand-made rows (the streaming behaviour, with real Spark, is in StreamingQueryTest): the
 * closing condition at the watermark's edge, Spark's closed row dropped only when it is the same record, written when
 * the closer had not closed the window, and the memory it keeps.
 */
public class WindowCloserTest {
    static Row live(String match, long start, long maxEvent, String record) {
        return RowFactory.create(WindowCounter.KIND_LIVE, match, start, start + 2000, record.replace("}", ",seq}"), record, maxEvent);
    }

    static Row closed(String match, long start, String record) {
        return RowFactory.create(WindowCounter.KIND_CLOSED, match, start, start + 2000, record, null, null);
    }

    static Row clock(long t) {
        return RowFactory.create(WindowCounter.KIND_CLOCK, "", 0L, 0L, "", null, t);
    }

    /** The latest tick of an instance on a partition in this batch. */
    static Row tick(String instance, long partition, long t) {
        return RowFactory.create(WindowCounter.KIND_CLOCK, instance, partition, 0L, "", null, t);
    }

    /** Ticks of an instance at t on partitions 0..n-1. */
    static List<Row> ticks(String instance, int n, long t) {
        List<Row> out = new ArrayList<>();
        for (int p = 0; p < n; p++) out.add(tick(instance, p, t));
        return out;
    }

    @SafeVarargs
    static List<Row> rows(List<Row>... parts) {
        List<Row> out = new ArrayList<>();
        for (List<Row> p : parts) out.addAll(p);
        return out;
    }

    static List<String> values(List<String[]> kvs) {
        List<String> out = new ArrayList<>();
        for (String[] kv : kvs) out.add(kv[0] + "=" + kv[1]);
        return out;
    }

    @Test
    public void closesAWindowOnceItsEndIsAtTheWatermarkAndDropsSparksSameRecord() {
        WindowCloser c = new WindowCloser(500);
        // watermark 2499 - 500 = 1999: the window [0, 2000) stays open
        WindowCloser.Out o = c.batch(1, List.of(live("a", 0, 1900, "{a1}"), live("b", 0, 1950, "{b1}"), clock(2499)));
        assertEquals(List.of("a={a1,seq}", "b={b1,seq}"), values(o.live()));
        assertEquals(List.of(), o.closed());
        assertEquals(1999, c.watermark());
        // a live row of the next window moves it to 2000 = the end: both close, with their latest records, after it
        o = c.batch(2, List.of(live("a", 0, 1990, "{a2}"), live("a", 2000, 2500, "{a3}")));
        assertEquals(List.of("a={a2,seq}", "a={a3,seq}"), values(o.live()));
        assertEquals(List.of("a={a2}", "b={b1}"), values(o.closed()));
        assertEquals(2, o.closedEarly());
        assertEquals(2000, o.latestClosedEndMs());
        assertEquals(2, c.remembered());
        // Spark's closed rows a batch later: the same records are not written again; the watermark never goes back
        o = c.batch(3, List.of(closed("a", 0, "{a2}"), closed("b", 0, "{b1}"), clock(1000)));
        assertEquals(List.of(), o.closed());
        assertEquals(0, c.remembered());
        assertEquals(2000, c.watermark());
        assertEquals(1, c.openWindows());
    }

    @Test
    public void writesSparksClosedRowWhenItDidNotCloseTheWindowOrClosedItDifferently() {
        WindowCloser c = new WindowCloser(500);
        // after a restart: Spark closes a window the closer never saw live
        WindowCloser.Out o = c.batch(7, List.of(closed("a", 0, "{a}"), clock(2100)));
        assertEquals(List.of("a={a}"), values(o.closed()));
        assertEquals(0, o.closedEarly());
        // the closer is behind Spark: Spark's row closes a window the closer still holds open
        c.batch(8, List.of(live("b", 2000, 3000, "{b1}")));
        o = c.batch(9, List.of(closed("b", 2000, "{b1}")));
        assertEquals(List.of("b={b1}"), values(o.closed()));
        assertEquals(0, c.openWindows());
        // must not happen; if it does, Spark's record is written too (and an error logged)
        c.batch(10, List.of(live("d", 4000, 5000, "{d1}")));
        o = c.batch(11, List.of(clock(6500)));
        assertEquals(List.of("d={d1}"), values(o.closed()));
        o = c.batch(12, List.of(closed("d", 4000, "{d2}")));
        assertEquals(List.of("d={d2}"), values(o.closed()));
    }

    @Test
    public void remembersWhatItClosedForABoundedTime() {
        WindowCloser c = new WindowCloser(0);
        c.batch(1, List.of(live("a", 0, 2000, "{a}")));
        assertEquals(1, c.remembered());
        c.batch(1 + WindowCloser.REMEMBER_BATCHES, List.of(clock(2000)));
        assertEquals(1, c.remembered());
        c.batch(2 + WindowCloser.REMEMBER_BATCHES, List.of(clock(2000)));
        assertEquals("Spark's row never came: forgotten", 0, c.remembered());
        List<Row> many = new ArrayList<>();
        for (int i = 0; i < WindowCloser.MAX_REMEMBERED + 5; i++) many.add(live("m" + i, 0, 2000, "{}"));
        WindowCloser.Out o = c.batch(100, many);
        assertEquals(WindowCloser.MAX_REMEMBERED + 5, o.closed().size());
        assertEquals(WindowCloser.MAX_REMEMBERED, c.remembered());
    }

    @Test
    public void closesOnTicksOnceEveryPairOfEveryLiveInstanceIsPastTheEnd() {
        WindowCloser c = new WindowCloser(500, 1000);
        c.batch(1, rows(ticks("A", 2, 0), ticks("B", 2, 0)));
        // warmed up (1 s of ticks seen), a window with events; A is past its end on one partition only
        c.batch(2, rows(ticks("A", 2, 1000), ticks("B", 2, 1000), List.of(live("a", 0, 1500, "{a1}"))));
        WindowCloser.Out o = c.batch(3, rows(List.of(tick("A", 0, 2000), tick("A", 1, 1990)), ticks("B", 2, 2001)));
        assertEquals("A's partition 1 holds it", List.of(), o.closed());
        o = c.batch(4, List.of(tick("A", 1, 2000), live("a", 2000, 2000, "{a2}")));
        assertEquals(List.of("a={a1}"), values(o.closed()));
        assertEquals(1, o.closedOnTicks());
        assertEquals("max − delay alone would not have closed it", 1501, c.watermark());
        assertEquals(2000, c.effectiveWatermark());
        // Spark's closed row later is the same record: dropped, nothing corrected
        o = c.batch(5, List.of(closed("a", 0, "{a1}")));
        assertEquals(List.of(), o.closed());
        assertEquals(0, c.corrections());
    }

    @Test
    public void aPairNotSeenYetHoldsEveryWindowAndADeadInstanceStopsHoldingAfterTheLiveness() {
        WindowCloser c = new WindowCloser(500, 1000);
        c.batch(1, rows(ticks("A", 3, 0), List.of(tick("B", 0, 0))));
        WindowCloser.Out o = c.batch(2, rows(ticks("A", 3, 2100), List.of(tick("B", 0, 2100), tick("B", 1, 2100)), List.of(live("a", 0, 1900, "{a}"))));
        assertEquals("B on partition 2 not seen: held", List.of(), o.closed());
        assertEquals("max − delay", 1600, c.effectiveWatermark());
        // B dies: its last ticks at 2100; A goes on. Until B lags by more than the liveness, it holds
        o = c.batch(3, ticks("A", 3, 2400));
        assertEquals(List.of(), o.closed());
        assertEquals(java.util.Set.of("A", "B"), c.liveInstances());
        o = c.batch(4, ticks("A", 3, 3101));
        assertEquals(List.of("a={a}"), values(o.closed()));
        assertEquals(java.util.Set.of("A"), c.liveInstances());
        // a stalled instance (ticks lag, within the liveness) holds windows through its oldest partition
        c.batch(5, rows(ticks("B", 3, 3000), List.of(live("b", 2000, 3900, "{b}"))));
        o = c.batch(6, rows(ticks("A", 3, 4001), List.of(tick("B", 0, 4001), tick("B", 2, 4001))));
        assertEquals("B's partition 1 is at 3000", List.of(), o.closed());
        o = c.batch(7, List.of(tick("B", 1, 4000)));
        assertEquals(List.of("b={b}"), values(o.closed()));
        assertEquals(1, o.closedOnTicks());
    }

    @Test
    public void afterARestartMaxMinusDelayAloneUntilItHasSeenTheLivenessOfTicks() {
        WindowCloser c = new WindowCloser(500, 1000);
        // the first batch after a start: every pair it sees is past the end, but an instance may not have ticked yet
        WindowCloser.Out o = c.batch(1, rows(ticks("A", 2, 2100), List.of(live("a", 0, 1900, "{a}"))));
        assertEquals(List.of(), o.closed());
        o = c.batch(2, ticks("A", 2, 2600));
        assertEquals("max − delay", List.of("a={a}"), values(o.closed()));
        assertEquals(0, o.closedOnTicks());
        c.batch(3, rows(ticks("A", 2, 3100), List.of(live("a", 2000, 3050, "{a2}"))));
        o = c.batch(4, ticks("A", 2, 4000));
        assertEquals("warmed up: on ticks", List.of("a={a2}"), values(o.closed()));
        assertEquals(1, o.closedOnTicks());
    }

    @Test
    public void ticksWithoutAnInstanceOrALivenessOfZeroCloseOnMaxMinusDelayOnly() {
        WindowCloser anon = new WindowCloser(500, 1000);
        anon.batch(1, List.of(clock(0)));
        anon.batch(2, List.of(clock(1000), live("a", 0, 1500, "{a}")));
        assertEquals(List.of(), anon.batch(3, List.of(clock(2400))).closed());
        assertEquals(List.of("a={a}"), values(anon.batch(4, List.of(clock(2500))).closed()));
        WindowCloser off = new WindowCloser(500, 0);
        off.batch(1, ticks("A", 1, 0));
        off.batch(2, rows(ticks("A", 1, 1000), List.of(live("a", 0, 1500, "{a}"))));
        assertEquals(List.of(), off.batch(3, ticks("A", 1, 2400)).closed());
    }

    @Test
    public void eventsAfterAnEarlyCloseAreCountedAsACorrectionAndSparksRowIsWritten() {
        WindowCloser c = new WindowCloser(500, 1000);
        c.batch(1, ticks("A", 1, 0));
        c.batch(2, rows(ticks("A", 1, 1000), List.of(live("a", 0, 1500, "{a1}"))));
        assertEquals(List.of("a={a1}"), values(c.batch(3, ticks("A", 1, 2000)).closed()));
        // an instance the ticks did not cover (new, not yet seen) had an event of that window
        WindowCloser.Out o = c.batch(4, List.of(live("a", 0, 1999, "{a2}")));
        assertEquals(List.of("a={a2,seq}"), values(o.live()));
        assertEquals("not closed early again", List.of(), o.closed());
        assertEquals(1, c.corrections());
        o = c.batch(5, List.of(closed("a", 0, "{a2}")));
        assertEquals("Spark's row is the correction", List.of("a={a2}"), values(o.closed()));
        assertEquals(1, c.corrections());
    }
}
