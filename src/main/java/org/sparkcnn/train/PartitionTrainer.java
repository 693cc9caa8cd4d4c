package org.sparkcnn.train;

import java.util.Iterator;
import org.sparkcnn.data.MiniBatch;
import org.sparkcnn.model.Network;
import org.sparkcnn.optim.LearningRateSchedule;
import org.sparkcnn.optim.Optimizer;

/**
 * One partition's share of a synchronisation round, without Spark: start from the global state,
 * train on up to {@code maxBatches} mini-batches, and report the change of the state vector with
 * the sample count and loss/accuracy sums. The Spark trainer runs it inside a task; a model copy
 * and its buffers are reused from round to round.
 */
public final class PartitionTrainer {
    /** What one partition sends back: plain fields, because it travels in a task result. */
    public static final class Result implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        /** State after minus state before (parameters, buffers, optimiser arrays). */
        public float[] delta;
        public long samples;
        public double lossSum;
        public long correct;
        public int batches;
        public long trainNanos;
    }

    private final Network net;
    private final Optimizer optimizer;
    private final TrainingStep trainingStep;
    private final StateVector state;
    private final float[] after;
    private final boolean carryOptimizerState;
    private int[] tailLabels;
    /** An injected fault for the next {@link #train} only. */
    private boolean nanGradient;

    /** {@code carryOptimizerState}: the optimiser's arrays are part of the state vector (else reset every round). */
    public PartitionTrainer(Network net, Optimizer optimizer, boolean carryOptimizerState) {
        this.net = net;
        this.optimizer = optimizer;
        this.trainingStep = new TrainingStep(net, optimizer);
        this.state = new StateVector(net, carryOptimizerState ? optimizer : null);
        this.after = new float[state.length()];
        this.carryOptimizerState = carryOptimizerState;
    }

    public Network network() {
        return net;
    }

    public StateVector stateVector() {
        return state;
    }

    /**
     * Trains from {@code start} (length {@link StateVector#length()}), with the optimiser continuing
     * after {@code optimizerSteps} steps and the learning rate of global step {@code firstStep} + i
     * for the i-th batch; dropout restarts from {@code dropoutSeed}. {@code where} (e.g. "epoch 2,
     * round 3, partition 1") is named when the loss or the update is not finite.
     */
    public Result train(float[] start, long optimizerSteps, long firstStep, LearningRateSchedule schedule,
            Iterator<MiniBatch> batches, int maxBatches, long dropoutSeed, String where) {
        long t0 = System.nanoTime();
        state.scatter(start, optimizerSteps);
        if (!carryOptimizerState) {
            optimizer.reset();
        }
        net.reseed(dropoutSeed);
        Result r = new Result();
        String step = where + ", mini-batch";
        trainingStep.resetTotals();
        if (nanGradient && batches.hasNext()) {
            trainingStep.injectNanGradient();
        }
        nanGradient = false;
        while (r.batches < maxBatches && batches.hasNext()) {
            MiniBatch b = batches.next();
            int n = b.size();
            trainingStep.run(b.images, labels(b, n), schedule.rate(firstStep + r.batches), step, r.batches + 1);
            r.batches++;
            r.samples += n;
        }
        r.lossSum = trainingStep.lossSum();
        r.correct = trainingStep.correct();
        state.gather(after);
        for (int i = 0; i < after.length; i++) {
            after[i] -= start[i];
            if (!Float.isFinite(after[i])) {
                throw new ArithmeticException("non-finite update at " + where + " (state value " + i + " of "
                        + after.length + "): lower the learning rate");
            }
        }
        r.delta = after.clone();
        r.trainNanos = System.nanoTime() - t0;
        return r;
    }

    /** Fault injection only: the next {@link #train} puts a NaN into its first mini-batch's gradient. */
    public void injectNanGradient() {
        nanGradient = true;
    }

    /** The batch's labels as an array of exactly n (the stream's label array may be longer). */
    private int[] labels(MiniBatch b, int n) {
        if (b.labels.length == n) {
            return b.labels;
        }
        if (tailLabels == null || tailLabels.length != n) {
            tailLabels = new int[n];
        }
        System.arraycopy(b.labels, 0, tailLabels, 0, n);
        return tailLabels;
    }
}
