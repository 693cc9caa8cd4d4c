package org.sparkcnn.block;

import java.util.Arrays;
import java.util.List;
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
            final int cb = y.dim(1), off = offset;
            channelsOf[b] = cb;
            final float[] src = y.data, dst = output.data;
            parallel.forRange(n, (i0, i1, w) -> {
                for (int i = i0; i < i1; i++) {
                    System.arraycopy(src, i * cb * plane, dst, (i * total + off) * plane, cb * plane);
                }
            });
            offset += cb;
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
            final int cb = channelsOf[b], off = offset;
            dBranch[b] = Tensor.reuse(dBranch[b], n, cb, output.dim(2), output.dim(3));
            final float[] src = dy.data, dst = dBranch[b].data;
            parallel.forRange(n, (i0, i1, w) -> {
                for (int i = i0; i < i1; i++) {
                    System.arraycopy(src, (i * total + off) * plane, dst, i * cb * plane, cb * plane);
                }
            });
            Tensor g = children.get(b).backward(dBranch[b]);
            final float[] gs = g.data;
            final boolean first = b == 0;
            parallel.forRange(dx.length, (i0, i1, w) -> {
                if (first) {
                    System.arraycopy(gs, i0, dx, i0, i1 - i0);
                } else {
                    for (int i = i0; i < i1; i++) {
                        dx[i] += gs[i];
                    }
                }
            });
            offset += cb;
        }
        return dInput;
    }
}
