package org.sparkcnn.optim;

import java.util.ArrayList;
import java.util.List;
import org.sparkcnn.layer.Param;

/**
 * SGD with momentum, dampening, Nesterov and L2 weight decay, exactly as PyTorch's torch.optim.SGD:
 * g ← grad + wd·w; v ← g on the first step, else v ← momentum·v + (1 − dampening)·g;
 * g ← g + momentum·v with Nesterov, else g ← v; w ← w − lr·g. Single precision throughout.
 */
public final class Sgd implements Optimizer {
    public final float momentum, dampening, weightDecay;
    public final boolean nesterov;
    private final List<float[]> velocity = new ArrayList<>();
    private boolean started;
    private long steps;

    public Sgd(double momentum, double dampening, double weightDecay, boolean nesterov) {
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
    public void step(List<Param> params, double lr) {
        if (!started && momentum != 0f) {
            for (Param p : params) {
                velocity.add(new float[p.value.size()]);
            }
        }
        final float rate = (float) lr;
        final float keep = 1f - dampening;
        for (int k = 0; k < params.size(); k++) {
            float[] w = params.get(k).value.data;
            float[] g = params.get(k).grad.data;
            float[] v = momentum != 0f ? velocity.get(k) : null;
            for (int i = 0; i < w.length; i++) {
                float d = weightDecay != 0f ? g[i] + weightDecay * w[i] : g[i];
                if (v != null) {
                    v[i] = started ? momentum * v[i] + keep * d : d;
                    d = nesterov ? d + momentum * v[i] : v[i];
                }
                w[i] = w[i] - rate * d;
            }
        }
        started = true;
        steps++;
    }

    @Override
    public long steps() {
        return steps;
    }

    @Override
    public void restore(List<Param> params, List<float[]> state, long steps) {
        reset();
        int want = steps == 0 || momentum == 0f ? 0 : params.size();
        StateCheck.arrays("SGD", params, state, want, 1);
        for (float[] v : state) {
            velocity.add(v.clone());
        }
        this.started = steps > 0;
        this.steps = steps;
    }

    @Override
    public List<float[]> state() {
        return velocity;
    }

    @Override
    public int slotsPerParameter() {
        return momentum != 0f ? 1 : 0;
    }

    @Override
    public void reset() {
        velocity.clear();
        started = false;
        steps = 0;
    }
}
