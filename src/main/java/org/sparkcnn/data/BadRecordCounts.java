package org.sparkcnn.data;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Locale;

/**
 * How many rows were read and how many were bad, per kind, with a few example messages.
 * Only plain fields, because it travels back from Spark tasks inside task results and is merged
 * on the driver; counts merge in any order, examples keep the first ones in merge order.
 */
public final class BadRecordCounts implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final BadRecordKind[] KINDS = BadRecordKind.values();

    /** Rows seen, good or bad. */
    public long records;
    /** Bad rows (the sum of {@link #perKind}). */
    public long bad;
    /** Bad rows per {@link BadRecordKind}, indexed by ordinal. */
    public final long[] perKind = new long[KINDS.length];
    /** The first bad-row messages, at most {@link #keep}. */
    public final ArrayList<String> examples = new ArrayList<>();
    /** The largest example cap seen in {@link #add} or merged in, so that merging respects it. */
    public int keep;

    /** Counts one row seen (good or bad). */
    public void record() {
        records++;
    }

    /** Counts one bad row (already counted by {@link #record()}); true when its message was kept as an example. */
    public boolean add(BadRecordException e, int keep) {
        if (e.kind == null) {
            throw new IllegalArgumentException("only a bad row can be counted, not: " + e.getMessage());
        }
        this.keep = Math.max(this.keep, keep);
        bad++;
        perKind[e.kind.ordinal()]++;
        if (examples.size() < keep) {
            examples.add(e.getMessage());
            return true;
        }
        return false;
    }

    /** Adds {@code other}'s counts and as many of its examples as still fit; returns this. */
    public BadRecordCounts merge(BadRecordCounts other) {
        records += other.records;
        bad += other.bad;
        for (int k = 0; k < perKind.length; k++) {
            perKind[k] += other.perKind[k];
        }
        keep = Math.max(keep, other.keep);
        for (int i = 0; i < other.examples.size() && examples.size() < keep; i++) {
            examples.add(other.examples.get(i));
        }
        return this;
    }

    /** Bad rows over rows seen; 0 when nothing was seen. */
    public double fraction() {
        return records == 0 ? 0 : (double) bad / records;
    }

    /** Bad rows of every kind. */
    public long total() {
        return bad;
    }

    public long count(BadRecordKind kind) {
        return perKind[kind.ordinal()];
    }

    /** One line, e.g. "3 of 1000 records bad (0.30%): SIZE_MISMATCH 2, MISSING_LABEL 1". */
    public String summary() {
        StringBuilder sb = new StringBuilder();
        sb.append(bad).append(" of ").append(records).append(" records bad (")
                .append(percent(fraction())).append(')');
        String sep = ": ";
        for (BadRecordKind k : KINDS) {
            if (count(k) > 0) {
                sb.append(sep).append(k).append(' ').append(count(k));
                sep = ", ";
            }
        }
        return sb.toString();
    }

    /** Fails when the bad fraction exceeds the policy's limit; {@code scope} (e.g. "partition 3") starts the message. */
    public void check(BadRecordPolicy p, String scope) {
        if (fraction() <= p.maxBadFraction) {
            return;
        }
        StringBuilder sb = new StringBuilder(scope).append(": too many bad records: ").append(summary())
                .append(", more than maxBadFraction = ").append(p.maxBadFraction)
                .append(" (").append(percent(p.maxBadFraction)).append(')');
        if (!examples.isEmpty()) {
            sb.append("; first examples:");
            examples.forEach(x -> sb.append("\n  ").append(x));
        }
        throw new BadRecordException(sb.toString());
    }

    private static String percent(double f) {
        return String.format(Locale.ROOT, "%.2f%%", 100 * f);
    }

    @Override
    public String toString() {
        return summary();
    }
}
