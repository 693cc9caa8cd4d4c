package org.sparkcnn.spark;

import org.sparkcnn.data.BadRecordCounts;
import org.sparkcnn.train.PartitionTrainer;

/**
 * The partitions' contributions to one round, added up: the sample-weighted sum of their state
 * changes and the sums the driver reports. A partition that trained on nothing sends no vector.
 */
public final class TrainSum implements OrderedSum.Summand<TrainSum> {
    private static final long serialVersionUID = 1L;

    /** Σ samples_p · delta_p, or null when no partition trained. */
    public float[] weightedDelta;
    public long samples;
    public double lossSum;
    public long correct;
    /** The most mini-batches any partition trained on (optimiser steps of the round). */
    public int maxBatches;
    /** Whether any partition has rows left after this round. */
    public boolean more;
    /** Task time spent reading and training, summed over partitions. */
    public long trainNanos;
    /** The longest partition's task time: what the round waited for. */
    public long maxTrainNanos;
    public BadRecordCounts bad = new BadRecordCounts();

    public TrainSum() {
    }

    /** One partition's result; its delta array is scaled in place. */
    public static TrainSum of(PartitionTrainer.Result r, boolean more, BadRecordCounts bad) {
        TrainSum s = new TrainSum();
        if (r.samples > 0) {
            float n = r.samples;
            float[] d = r.delta;
            for (int i = 0; i < d.length; i++) {
                d[i] *= n;
            }
            s.weightedDelta = d;
        }
        s.samples = r.samples;
        s.lossSum = r.lossSum;
        s.correct = r.correct;
        s.maxBatches = r.batches;
        s.more = more;
        s.trainNanos = r.trainNanos;
        s.maxTrainNanos = r.trainNanos;
        s.bad = bad;
        return s;
    }

    @Override
    public TrainSum plus(TrainSum right) {
        if (weightedDelta == null) {
            weightedDelta = right.weightedDelta;
        } else if (right.weightedDelta != null) {
            float[] a = weightedDelta, b = right.weightedDelta;
            for (int i = 0; i < a.length; i++) {
                a[i] += b[i];
            }
        }
        samples += right.samples;
        lossSum += right.lossSum;
        correct += right.correct;
        maxBatches = Math.max(maxBatches, right.maxBatches);
        more |= right.more;
        trainNanos += right.trainNanos;
        maxTrainNanos = Math.max(maxTrainNanos, right.maxTrainNanos);
        bad.merge(right.bad);
        return this;
    }
}
