package org.sparkcnn.data;

import org.sparkcnn.tensor.Tensor;

/**
 * A mini-batch of normalised images and their labels. {@link MiniBatchStream} returns the same
 * object, over the same buffers, for every batch, so that steady-state training allocates
 * nothing: its contents are valid only until the stream's next call to next() or hasNext().
 */
public final class MiniBatch {
    /** Shape [n, C, H, W]. */
    public Tensor images;
    /** Length ≥ n; the first n are the labels of the images, in order. */
    public final int[] labels;
    private int n;

    MiniBatch(Tensor images, int[] labels) {
        this.images = images;
        this.labels = labels;
    }

    /** The number of images n. */
    public int size() {
        return n;
    }

    void set(Tensor images, int n) {
        this.images = images;
        this.n = n;
    }
}
