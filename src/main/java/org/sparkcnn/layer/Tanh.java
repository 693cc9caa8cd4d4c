package org.sparkcnn.layer;

/** tanh(x); derivative 1 − y². */
public final class Tanh extends Activation {
    public Tanh(String name) {
        super(name);
    }

    @Override
    protected String signature() {
        return "Tanh";
    }

    @Override
    protected void apply(float[] x, float[] y, int from, int to) {
        for (int i = from; i < to; i++) {
            y[i] = (float) Math.tanh(x[i]);
        }
    }

    @Override
    protected void derive(float[] x, float[] y, float[] dy, float[] dx, int from, int to) {
        for (int i = from; i < to; i++) {
            dx[i] = dy[i] * (1f - y[i] * y[i]);
        }
    }
}
