package org.sparkcnn.train;

import java.util.List;

/**
 * The metric that early stopping, restoreBest, keepBest and the plateau schedule watch, and what
 * counts as better: Keras' rule, an improvement is a change by more than {@code minDelta} in the
 * metric's direction (mode auto: max for accuracies, min for losses). NaN never improves and
 * ranks last.
 */
public final class Monitor {
    /** The epoch figures a run can monitor, as named in metrics.jsonl. */
    public static final List<String> METRICS = List.of("val_loss", "val_accuracy", "train_loss", "train_accuracy");

    private final String metric;
    private final boolean maximise;
    private final double minDelta;

    public Monitor(String metric, String mode, double minDelta) {
        if (!METRICS.contains(metric)) {
            throw new IllegalArgumentException("monitor must be one of " + String.join(", ", METRICS) + ", got " + metric);
        }
        if (!(minDelta >= 0) || Double.isInfinite(minDelta)) {
            throw new IllegalArgumentException("minDelta must be a finite number >= 0, got " + minDelta);
        }
        switch (mode) {
            case "auto": this.maximise = metric.endsWith("accuracy"); break;
            case "max": this.maximise = true; break;
            case "min": this.maximise = false; break;
            default: throw new IllegalArgumentException("monitorMode must be auto, min or max, got " + mode);
        }
        this.metric = metric;
        this.minDelta = minDelta;
    }

    public String metric() {
        return metric;
    }

    public boolean maximise() {
        return maximise;
    }

    /** Whether the metric is measured on the validation set. */
    public boolean needsValidation() {
        return metric.startsWith("val_");
    }

    /** The best value before any epoch: every finite value improves on it. */
    public double initial() {
        return maximise ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }

    /** Whether {@code value} improves on {@code best} by more than minDelta. */
    public boolean improves(double value, double best) {
        return maximise ? value - minDelta > best : value + minDelta < best;
    }

    /** Ranking for keepBest (minDelta plays no part): negative when {@code a} is better than {@code b}. */
    public int compare(double a, double b) {
        if (Double.isNaN(a) || Double.isNaN(b)) {
            return Boolean.compare(Double.isNaN(a), Double.isNaN(b));
        }
        return maximise ? Double.compare(b, a) : Double.compare(a, b);
    }
}
