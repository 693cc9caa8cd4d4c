package org.sparkcnn.layer;

import org.sparkcnn.tensor.Tensor;

/** [N, d1, d2, …] → [N, d1·d2·…], sharing the array (no copy). */
public final class Flatten extends AbstractLayer {
    private Tensor output;
    private Tensor dInput;

    public Flatten(String name) {
        super(name);
    }

    @Override
    protected String signature() {
        return "Flatten";
    }

    @Override
    public int[] outputShape(int[] in) {
        if (in.length < 2) {
            throw error("expects a batch dimension and at least one more, got rank " + in.length);
        }
        int f = 1;
        for (int i = 1; i < in.length; i++) {
            f *= in[i];
        }
        return new int[] {in[0], f};
    }

    @Override
    protected Tensor forwardImpl(Tensor x, boolean training) {
        if (output == null || output.data != x.data || !x.sameShape(input)) {
            output = x.view(outputShape(x.shape()));
        }
        input = x;
        return output;
    }

    @Override
    protected Tensor backwardImpl(Tensor dy) {
        requireGradShape(dy, output);
        if (dInput == null || dInput.data != dy.data || !dInput.sameShape(input)) {
            dInput = dy.view(input.shape());
        }
        return dInput;
    }
}
