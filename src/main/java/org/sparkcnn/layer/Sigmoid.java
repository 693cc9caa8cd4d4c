package org.sparkcnn.layer;

/** 1 / (1 + e^−x); derivative y·(1 − y). */
public final class Sigmoid extends Activation {
    public Sigmoid(String name) {
        super(name);
    }

    @Override
    protected String signature() {
        return "Sigmoid";
    }

    @Override
    protected void apply(float[] x, float[] y, int from, int to) {
        for (int i = from; i < to; i++) {
            y[i] = (float) (1.0 / (1.0 + Math.exp(-x[i])));
        }
    }

    @Override
    protected void derive(float[] x, float[] y, float[] dy, float[] dx, int from, int to) {
        for (int i = from; i < to; i++) {
            dx[i] = dy[i] * y[i] * (1f - y[i]);
        }
    }
}
