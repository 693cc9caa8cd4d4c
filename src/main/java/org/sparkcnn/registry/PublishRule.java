package org.sparkcnn.registry;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Locale;

/**
 * When a candidate replaces the champion: its holdout metric may be worse than the champion's
 * by at most {@code margin} (in the metric's own units: 0.005 = half a point of accuracy). Loss is
 * lower-is-better, the other metrics higher-is-better. The first version of a registry is always
 * published.
 */
public record PublishRule(String metric, double margin) {
    /** The metrics of an evaluation (jobs/evaluate.sh's JSON) a rule can compare. */
    public static final List<String> METRICS = List.of("accuracy", "top_k_accuracy", "macro_f1", "weighted_f1", "loss");

    public PublishRule {
        if (!METRICS.contains(metric)) {
            throw new IllegalArgumentException("--metric takes one of " + String.join(", ", METRICS) + ", got '" + metric
                    + "'");
        }
        if (!(margin >= 0) || Double.isInfinite(margin)) {
            throw new IllegalArgumentException("--margin takes a finite number >= 0, got " + margin);
        }
    }

    /** The rule's metric in an evaluation JSON (as jobs/evaluate.sh writes it). */
    public double valueIn(JsonNode evaluation) {
        JsonNode v = switch (metric) {
            case "macro_f1" -> evaluation.path("macro_avg").path("f1");
            case "weighted_f1" -> evaluation.path("weighted_avg").path("f1");
            default -> evaluation.path(metric);
        };
        if (!v.isNumber()) {
            throw new IllegalArgumentException("the evaluation has no number " + metric);
        }
        return v.asDouble();
    }

    boolean lowerIsBetter() {
        return metric.equals("loss");
    }

    /**
     * Why the candidate is not published, or null when it is: it is worse than the champion's
     * {@code championValue} (version {@code champion}) by more than the margin. No champion: null.
     */
    public String rejection(double candidate, Integer champion, Double championValue) {
        if (champion == null) {
            return null;
        }
        if (Double.isNaN(candidate)) {
            return "holdout " + metric + " is NaN";
        }
        double worseBy = lowerIsBetter() ? candidate - championValue : championValue - candidate;
        if (worseBy <= margin + 1e-12) { // a drop of exactly the margin is allowed, float rounding or not
            return null;
        }
        return String.format(Locale.ROOT, "holdout %s %.4f is %.4f %s the champion %s's %.4f, more than the margin %.4f",
                metric, candidate, worseBy, lowerIsBetter() ? "above" : "below", RegistryEntry.folder(champion),
                championValue, margin);
    }
}
