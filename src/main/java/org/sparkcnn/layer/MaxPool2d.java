package org.sparkcnn.layer;

import org.sparkcnn.kernel.Pooling;
import org.sparkcnn.tensor.Tensor;

/** Max pooling; backward sends each error to the cell that won its window (the first on ties). */
public final class MaxPool2d extends Pool2d {
    private int[] argmax = new int[0];
    private float[] gs;
    private boolean recordWinners;
    private final org.sparkcnn.kernel.Parallel.RangeBody forwardBody = (s, e, w) -> Pooling.maxForward(input.data, s, e,
            input.dim(2), input.dim(3), kh, kw, sh, sw, ph, pw, output.dim(2), output.dim(3), output.data,
            recordWinners ? argmax : null);
    /** Whether argmax belongs to the last forward (inference skips it). */
    private boolean winnersValid;
    private final org.sparkcnn.kernel.Parallel.RangeBody backwardBody = (s, e, w) -> Pooling.maxBackward(gs, argmax, s, e,
            input.dim(2) * input.dim(3), output.dim(2) * output.dim(3), dInput.data);

    public MaxPool2d(String name, int kh, int kw, int sh, int sw, int ph, int pw) {
        super(name, kh, kw, sh, sw, ph, pw);
    }

    public MaxPool2d(String name, int k, int stride, int pad) {
        this(name, k, k, stride, stride, pad, pad);
    }

    @Override
    protected String signature() {
        return "MaxPool2d " + window();
    }

    @Override
    protected Tensor forwardImpl(Tensor x, boolean training) {
        prepare(x);
        if (argmax.length != output.size()) {
            argmax = new int[output.size()];
        }
        recordWinners = training; // inference needs only the values
        winnersValid = training;
        parallel.forRange(x.dim(0) * x.dim(1), forwardBody);
        return output;
    }

    @Override
    protected Tensor backwardImpl(Tensor dy) {
        requireGradShape(dy, output);
        if (!winnersValid) { // backward after an inference forward: find the winners now
            recordWinners = true;
            parallel.forRange(input.dim(0) * input.dim(1), forwardBody);
            winnersValid = true;
        }
        dInput = Tensor.reuseLike(dInput, input);
        gs = dy.data;
        parallel.forRange(input.dim(0) * input.dim(1), backwardBody);
        return dInput;
    }
}
