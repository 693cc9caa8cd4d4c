package org.sparkcnn.train;

import java.io.Serializable;
import java.util.Locale;
import org.sparkcnn.model.Network;
import org.sparkcnn.tensor.Tensor;

/**
 * Inference-mode loss, accuracy and confusion matrix over batches. Plain fields and {@link #merge},
 * because the Spark trainer evaluates partitions on executors and adds their results up.
 */
public final class Evaluation implements Serializable {
    private static final long serialVersionUID = 1L;

    public final int classes;
    /** Sum over samples of the cross-entropy loss. */
    public double lossSum;
    public long samples;
    public long correct;
    /** confusion[label * classes + predicted]: samples of each true class by the class predicted. */
    public final long[] confusion;

    public Evaluation(int classes) {
        this.classes = classes;
        this.confusion = new long[classes * classes];
    }

    /** Evaluates the first {@code n} images of {@code x} against {@code labels}. */
    public void add(Network net, Tensor x, int[] labels) {
        int n = x.dim(0);
        float loss = net.loss().forward(net.forward(x, false), labels);
        lossSum += (double) loss * n;
        samples += n;
        int[] predicted = net.loss().predicted();
        for (int i = 0; i < n; i++) {
            confusion[labels[i] * classes + predicted[i]]++;
            if (predicted[i] == labels[i]) {
                correct++;
            }
        }
    }

    /** Adds {@code other} (same classes) into this; returns this. */
    public Evaluation merge(Evaluation other) {
        if (other.classes != classes) {
            throw new IllegalArgumentException("cannot merge evaluations of " + other.classes + " and " + classes + " classes");
        }
        lossSum += other.lossSum;
        samples += other.samples;
        correct += other.correct;
        for (int i = 0; i < confusion.length; i++) {
            confusion[i] += other.confusion[i];
        }
        return this;
    }

    public double loss() {
        return samples == 0 ? Double.NaN : lossSum / samples;
    }

    public double accuracy() {
        return samples == 0 ? Double.NaN : (double) correct / samples;
    }

    /** The confusion matrix as text: one row per true class, one column per predicted class. */
    public String confusionTable() {
        StringBuilder sb = new StringBuilder("true\\pred");
        for (int p = 0; p < classes; p++) {
            sb.append(String.format(Locale.ROOT, " %6d", p));
        }
        for (int t = 0; t < classes; t++) {
            sb.append(String.format(Locale.ROOT, "%n%9d", t));
            for (int p = 0; p < classes; p++) {
                sb.append(String.format(Locale.ROOT, " %6d", confusion[t * classes + p]));
            }
        }
        return sb.toString();
    }
}
