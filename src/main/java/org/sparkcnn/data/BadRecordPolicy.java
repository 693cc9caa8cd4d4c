package org.sparkcnn.data;

import java.io.Serializable;
import java.util.Locale;

/**
 * What the reader does with a bad row. Failing on the first one is the default because silently
 * training on less data than the user thinks is worse than stopping; skipping is opt-in and still
 * bounded by {@link #maxBadFraction} so that a broken import cannot pass for a few bad rows.
 * Serializable because it travels to Spark executors inside the reader configuration.
 */
public final class BadRecordPolicy implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Fail on the first bad row, or skip bad rows and count them. */
    public enum OnBadRecord {
        FAIL, SKIP;

        /** "fail" or "skip", case-insensitive; {@code where} (e.g. "job.properties: onBadRecord") is named in errors. */
        public static OnBadRecord parse(String value, String where) {
            String v = value == null ? "" : value.trim().toUpperCase(Locale.ROOT);
            for (OnBadRecord o : values()) {
                if (o.name().equals(v)) {
                    return o;
                }
            }
            throw new IllegalArgumentException(where + ": '" + value + "' is not a bad-record policy (expected fail or skip)");
        }
    }

    public OnBadRecord onBadRecord = OnBadRecord.FAIL;
    /** SKIP only: a partition whose bad rows exceed this fraction of its rows fails. */
    public double maxBadFraction = 0.01;
    /** How many bad-row messages are kept (and printed) as examples. */
    public int examplesKept = 5;

    /** A fraction in [0, 1]; {@code where} is named in errors. */
    public static double parseFraction(String value, String where) {
        try {
            double v = Double.parseDouble(value.trim());
            if (v >= 0 && v <= 1) {
                return v;
            }
        } catch (NumberFormatException | NullPointerException e) {
            // reported below
        }
        throw new IllegalArgumentException(where + ": '" + value + "' is not a fraction between 0 and 1");
    }

    /** Checks the settings so that a typo fails before any data is read. */
    public BadRecordPolicy validate() {
        if (onBadRecord == null) {
            throw new IllegalArgumentException("bad-record policy: onBadRecord is not set (expected fail or skip)");
        }
        if (!(maxBadFraction >= 0 && maxBadFraction <= 1)) {
            throw new IllegalArgumentException("bad-record policy: maxBadFraction = " + maxBadFraction
                    + " is not between 0 and 1");
        }
        if (examplesKept < 0) {
            throw new IllegalArgumentException("bad-record policy: examplesKept = " + examplesKept + " is negative");
        }
        return this;
    }
}
