package org.sparkcnn.spark;

/**
 * The driver's copy of the global training state. After each round it moves the state by the
 * sample-weighted mean of the partitions' changes, so a partition that trained on twice the
 * images counts twice, and an empty one not at all. Parameters, batch-norm running statistics
 * and (unless reset every round) optimiser arrays are all averaged this way; the optimiser's
 * step counter advances by the round's longest partition.
 */
public final class ParameterServer {
    private final float[] state;
    private long optimizerSteps;
    private long globalStep;

    public ParameterServer(float[] initial, long optimizerSteps, long globalStep) {
        this.state = initial.clone();
        this.optimizerSteps = optimizerSteps;
        this.globalStep = globalStep;
    }

    /** The current state (the server's own array: do not change it). */
    public float[] state() {
        return state;
    }

    public long optimizerSteps() {
        return optimizerSteps;
    }

    public long globalStep() {
        return globalStep;
    }

    public RoundInput roundInput() {
        return new RoundInput(state.clone(), optimizerSteps, globalStep);
    }

    /**
     * Applies a round's total; {@code where} (epoch and round) is named if the update is not finite,
     * in which case the state is left as it was.
     */
    public void apply(TrainSum total, String where) {
        if (total == null || total.samples == 0) {
            return;
        }
        float[] sum = total.weightedDelta;
        if (sum.length != state.length) {
            throw new IllegalStateException(where + ": partitions sent " + sum.length + " values, the state has " + state.length);
        }
        double n = total.samples;
        for (int i = 0; i < sum.length; i++) {
            float v = state[i] + (float) (sum[i] / n);
            if (!Float.isFinite(v)) {
                throw new ArithmeticException("non-finite averaged update at " + where + " (state value " + i
                        + "): lower the learning rate; the last checkpoint is kept");
            }
        }
        for (int i = 0; i < sum.length; i++) {
            state[i] += (float) (sum[i] / n);
        }
        optimizerSteps += total.maxBatches;
        globalStep += total.maxBatches;
    }
}
