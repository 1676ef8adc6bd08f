package io.emostream.streams;

import static org.junit.Assert.assertEquals;

import java.util.Set;
import org.junit.Test;

public class TickMulticastPartitionerTest {
    private final TickMulticastPartitioner p = new TickMulticastPartitioner();

    @Test
    public void aTickGoesToEveryPartition() {
        assertEquals(Set.of(0, 1, 2, 3, 4, 5), p.partitions("t", Topics.TICK_KEY, "", 6).orElseThrow());
        assertEquals(Set.of(0), p.partitions("t", Topics.TICK_KEY, "", 1).orElseThrow());
    }

    @Test
    public void aMatchAlwaysGoesToOneAndTheSamePartition() {
        for (String m : new String[] {"ind-aus", "m1", "t-123", "x"}) {
            Set<Integer> a = p.partitions("t", m, "🔥", 6).orElseThrow();
            assertEquals(1, a.size());
            assertEquals(a, p.partitions("t", m, "😀", 6).orElseThrow());
            int part = a.iterator().next();
            assertEquals(true, part >= 0 && part < 6);
        }
    }
}
