package org.sparkcnn.data;

import java.io.Serializable;
import java.util.Arrays;

/**
 * Settings of one {@link MiniBatchStream}: the model's input, normalisation, augmentation, and
 * the identity of the pass (seed, epoch, partition) that makes its randomness reproducible, so a
 * retried Spark task sees exactly the same batches. Plain public fields with defaults; the
 * model's input and class count are required and therefore constructor arguments.
 * Serializable because it travels to Spark executors.
 */
public final class ReaderConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The model's input: channels (1, 3 or 4), height and width. */
    public final int channels, height, width;
    /** Labels must lie in [0, classes). */
    public final int classes;
    public int batchSize = 64;
    /** Per channel, applied after scaling pixels to [0, 1]: (x − mean[c]) / std[c]. Default 0 and 1. */
    public float[] mean, std;
    /** Random crop with zero padding of this many pixels per side; 0 = no crop. Training only. */
    public int cropPadding;
    /** Random horizontal flip with probability 1/2. Training only. */
    public boolean flip;
    /** Probability of random erasing (one rectangle set to the normalised mean), in [0, 1]. Training only. */
    public double erasing;
    public long seed;
    public int epoch;
    public int partition;
    public BadRecordPolicy policy = new BadRecordPolicy();
    /**
     * Whether rows must carry a label in [0, classes) (training, evaluation). Scoring new images
     * sets false: a missing or unknown label is then not a bad record, and the batch gets -1.
     */
    public boolean labelled = true;

    public ReaderConfig(int channels, int height, int width, int classes) {
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.classes = classes;
        this.mean = new float[Math.max(channels, 0)];
        this.std = new float[Math.max(channels, 0)];
        Arrays.fill(std, 1f);
    }

    /** Checks every setting, so that a mistake fails before any data is read. */
    public ReaderConfig validate() {
        if (channels != 1 && channels != 3 && channels != 4) {
            throw bad("channels = " + channels + " is not 1, 3 or 4 (8-bit grey, BGR or BGRA images)");
        }
        positive("height", height);
        positive("width", width);
        positive("classes", classes);
        positive("batchSize", batchSize);
        if (cropPadding < 0) {
            throw bad("cropPadding = " + cropPadding + " is negative");
        }
        if (!(erasing >= 0 && erasing <= 1)) {
            throw bad("erasing = " + erasing + " is not a probability in [0, 1]");
        }
        perChannel("mean", mean);
        perChannel("std", std);
        for (int c = 0; c < channels; c++) {
            if (!Float.isFinite(mean[c])) {
                throw bad("mean[" + c + "] = " + mean[c] + " is not finite");
            }
            if (!(std[c] > 0) || !Float.isFinite(std[c])) {
                throw bad("std[" + c + "] = " + std[c] + " is not a positive finite number");
            }
            // pixels are bytes, so a normalised pixel can only be non-finite here: (b / 255 - mean) / std
            // overflowing; it is monotonic in b, so the two ends decide for all 256 values
            for (int b : new int[] {0, 255}) {
                float v = (b / 255f - mean[c]) / std[c];
                if (!Float.isFinite(v)) {
                    throw bad("mean[" + c + "] = " + mean[c] + " and std[" + c + "] = " + std[c] + " normalise pixel value "
                            + b + " to " + v + ": every pixel must stay a finite number");
                }
            }
        }
        if (policy == null) {
            throw bad("policy is not set");
        }
        policy.validate();
        return this;
    }

    private void positive(String name, int v) {
        if (v < 1) {
            throw bad(name + " = " + v + " is not positive");
        }
    }

    private void perChannel(String name, float[] v) {
        if (v == null || v.length != channels) {
            throw bad(name + " has " + (v == null ? "no" : String.valueOf(v.length)) + " values but the model's input has "
                    + channels + " channels (one value per channel is needed)");
        }
    }

    private static IllegalArgumentException bad(String what) {
        return new IllegalArgumentException("reader configuration: " + what);
    }
}
