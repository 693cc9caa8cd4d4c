package org.sparkcnn.layer;

/** max(0, x); the gradient is passed where x &gt; 0 (zero at 0, as in PyTorch). */
public final class ReLU extends Activation {
    public ReLU(String name) {
        super(name);
    }

    @Override
    protected String signature() {
        return "ReLU";
    }

    @Override
    protected void apply(float[] x, float[] y, int from, int to) {
        for (int i = from; i < to; i++) {
            y[i] = x[i] > 0f ? x[i] : 0f;
        }
    }

    @Override
    protected void derive(float[] x, float[] y, float[] dy, float[] dx, int from, int to) {
        for (int i = from; i < to; i++) {
            dx[i] = x[i] > 0f ? dy[i] : 0f;
        }
    }
}
