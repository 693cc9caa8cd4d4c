package org.sparkcnn.layer;

import org.sparkcnn.kernel.VectorOps;
import org.sparkcnn.tensor.Tensor;

/**
 * max(0, x); the gradient is passed where x &gt; 0 (zero at 0, as in PyTorch). When the layer before
 * applies it already (a fused batch norm or residual add, see block/Sequential), it passes its
 * input and gradient through unchanged.
 */
public final class ReLU extends Activation {
    private boolean passThrough;
    private Tensor passed;

    public ReLU(String name) {
        super(name);
    }

    /** Whether the layer before applies this ReLU, forward and backward, so this one passes through. */
    public void passThrough(boolean on) {
        passThrough = on;
        passed = null;
    }

    public boolean passesThrough() {
        return passThrough;
    }

    @Override
    protected String signature() {
        return "ReLU";
    }

    @Override
    protected Tensor forwardImpl(Tensor x, boolean training) {
        if (!passThrough) {
            return super.forwardImpl(x, training);
        }
        if (passed == null || !x.sameShape(passed)) {
            outputShape(x.shape());
        }
        input = x;
        passed = x;
        return x;
    }

    @Override
    protected Tensor backwardImpl(Tensor dy) {
        if (!passThrough) {
            return super.backwardImpl(dy);
        }
        requireGradShape(dy, passed);
        return dy;
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
