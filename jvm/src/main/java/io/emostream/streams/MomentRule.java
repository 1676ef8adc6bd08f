package io.emostream.streams;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;

/**
 * The moment rule, pure (no Kafka): is this closed window a moment for its match?
 *
 * For the match's total and for each emoji in the window, the baseline is that series' count in each of the
 * trailing {@code baselineWindows} windows (a window with no events counts 0; windows before the match's first
 * window are not part of it). The window's score for a series is a robust z-score,
 * {@code (x - median) / max(1.4826 * MAD, sqrt(max(median, 1)))}: median and MAD (median absolute deviation)
 * are not moved by an earlier burst, and the square-root floor (Poisson noise of a count) keeps a perfectly
 * steady series from turning every +1 into an infinite score. A series fires when its count is at least
 * {@code minCount} (so quiet matches never fire) and its score at least {@code minScore}, once the match has at
 * least {@code minHistory} windows of baseline. A window with any series firing is ONE moment: its trigger is
 * the series with the highest score, its peak emoji the emoji of the window with the highest score.
 *
 * Held to ../contracts/moments.json by MomentRuleTest (and through java-bridge by the TypeScript tests).
 */
public final class MomentRule {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** MAD → standard deviation for normally distributed data. */
    static final double MAD_TO_SD = 1.4826;
    public static final String TOTAL = "total";

    public record Settings(int baselineWindows, int minHistory, double minScore, long minCount) {
        public Settings {
            if (baselineWindows < 1) throw new IllegalArgumentException("moments: baselineWindows must be >= 1");
            if (minHistory < 1 || minHistory > baselineWindows)
                throw new IllegalArgumentException("moments: minHistory must be in 1..baselineWindows");
            if (!(minScore > 0)) throw new IllegalArgumentException("moments: minScore must be > 0");
            if (minCount < 1) throw new IllegalArgumentException("moments: minCount must be >= 1");
        }

        public static Settings defaults() {
            return new Settings(30, 5, 5.0, 50);
        }
    }

    private final Settings s;
    private final long windowMs;

    public MomentRule(Settings settings, long windowMs) {
        this.s = settings;
        this.windowMs = windowMs;
    }

    public Settings settings() { return s; }

    /**
     * The moment record for the window starting at {@code start} with {@code counts}, given the match's history
     * (the windows before it); empty when the window is not a moment. Does not change the history.
     */
    public Optional<ObjectNode> detect(MomentHistory h, String matchId, long start, Map<String, Long> counts) {
        int slots = h.isEmpty() ? 0 : (int) Math.min(s.baselineWindows(), Math.max(0, (start - h.first()) / windowMs));
        if (slots < s.minHistory()) return Optional.empty();
        long[] starts = new long[slots];
        for (int k = 0; k < slots; k++) starts[k] = start - (k + 1) * windowMs;

        long total = 0;
        for (long v : counts.values()) total += v;
        double[] totalBase = new double[slots];
        for (int k = 0; k < slots; k++) totalBase[k] = h.total(starts[k]);
        Series best = score(TOTAL, total, totalBase);
        Series fired = fires(best) ? best : null;

        Series peak = null;
        for (Map.Entry<String, Long> e : counts.entrySet()) {
            if (e.getValue() <= 0) continue;
            double[] base = new double[slots];
            for (int k = 0; k < slots; k++) base[k] = h.count(starts[k], e.getKey());
            Series one = score(e.getKey(), e.getValue(), base);
            if (peak == null || one.beats(peak)) peak = one;
            if (fires(one) && (fired == null || one.score > fired.score)) fired = one;
        }
        if (fired == null || peak == null) return Optional.empty();

        ObjectNode n = JSON.createObjectNode();
        n.put("match_id", matchId);
        n.put("window_start", WindowFormat.iso(start));
        n.put("window_end", WindowFormat.iso(start + windowMs));
        n.put("peak_emoji", peak.name);
        n.put("peak_count", peak.count);
        n.put("peak_baseline", round2(peak.median));
        n.put("total", total);
        n.put("total_baseline", round2(best.median));
        n.put("trigger", fired.name);
        n.put("score", round2(fired.score));
        n.put("baseline_windows", slots);
        ObjectNode c = n.putObject("counts");
        counts.forEach((k, v) -> { if (v > 0) c.put(k, v); });
        return Optional.of(n);
    }

    private boolean fires(Series x) {
        return x.count >= s.minCount() && x.score >= s.minScore();
    }

    static Series score(String name, long x, double[] base) {
        double med = median(base);
        double[] dev = new double[base.length];
        for (int i = 0; i < base.length; i++) dev[i] = Math.abs(base[i] - med);
        double mad = median(dev);
        double scale = Math.max(MAD_TO_SD * mad, Math.sqrt(Math.max(med, 1.0)));
        return new Series(name, x, med, (x - med) / scale);
    }

    static double median(double[] v) {
        double[] a = v.clone();
        Arrays.sort(a);
        int n = a.length;
        if (n == 0) return 0;
        return n % 2 == 1 ? a[n / 2] : (a[n / 2 - 1] + a[n / 2]) / 2.0;
    }

    static double round2(double v) {
        return Math.round(v * 100.0) / 100.0;
    }

    record Series(String name, long count, double median, double score) {
        /** Higher score; then the larger count; then the smaller name (deterministic). */
        boolean beats(Series o) {
            if (score != o.score) return score > o.score;
            if (count != o.count) return count > o.count;
            return name.compareTo(o.name) < 0;
        }
    }

    /** Run a whole sequence of one match's closed windows (start → counts, in order) through the rule. */
    public ArrayList<ObjectNode> run(String matchId, Iterable<Map.Entry<Long, Map<String, Long>>> windows) {
        MomentHistory h = new MomentHistory();
        ArrayList<ObjectNode> out = new ArrayList<>();
        for (Map.Entry<Long, Map<String, Long>> w : windows) {
            detect(h, matchId, w.getKey(), w.getValue()).ifPresent(out::add);
            h.add(w.getKey(), w.getValue(), s.baselineWindows(), windowMs);
        }
        return out;
    }
}
