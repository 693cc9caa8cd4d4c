package org.sparkcnn.layer;

import org.sparkcnn.kernel.Pooling;
import org.sparkcnn.tensor.Tensor;

/**
 * Average pooling; backward spreads each error evenly over its window. With
 * {@code countIncludePad} padded cells count in the divisor (PyTorch's default), else only real cells.
 */
public final class AvgPool2d extends Pool2d {
    public final boolean countIncludePad;
    private float[] gs;
    private final org.sparkcnn.kernel.Parallel.RangeBody forwardBody = this::forwardPlanes;
    private final org.sparkcnn.kernel.Parallel.RangeBody backwardBody = this::backwardPlanes;

    public AvgPool2d(String name, int kh, int kw, int sh, int sw, int ph, int pw, boolean countIncludePad) {
        super(name, kh, kw, sh, sw, ph, pw);
        this.countIncludePad = countIncludePad;
    }

    public AvgPool2d(String name, int k, int stride, int pad, boolean countIncludePad) {
        this(name, k, k, stride, stride, pad, pad, countIncludePad);
    }

    private void forwardPlanes(int s, int e, int w) {
        Pooling.avgForward(input.data, s, e, input.dim(2), input.dim(3), kh, kw, sh, sw, ph, pw, output.dim(2),
                output.dim(3), countIncludePad, output.data);
    }

    private void backwardPlanes(int s, int e, int w) {
        Pooling.avgBackward(gs, s, e, input.dim(2), input.dim(3), kh, kw, sh, sw, ph, pw, output.dim(2), output.dim(3),
                countIncludePad, dInput.data);
    }

    @Override
    protected String signature() {
        return "AvgPool2d " + window() + (countIncludePad ? "" : " excluding padding");
    }

    @Override
    protected Tensor forwardImpl(Tensor x, boolean training) {
        prepare(x);
        parallel.forRange(x.dim(0) * x.dim(1), forwardBody);
        return output;
    }

    @Override
    protected Tensor backwardImpl(Tensor dy) {
        requireGradShape(dy, output);
        dInput = Tensor.reuseLike(dInput, input);
        gs = dy.data;
        parallel.forRange(input.dim(0) * input.dim(1), backwardBody);
        return dInput;
    }
}
