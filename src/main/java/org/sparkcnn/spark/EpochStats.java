package org.sparkcnn.spark;

import org.sparkcnn.data.BadRecordCounts;
import org.sparkcnn.train.Evaluation;

/** Figures of one epoch (or of its first rounds): what the progress line and metrics.jsonl report. */
public final class EpochStats {
    public int epoch, rounds;
    public long samples, correct;
    public double lossSum, trainSeconds, syncSeconds, evalSeconds, seconds;
    /** The learning rate of the epoch's last step (NaN when unknown). */
    public double learningRate = Double.NaN;
    public Evaluation validation;
    public BadRecordCounts bad = new BadRecordCounts();

    public double loss() {
        return samples == 0 ? Double.NaN : lossSum / samples;
    }

    public double accuracy() {
        return samples == 0 ? Double.NaN : (double) correct / samples;
    }
}
