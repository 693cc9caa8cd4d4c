package org.sparkcnn.spark;

import java.io.PrintStream;
import java.util.Arrays;
import org.sparkcnn.data.BadRecordPolicy;
import org.sparkcnn.data.ReaderConfig;
import org.sparkcnn.data.parquet.DatasetInfo;
import org.sparkcnn.data.parquet.ImageLayout;
import org.sparkcnn.train.TrainConfig;

/**
 * How a run reads its rows into mini-batches: the model's input shape, batch size, the
 * normalisation (the configured mean and std, or the training set's), augmentation for training,
 * and the bad-record policy.
 */
final class ReaderSettings {
    private ReaderSettings() {
    }

    /** For training ({@code training}: augmentation on) or evaluation, in batches of {@code batchSize}. */
    static ReaderConfig of(TrainConfig cfg, DatasetInfo info, int[] in, int classes, int batchSize, boolean training) {
        ReaderConfig r = new ReaderConfig(in[0], in[1], in[2], classes);
        r.batchSize = batchSize;
        r.mean = perChannel(normalisation(cfg, info, "mean", in[0]), in[0], "mean");
        r.std = perChannel(normalisation(cfg, info, "std", in[0]), in[0], "std");
        r.cropPadding = training ? cfg.getInt("cropPadding", 0) : 0;
        r.flip = training && cfg.getBoolean("flip");
        r.erasing = training ? cfg.getDouble("erasing", 0) : 0;
        r.seed = cfg.getLong("seed");
        r.policy = policy(cfg);
        return r.validate();
    }

    /** The onBadRecord and maxBadFraction keys. */
    static BadRecordPolicy policy(TrainConfig cfg) {
        BadRecordPolicy p = new BadRecordPolicy();
        p.onBadRecord = BadRecordPolicy.OnBadRecord.parse(cfg.get("onBadRecord"), "onBadRecord");
        p.maxBadFraction = cfg.getDouble("maxBadFraction", 0);
        return p;
    }

    /**
     * Says which statistics normalise the data when mean or std is left to the dataset; {@code stored}:
     * they come from the import's file (a Parquet dataset), else they were summed from a DataFrame.
     */
    static void announce(TrainConfig cfg, DatasetInfo info, int channels, boolean stored, PrintStream log) {
        if (!cfg.fromDataset("mean") && !cfg.fromDataset("std")) {
            return;
        }
        if (info.mean == null) {
            System.err.println("warning: train = " + info.path + " has no " + ImageLayout.STATS_FILE + " (imported before it"
                    + " was written): mean 0 and std 1 stand in for 'dataset'; set mean and std, or import it again");
        } else if (log != null) {
            log.println("the training set's statistics (" + (stored ? ImageLayout.STATS_FILE : "summed over the frame")
                    + "): mean " + Arrays.toString(info.meanFor(channels)) + ", std " + Arrays.toString(info.stdFor(channels)));
            log.flush();
        }
    }

    /**
     * The configured mean or std, or by default the training set's (its _stats.json); a dataset
     * imported before those were stored gets 0 and 1, as before.
     */
    private static float[] normalisation(TrainConfig cfg, DatasetInfo info, String key, int channels) {
        if (!cfg.fromDataset(key)) {
            return cfg.floats(key);
        }
        float[] v = key.equals("mean") ? info.meanFor(channels) : info.stdFor(channels);
        return v != null ? v : new float[] {key.equals("mean") ? 0f : 1f};
    }

    private static float[] perChannel(float[] v, int channels, String key) {
        if (v.length == channels) {
            return v;
        }
        if (v.length == 1) {
            float[] out = new float[channels];
            Arrays.fill(out, v[0]);
            return out;
        }
        throw new IllegalArgumentException(key + " has " + v.length + " values but the model's input has " + channels
                + " channels: give one value or one per channel");
    }
}
