package org.sparkcnn.train;

/**
 * Keras' EarlyStopping counter: every epoch that does not improve on the best adds one, an
 * improvement resets it, and training stops once it reaches {@code patience} (so patience 0 stops
 * at the first epoch without improvement, patience 2 after two in a row).
 */
public final class EarlyStopping {
    private final int patience;
    private int wait;

    public EarlyStopping(int patience) {
        if (patience < 0) {
            throw new IllegalArgumentException("patience must be >= 0, got " + patience);
        }
        this.patience = patience;
    }

    /** Counts one epoch; returns whether training should stop after it. */
    public boolean epochEnd(boolean improved) {
        wait = improved ? 0 : wait + 1;
        return !improved && wait >= patience;
    }

    /** Epochs since the last improvement. */
    public int waited() {
        return wait;
    }

    /** Continues a counter saved by a checkpoint. */
    public void restore(int waited) {
        this.wait = waited;
    }
}
