package org.sparkcnn.layer;

import org.sparkcnn.tensor.ShapeException;
import org.sparkcnn.tensor.Shapes;
import org.sparkcnn.tensor.Tensor;

/**
 * Softmax followed by cross-entropy, averaged over the batch. {@link #forward} returns the mean
 * loss and counts correct argmax predictions; {@link #backward} gives d(mean loss)/d(logits) =
 * (softmax − target)/N. The target is the one-hot label, or with label smoothing ε the mixture
 * (1 − ε)·onehot + ε/K over the K classes, as PyTorch's {@code CrossEntropyLoss(label_smoothing=ε)}
 * and Keras' {@code label_smoothing} define it.
 */
public final class SoftmaxCrossEntropy {
    private Tensor dLogits;
    private int correct;
    private int[] predicted = new int[0];
    private boolean ready;

    /** Plain cross-entropy against one-hot labels (evaluation, and training without smoothing). */
    public float forward(Tensor logits, int[] labels) {
        return forward(logits, labels, 0f);
    }

    /** Checks labels before anything else: each in [0, classes); {@code smoothing} ε in [0, 1). */
    public float forward(Tensor logits, int[] labels, float smoothing) {
        if (!(smoothing >= 0f && smoothing < 1f)) {
            throw new IllegalArgumentException("loss 'softmax_cross_entropy': label smoothing " + smoothing
                    + " is outside [0, 1)");
        }
        if (logits.rank() != 2) {
            throw new ShapeException("loss 'softmax_cross_entropy': expects logits [N, classes], got shape "
                    + Shapes.str(logits.shape()));
        }
        final int n = logits.dim(0), k = logits.dim(1);
        if (labels.length != n) {
            throw new ShapeException("loss 'softmax_cross_entropy': " + labels.length + " labels for a batch of " + n);
        }
        for (int i = 0; i < n; i++) {
            if (labels[i] < 0 || labels[i] >= k) {
                throw new ShapeException("loss 'softmax_cross_entropy': label " + labels[i] + " of sample " + i
                        + " is outside [0, " + k + ")");
            }
        }
        dLogits = Tensor.reuseLike(dLogits, logits);
        if (predicted.length < n) {
            predicted = new int[n];
        }
        final float[] z = logits.data, d = dLogits.data;
        final double spread = (double) smoothing / k, onTarget = 1.0 - smoothing + spread;
        double total = 0;
        int right = 0;
        for (int i = 0; i < n; i++) {
            int o = i * k;
            float max = Float.NEGATIVE_INFINITY;
            int arg = 0;
            for (int j = 0; j < k; j++) {
                if (z[o + j] > max) {
                    max = z[o + j];
                    arg = j;
                }
            }
            predicted[i] = arg;
            if (arg == labels[i]) {
                right++;
            }
            double sum = 0;
            for (int j = 0; j < k; j++) {
                sum += Math.exp(z[o + j] - max);
            }
            double logSum = Math.log(sum);
            if (smoothing == 0f) {
                total += logSum - (z[o + labels[i]] - max);
            } else {
                // −Σ q_j log p_j with Σ q_j = 1: logSum − Σ q_j (z_j − max)
                double dot = 0;
                for (int j = 0; j < k; j++) {
                    dot += (j == labels[i] ? onTarget : spread) * (z[o + j] - max);
                }
                total += logSum - dot;
            }
            for (int j = 0; j < k; j++) {
                double p = Math.exp(z[o + j] - max - logSum);
                double q = j == labels[i] ? onTarget : spread;
                d[o + j] = (float) ((p - q) / n);
            }
        }
        correct = right;
        ready = true;
        return (float) (total / n);
    }

    /** Number of samples whose largest logit is the label, in the last forward. */
    public int correct() {
        return correct;
    }

    /** The predicted class (first largest logit) of each sample of the last forward, in the first N entries. */
    public int[] predicted() {
        return predicted;
    }

    public Tensor backward() {
        if (!ready) {
            throw new IllegalStateException("loss 'softmax_cross_entropy': backward called before forward");
        }
        return dLogits;
    }
}
