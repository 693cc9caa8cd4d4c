package org.sparkcnn.optim;

import java.util.ArrayList;
import java.util.List;
import org.sparkcnn.layer.Param;

/**
 * Adam as torch.optim.Adam (L2 weight decay added to the gradient) or, with {@code decoupled},
 * AdamW (w ← w − lr·wd·w before the Adam step). m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
 * w ← w − lr·(m / (1−β1ᵗ)) / (√(v / (1−β2ᵗ)) + ε).
 */
public final class Adam implements Optimizer {
    public final float beta1, beta2, eps, weightDecay;
    public final boolean decoupled;
    private final List<float[]> state = new ArrayList<>();
    private long t;

    public Adam(double beta1, double beta2, double eps, double weightDecay, boolean decoupled) {
        if (beta1 < 0 || beta1 >= 1 || beta2 < 0 || beta2 >= 1 || eps <= 0 || weightDecay < 0) {
            throw new IllegalArgumentException("Adam: need 0 <= beta1, beta2 < 1, eps > 0, weight decay >= 0; got "
                    + beta1 + ", " + beta2 + ", " + eps + ", " + weightDecay);
        }
        this.beta1 = (float) beta1;
        this.beta2 = (float) beta2;
        this.eps = (float) eps;
        this.weightDecay = (float) weightDecay;
        this.decoupled = decoupled;
    }

    public Adam() {
        this(0.9, 0.999, 1e-8, 0, false);
    }

    @Override
    public void step(List<Param> params, double lr) {
        if (t == 0) {
            for (Param p : params) {
                state.add(new float[p.value.size()]); // m
                state.add(new float[p.value.size()]); // v
            }
        }
        t++;
        final float c1 = (float) (1 - Math.pow(beta1, t));
        final double c2sqrt = Math.sqrt(1 - Math.pow(beta2, t));
        final float stepSize = (float) (lr / c1);
        final float rate = (float) lr;
        for (int k = 0; k < params.size(); k++) {
            float[] w = params.get(k).value.data;
            float[] g = params.get(k).grad.data;
            float[] m = state.get(2 * k), v = state.get(2 * k + 1);
            for (int i = 0; i < w.length; i++) {
                float d = g[i];
                if (weightDecay != 0f) {
                    if (decoupled) {
                        w[i] = w[i] * (1f - rate * weightDecay);
                    } else {
                        d = d + weightDecay * w[i];
                    }
                }
                m[i] = beta1 * m[i] + (1f - beta1) * d;
                v[i] = beta2 * v[i] + (1f - beta2) * d * d;
                float denom = (float) (Math.sqrt(v[i]) / c2sqrt) + eps;
                w[i] = w[i] - stepSize * m[i] / denom;
            }
        }
    }

    /** m and v of each parameter, alternating. */
    @Override
    public List<float[]> state() {
        return state;
    }

    /** Steps taken so far (bias correction needs it). */
    @Override
    public long steps() {
        return t;
    }

    @Override
    public void restore(List<Param> params, List<float[]> saved, long steps) {
        reset();
        StateCheck.arrays("Adam", params, saved, steps == 0 ? 0 : params.size(), 2);
        for (float[] a : saved) {
            state.add(a.clone());
        }
        t = steps;
    }

    @Override
    public int slotsPerParameter() {
        return 2;
    }

    @Override
    public void reset() {
        state.clear();
        t = 0;
    }
}
