package org.sparkcnn.model;

/**
 * What a classifier's logits say, computed the same way for every consumer (Spark ML columns,
 * the predict and evaluate jobs): softmax in double with the maximum subtracted, so that large
 * logits neither overflow nor lose the small probabilities, and ties broken towards the lower
 * class index, as {@code argmax} in numpy and PyTorch does.
 */
public final class Logits {
    private Logits() {
    }

    /** The index of the largest logit; the first one on ties. */
    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Writes softmax(logits) into {@code out} (same length) and returns log Σ exp(logits). */
    public static double softmax(float[] logits, double[] out) {
        double max = logits[argmax(logits)], sum = 0;
        for (int i = 0; i < logits.length; i++) {
            out[i] = Math.exp(logits[i] - max);
            sum += out[i];
        }
        for (int i = 0; i < logits.length; i++) {
            out[i] /= sum;
        }
        return max + Math.log(sum);
    }

    /**
     * The {@code k} classes of largest logit, best first, into {@code out[0..k)} (ties: lower index
     * first); k is capped at the number of classes. Selection by repeated scans: k is small.
     */
    public static int top(float[] logits, int k, int[] out) {
        int n = Math.min(k, logits.length);
        for (int j = 0; j < n; j++) {
            int best = -1;
            for (int i = 0; i < logits.length; i++) {
                if (!taken(out, j, i) && (best < 0 || logits[i] > logits[best])) {
                    best = i;
                }
            }
            out[j] = best;
        }
        return n;
    }

    /** Whether class {@code label} is among the {@code k} best: fewer than k classes beat it (ties go to the lower index). */
    public static boolean inTop(float[] logits, int label, int k) {
        int better = 0;
        for (int i = 0; i < logits.length; i++) {
            if (logits[i] > logits[label] || logits[i] == logits[label] && i < label) {
                better++;
            }
        }
        return better < k;
    }

    private static boolean taken(int[] out, int n, int i) {
        for (int j = 0; j < n; j++) {
            if (out[j] == i) {
                return true;
            }
        }
        return false;
    }
}
