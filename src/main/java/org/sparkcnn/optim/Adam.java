package org.sparkcnn.optim;

/**
 * Adam as torch.optim.Adam (L2 weight decay added to the gradient) or, with {@code decoupled},
 * AdamW (w ← w − lr·wd·w before the Adam step). m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
 * w ← w − lr·(m / (1−β1ᵗ)) / (√(v / (1−β2ᵗ)) + ε). m and v are two slots over all parameters.
 */
public final class Adam extends SlotOptimizer {
    public final float beta1, beta2, eps, weightDecay;
    public final boolean decoupled;
    // constants of the running step
    private float rate, stepSize;
    private double c2sqrt;

    public Adam(double beta1, double beta2, double eps, double weightDecay, boolean decoupled) {
        super("Adam");
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
    void prepare(double lr, long done) {
        long t = done + 1;
        final float c1 = (float) (1 - Math.pow(beta1, t));
        c2sqrt = Math.sqrt(1 - Math.pow(beta2, t));
        stepSize = (float) (lr / c1);
        rate = (float) lr;
    }

    @Override
    void update(float[] w, int wo, float[] g, int go, int so, int count) {
        final float[] m = state;
        final float[] v = state;
        final int vo = n + so;
        for (int i = 0; i < count; i++) {
            float d = g[go + i];
            if (weightDecay != 0f) {
                if (decoupled) {
                    w[wo + i] = w[wo + i] * (1f - rate * weightDecay);
                } else {
                    d = d + weightDecay * w[wo + i];
                }
            }
            m[so + i] = beta1 * m[so + i] + (1f - beta1) * d;
            v[vo + i] = beta2 * v[vo + i] + (1f - beta2) * d * d;
            float denom = (float) (Math.sqrt(v[vo + i]) / c2sqrt) + eps;
            w[wo + i] = w[wo + i] - stepSize * m[so + i] / denom;
        }
    }

    /** m and v. */
    @Override
    public int slotsPerParameter() {
        return 2;
    }
}
