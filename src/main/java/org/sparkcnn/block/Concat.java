package org.sparkcnn.block;

import java.util.Arrays;
import java.util.List;
import org.sparkcnn.kernel.Parallel;
import org.sparkcnn.layer.Layer;
import org.sparkcnn.tensor.Shapes;
import org.sparkcnn.tensor.Tensor;

/** Parallel branches on the same input, outputs concatenated along channels (NCHW axis 1). */
public class Concat extends Container {
    private Tensor output;
    private Tensor dInput;
    private Tensor[] dBranch;
    private int[] channelsOf;

    public Concat(String name, List<Layer> branches) {
        super(name, branches);
        dBranch = new Tensor[branches.size()];
        channelsOf = new int[branches.size()];
    }

    public Concat(String name, Layer... branches) {
        this(name, Arrays.asList(branches));
    }

    @Override
    protected String signature() {
        return "Concat of " + children.size() + " branches";
    }

    @Override
    public int[] outputShape(int[] in) {
        int[] first = null;
        int c = 0;
        for (int b = 0; b < children.size(); b++) {
            int[] s = children.get(b).outputShape(in);
            if (s.length != 4) {
                throw error("branch " + b + " gives shape " + Shapes.str(s) + ", expected [N, C, H, W]");
            }
            if (first == null) {
                first = s;
            } else if (s[0] != first[0] || s[2] != first[2] || s[3] != first[3]) {
                throw error("branch " + b + " gives shape " + Shapes.str(s) + " but branch 0 gives "
                        + Shapes.str(first) + ": only channels may differ");
            }
            c += s[1];
        }
        return new int[] {first[0], c, first[2], first[3]};
    }

    @Override
    protected Tensor forwardImpl(Tensor x, boolean training) {
        if (input == null || !x.sameShape(input)) {
            int[] out = outputShape(x.shape());
            output = Tensor.reuse(output, out);
        }
        final int n = output.dim(0), plane = output.dim(2) * output.dim(3), total = output.dim(1);
        int offset = 0;
        for (int b = 0; b < children.size(); b++) {
            Tensor y = children.get(b).forward(x, training);
            channelsOf[b] = y.dim(1);
            copy(y.data, output.data, n, plane, total, offset, y.dim(1), true);
            offset += y.dim(1);
        }
        input = x;
        return output;
    }

    @Override
    protected Tensor backwardImpl(Tensor dy) {
        requireGradShape(dy, output);
        final int n = output.dim(0), plane = output.dim(2) * output.dim(3), total = output.dim(1);
        dInput = Tensor.reuseLike(dInput, input);
        final float[] dx = dInput.data;
        int offset = 0;
        for (int b = 0; b < children.size(); b++) {
            int cb = channelsOf[b];
            dBranch[b] = Tensor.reuse(dBranch[b], n, cb, output.dim(2), output.dim(3));
            copy(dy.data, dBranch[b].data, n, plane, total, offset, cb, false);
            Tensor g = children.get(b).backward(dBranch[b]);
            if (b == 0) {
                System.arraycopy(g.data, 0, dx, 0, dx.length);
            } else {
                accumulate(g.data, dx);
            }
            offset += cb;
        }
        return dInput;
    }

    // Arguments of the running copy or sum; loop bodies built once (no allocation per step).
    private float[] src, dst;
    private int plane, total, offset, channels;
    private boolean intoOutput;
    private final Parallel.RangeBody copyBody = (i0, i1, w) -> {
        int block = channels * plane;
        for (int i = i0; i < i1; i++) {
            int whole = (i * total + offset) * plane, part = i * block;
            if (intoOutput) {
                System.arraycopy(src, part, dst, whole, block);
            } else {
                System.arraycopy(src, whole, dst, part, block);
            }
        }
    };
    private final Parallel.RangeBody accumulateBody = (i0, i1, w) -> {
        for (int i = i0; i < i1; i++) {
            dst[i] += src[i];
        }
    };

    /** Copies one branch's channels [offset, offset + channels) of every image into (or out of) the whole. */
    private void copy(float[] from, float[] to, int n, int plane, int total, int offset, int channels, boolean intoOutput) {
        this.src = from;
        this.dst = to;
        this.plane = plane;
        this.total = total;
        this.offset = offset;
        this.channels = channels;
        this.intoOutput = intoOutput;
        parallel.forRange(n, copyBody);
    }

    private void accumulate(float[] from, float[] to) {
        this.src = from;
        this.dst = to;
        parallel.forRange(to.length, accumulateBody);
    }
}
