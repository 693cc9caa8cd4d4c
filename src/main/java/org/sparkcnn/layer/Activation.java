package org.sparkcnn.layer;

import org.sparkcnn.kernel.Parallel;
import org.sparkcnn.tensor.Tensor;

/** Element-wise activation of any shape; subclasses give the function and its derivative. */
abstract class Activation extends AbstractLayer {
    private Tensor output;
    private Tensor dInput;
    // Loop bodies are built once: a capturing lambda per call would allocate every step.
    private float[] xs, ys, gs, dxs;
    private final Parallel.RangeBody forwardBody = (s, e, w) -> apply(xs, ys, s, e);
    private final Parallel.RangeBody backwardBody = (s, e, w) -> derive(xs, ys, gs, dxs, s, e);

    protected Activation(String name) {
        super(name);
    }

    @Override
    public int[] outputShape(int[] in) {
        if (in.length < 1) {
            throw error("expects a batch dimension, got a scalar shape");
        }
        return in.clone();
    }

    /** y[i] = f(x[i]) for i in [from, to). */
    protected abstract void apply(float[] x, float[] y, int from, int to);

    /** dx[i] = dy[i] · f'(x[i]), given x and y = f(x). */
    protected abstract void derive(float[] x, float[] y, float[] dy, float[] dx, int from, int to);

    @Override
    protected Tensor forwardImpl(Tensor x, boolean training) {
        if (output == null || !x.sameShape(output)) {
            outputShape(x.shape());
        }
        output = Tensor.reuseLike(output, x);
        xs = x.data;
        ys = output.data;
        parallel.forRange(xs.length, forwardBody);
        input = x;
        return output;
    }

    @Override
    protected Tensor backwardImpl(Tensor dy) {
        requireGradShape(dy, output);
        dInput = Tensor.reuseLike(dInput, dy);
        xs = input.data;
        ys = output.data;
        gs = dy.data;
        dxs = dInput.data;
        parallel.forRange(xs.length, backwardBody);
        return dInput;
    }
}
