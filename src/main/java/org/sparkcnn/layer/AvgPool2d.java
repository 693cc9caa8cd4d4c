package org.sparkcnn.layer;

import org.sparkcnn.kernel.Pooling;
import org.sparkcnn.tensor.Tensor;

/**
 * Average pooling; backward spreads each error evenly over its window. With
 * {@code countIncludePad} padded cells count in the divisor (PyTorch's default), else only real cells.
 */
public final class AvgPool2d extends Pool2d {
    public final boolean countIncludePad;

    public AvgPool2d(String name, int kh, int kw, int sh, int sw, int ph, int pw, boolean countIncludePad) {
        super(name, kh, kw, sh, sw, ph, pw);
        this.countIncludePad = countIncludePad;
    }

    public AvgPool2d(String name, int k, int stride, int pad, boolean countIncludePad) {
        this(name, k, k, stride, stride, pad, pad, countIncludePad);
    }

    @Override
    protected String signature() {
        return "AvgPool2d " + window() + (countIncludePad ? "" : " excluding padding");
    }

    @Override
    protected Tensor forwardImpl(Tensor x, boolean training) {
        prepare(x);
        Pooling.avgForward(parallel, x.data, x.dim(0) * x.dim(1), x.dim(2), x.dim(3), kh, kw, sh, sw, ph, pw,
                output.dim(2), output.dim(3), countIncludePad, output.data);
        return output;
    }

    @Override
    protected Tensor backwardImpl(Tensor dy) {
        requireGradShape(dy, output);
        dInput = Tensor.reuseLike(dInput, input);
        Pooling.avgBackward(parallel, dy.data, input.dim(0) * input.dim(1), input.dim(2), input.dim(3), kh, kw, sh, sw,
                ph, pw, output.dim(2), output.dim(3), countIncludePad, dInput.data);
        return dInput;
    }
}
