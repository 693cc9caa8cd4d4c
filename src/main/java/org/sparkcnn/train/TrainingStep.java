package org.sparkcnn.train;

import java.util.List;
import org.sparkcnn.layer.Param;
import org.sparkcnn.model.Network;
import org.sparkcnn.optim.Optimizer;
import org.sparkcnn.tensor.Tensor;

/**
 * One optimiser step on one mini-batch, the same for the local and the partition trainer:
 * forward with the loss, a check that the loss is finite (before anything changes), backward
 * (each layer overwrites its gradients), and the optimiser's update at the given rate. Keeps
 * running totals of the loss and correct predictions for the trainers' figures.
 */
public final class TrainingStep {
    private final Network net;
    private final Optimizer optimizer;
    private final List<Param> params;
    private double lossSum;
    private long correct;
    /** An injected fault (docs/reliability.md): the next step's first gradient value becomes NaN. */
    private boolean nanGradient;

    public TrainingStep(Network net, Optimizer optimizer) {
        this.net = net;
        this.optimizer = optimizer;
        this.params = net.paramList();
    }

    /**
     * Trains on {@code labels.length} images of {@code x} at learning rate {@code lr}; returns the
     * batch's mean loss. A non-finite loss throws, naming the step as {@code where} followed by
     * {@code index} (e.g. "epoch 2, step" 40), so that nothing is built per step.
     */
    public float run(Tensor x, int[] labels, double lr, String where, long index) {
        float loss = net.forwardLoss(x, labels);
        if (!Float.isFinite(loss)) {
            throw new ArithmeticException("non-finite loss " + loss + " at " + where + " " + index + " (learning rate "
                    + lr + "): lower the learning rate");
        }
        net.backward();
        if (nanGradient) {
            Tensor g = params.get(0).grad;
            g.data[g.offset] = Float.NaN;
            nanGradient = false;
        }
        optimizer.step(params, lr);
        lossSum += (double) loss * labels.length;
        correct += net.lastCorrect();
        return loss;
    }

    /** Σ loss × batch size over the steps since the last {@link #resetTotals}. */
    public double lossSum() {
        return lossSum;
    }

    /** Correct predictions (in training mode) since the last {@link #resetTotals}. */
    public long correct() {
        return correct;
    }

    /** Fault injection only: the next step's first gradient value is NaN, as a numerical fault would make it. */
    public void injectNanGradient() {
        nanGradient = true;
    }

    public void resetTotals() {
        lossSum = 0;
        correct = 0;
    }
}
