package org.sparkcnn.train;

import java.io.Serializable;
import org.sparkcnn.model.Logits;

/**
 * What jobs/evaluate.sh reports about a classifier on labelled images: accuracy, top-k accuracy,
 * mean cross-entropy and the confusion matrix, from which per-class precision, recall, F1 and
 * support follow (scikit-learn's definitions; a class never predicted has precision 0, one never
 * present recall 0). Counts only, summed with {@link #merge}: partitions on executors add up to
 * the same figures in any order.
 */
public final class ClassificationMetrics implements Serializable {
    private static final long serialVersionUID = 1L;

    public final int classes, k;
    public long samples, correct, topCorrect;
    /** Rows that could not be scored (bad records under the skip policy): in no other figure. */
    public long skipped;
    /** Σ over samples of −log softmax(logits)[label], in double. */
    public double lossSum;
    /** confusion[label * classes + predicted]. */
    public final long[] confusion;
    private transient double[] probabilities;

    public ClassificationMetrics(int classes, int k) {
        if (classes < 1 || k < 1) {
            throw new IllegalArgumentException("classification metrics need classes >= 1 and k >= 1, got " + classes
                    + " and " + k);
        }
        this.classes = classes;
        this.k = k;
        this.confusion = new long[classes * classes];
    }

    /** Adds one image's logits against its label in [0, classes). */
    public void add(float[] logits, int label) {
        if (probabilities == null) {
            probabilities = new double[classes];
        }
        double logSumExp = Logits.softmax(logits, probabilities);
        int predicted = Logits.argmax(logits);
        samples++;
        lossSum += logSumExp - logits[label];
        confusion[label * classes + predicted]++;
        if (predicted == label) {
            correct++;
        }
        if (Logits.inTop(logits, label, k)) {
            topCorrect++;
        }
    }

    /** Adds {@code other} (same classes and k) into this; returns this. */
    public ClassificationMetrics merge(ClassificationMetrics other) {
        if (other.classes != classes || other.k != k) {
            throw new IllegalArgumentException("cannot merge metrics of " + other.classes + " classes (top " + other.k
                    + ") into " + classes + " (top " + k + ")");
        }
        samples += other.samples;
        skipped += other.skipped;
        correct += other.correct;
        topCorrect += other.topCorrect;
        lossSum += other.lossSum;
        for (int i = 0; i < confusion.length; i++) {
            confusion[i] += other.confusion[i];
        }
        return this;
    }

    public double accuracy() {
        return ratio(correct, samples);
    }

    public double topAccuracy() {
        return ratio(topCorrect, samples);
    }

    public double loss() {
        return samples == 0 ? Double.NaN : lossSum / samples;
    }

    /** Images whose label is class c. */
    public long support(int c) {
        long n = 0;
        for (int p = 0; p < classes; p++) {
            n += confusion[c * classes + p];
        }
        return n;
    }

    /** Images predicted as class c. */
    public long predicted(int c) {
        long n = 0;
        for (int t = 0; t < classes; t++) {
            n += confusion[t * classes + c];
        }
        return n;
    }

    public double precision(int c) {
        return ratio(confusion[c * classes + c], predicted(c));
    }

    public double recall(int c) {
        return ratio(confusion[c * classes + c], support(c));
    }

    public double f1(int c) {
        double p = precision(c), r = recall(c);
        return p + r == 0 ? 0 : 2 * p * r / (p + r);
    }

    /** 0 for an empty denominator, as scikit-learn's zero_division=0. */
    private static double ratio(long a, long b) {
        return b == 0 ? 0 : (double) a / b;
    }
}
