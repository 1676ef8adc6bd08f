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
}
