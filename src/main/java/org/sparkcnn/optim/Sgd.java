package org.sparkcnn.optim;

import org.sparkcnn.kernel.VectorOps;

/**
 * SGD with momentum, dampening, Nesterov and L2 weight decay, exactly as PyTorch's torch.optim.SGD:
 * g ← grad + wd·w; v ← g on the first step, else v ← momentum·v + (1 − dampening)·g;
 * g ← g + momentum·v with Nesterov, else g ← v; w ← w − lr·g. Single precision throughout.
 * The velocity v is one slot over all parameters (with momentum).
 */
public final class Sgd extends SlotOptimizer {
    static {
        // Once per JVM: the update kernel runs once per step, too rarely for C2 to find it hot.
        VectorOps.warmUpdates();
    }

    public final float momentum, dampening, weightDecay;
    public final boolean nesterov;
    private float rate;
    private boolean first;

    public Sgd(double momentum, double dampening, double weightDecay, boolean nesterov) {
        super("SGD");
        if (momentum < 0 || dampening < 0 || weightDecay < 0) {
            throw new IllegalArgumentException("SGD: momentum, dampening and weight decay must not be negative, got "
                    + momentum + ", " + dampening + ", " + weightDecay);
        }
        if (nesterov && (momentum <= 0 || dampening != 0)) {
            throw new IllegalArgumentException("SGD: Nesterov momentum needs momentum > 0 and dampening 0");
        }
        this.momentum = (float) momentum;
        this.dampening = (float) dampening;
        this.weightDecay = (float) weightDecay;
        this.nesterov = nesterov;
    }

    public Sgd(double momentum, double weightDecay) {
        this(momentum, 0, weightDecay, false);
    }

    @Override
    void prepare(double lr, long done) {
        rate = (float) lr;
        first = done == 0;
    }

    @Override
    void update(float[] w, int wo, float[] g, int go, int so, int count) {
        VectorOps.sgd(w, wo, g, go, momentum != 0f ? state : null, so, count, rate, weightDecay, momentum,
                1f - dampening, first, nesterov);
    }

    @Override
    public int slotsPerParameter() {
        return momentum != 0f ? 1 : 0;
    }
}
