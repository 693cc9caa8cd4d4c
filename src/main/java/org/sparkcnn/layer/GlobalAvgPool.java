package org.sparkcnn.layer;

import org.sparkcnn.kernel.Pooling;
import org.sparkcnn.tensor.Tensor;

/** Mean over each channel's plane: [N, C, H, W] → [N, C]. */
public final class GlobalAvgPool extends AbstractLayer {
    private Tensor output;
    private Tensor dInput;
    private float[] gs;
    private final org.sparkcnn.kernel.Parallel.RangeBody forwardBody = (s, e, w) ->
            Pooling.globalAvgForward(input.data, s, e, input.dim(2) * input.dim(3), output.data);
    private final org.sparkcnn.kernel.Parallel.RangeBody backwardBody = (s, e, w) ->
            Pooling.globalAvgBackward(gs, s, e, input.dim(2) * input.dim(3), dInput.data);

    public GlobalAvgPool(String name) {
        super(name);
    }

    @Override
    protected String signature() {
        return "GlobalAvgPool";
    }

    @Override
    public int[] outputShape(int[] in) {
        requireRank(in, 4, "input [N, C, H, W]");
        return new int[] {in[0], in[1]};
    }

    @Override
    protected Tensor forwardImpl(Tensor x, boolean training) {
        if (input == null || !x.sameShape(input)) {
            outputShape(x.shape());
        }
        output = Tensor.reuse(output, x.dim(0), x.dim(1));
        input = x;
        parallel.forRange(output.size(), forwardBody);
        return output;
    }

    @Override
    protected Tensor backwardImpl(Tensor dy) {
        requireGradShape(dy, output);
        dInput = Tensor.reuseLike(dInput, input);
        gs = dy.data;
        parallel.forRange(output.size(), backwardBody);
        return dInput;
    }
}
