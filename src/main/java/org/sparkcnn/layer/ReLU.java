package org.sparkcnn.layer;

import org.sparkcnn.kernel.VectorOps;

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
        VectorOps.relu(x, y, from, to);
    }

    @Override
    protected void derive(float[] x, float[] y, float[] dy, float[] dx, int from, int to) {
        VectorOps.reluBackward(x, dy, dx, from, to);
    }
}
