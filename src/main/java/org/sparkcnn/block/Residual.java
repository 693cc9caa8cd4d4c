package org.sparkcnn.block;

import java.util.List;
import org.sparkcnn.kernel.VectorOps;
import org.sparkcnn.layer.BatchNorm2d;
import org.sparkcnn.layer.Layer;
import org.sparkcnn.tensor.Shapes;
import org.sparkcnn.tensor.Tensor;

/**
 * h(x) = f(x) + s(x), where the shortcut s is the identity when none is given. With {@link #fuseRelu}
 * (set by the enclosing {@link Sequential} when a ReLU follows) it computes max(0, f(x) + s(x)) in
 * one pass, and backward hands the ReLU's mask (this layer's output) to the batch norms that end f
 * and s, which apply it while reading dy; with the identity shortcut the mask is applied in the
 * final sum dx = df + ds. Same float operations as the separate passes, so the same bits.
 */
public final class Residual extends Container {
    private final Layer body;
    private final Layer shortcut;
    private Tensor output;
    private Tensor dInput;
    private boolean reluAfter;
    private BatchNorm2d bodyEnd, shortcutEnd;

    public Residual(String name, Layer body, Layer shortcut) {
        super(name, shortcut == null ? List.of(body) : List.of(body, shortcut));
        this.body = body;
        this.shortcut = shortcut;
    }

    /** f: the branch whose output is added to the shortcut's. */
    public Layer body() {
        return body;
    }

    /** s, or null for the identity. */
    public Layer shortcut() {
        return shortcut;
    }

    /**
     * Whether this residual also applies the ReLU that follows it (which then passes through). Only
     * when f ends in a fused batch norm, and s is the identity or ends in one too (else the mask
     * would need a pass of its own); returns whether it does.
     */
    public boolean fuseRelu(boolean on) {
        BatchNorm2d b = lastBatchNorm(body), s = shortcut == null ? null : lastBatchNorm(shortcut);
        boolean can = on && b != null && b.fused() && (shortcut == null || s != null && s.fused());
        if (bodyEnd != null) {
            bodyEnd.maskGradient(null);
        }
        if (shortcutEnd != null) {
            shortcutEnd.maskGradient(null);
        }
        reluAfter = can;
        bodyEnd = can ? b : null;
        shortcutEnd = can ? s : null;
        return can;
    }

    /** The batch norm that receives a branch's dy first: its last layer, through nested sequences. */
    private static BatchNorm2d lastBatchNorm(Layer branch) {
        Layer l = branch;
        while (l instanceof Sequential) {
            List<Layer> c = l.children();
            l = c.get(c.size() - 1);
        }
        return l instanceof BatchNorm2d ? (BatchNorm2d) l : null;
    }

    @Override
    protected String signature() {
        return "Residual (" + (shortcut == null ? "identity" : "projection") + " shortcut)";
    }

    @Override
    public int[] outputShape(int[] in) {
        int[] f = body.outputShape(in);
        int[] s = shortcut == null ? in : shortcut.outputShape(in);
        if (!java.util.Arrays.equals(f, s)) {
            throw error("branch output " + Shapes.str(f) + " and shortcut output " + Shapes.str(s) + " cannot be added");
        }
        return f;
    }

    @Override
    protected Tensor forwardImpl(Tensor x, boolean training) {
        if (input == null || !x.sameShape(input)) {
            outputShape(x.shape());
        }
        Tensor f = body.forward(x, training);
        Tensor s = shortcut == null ? x : shortcut.forward(x, training);
        output = Tensor.reuseLike(output, f);
        if (reluAfter) {
            sa = f.data;
            sb = s.data;
            so = output.data;
            parallel.forRange(so.length, addReluBody);
            bodyEnd.maskGradient(output);
            if (shortcutEnd != null) {
                shortcutEnd.maskGradient(output);
            }
        } else {
            sum(f.data, s.data, output.data);
        }
        input = x;
        return output;
    }

    @Override
    protected Tensor backwardImpl(Tensor dy) {
        requireGradShape(dy, output);
        Tensor db = body.backward(dy);
        if (reluAfter && shortcut == null) {
            dInput = Tensor.reuseLike(dInput, input);
            sa = db.data;
            sb = dy.data;
            so = dInput.data;
            parallel.forRange(so.length, addMaskedBody);
            return dInput;
        }
        Tensor ds = shortcut == null ? dy : shortcut.backward(dy);
        dInput = Tensor.reuseLike(dInput, input);
        sum(db.data, ds.data, dInput.data);
        return dInput;
    }

    // out = a + b; the loop body is built once (a capturing lambda per call would allocate).
    private float[] sa, sb, so;
    private final org.sparkcnn.kernel.Parallel.RangeBody sumBody = (i0, i1, w) -> {
        for (int i = i0; i < i1; i++) {
            so[i] = sa[i] + sb[i];
        }
    };

    private final org.sparkcnn.kernel.Parallel.RangeBody addReluBody = (i0, i1, w) -> VectorOps.addRelu(sa, sb, so, i0, i1);
    private final org.sparkcnn.kernel.Parallel.RangeBody addMaskedBody =
            (i0, i1, w) -> VectorOps.addMasked(sa, sb, output.data, so, i0, i1);

    private void sum(float[] a, float[] b, float[] out) {
        sa = a;
        sb = b;
        so = out;
        parallel.forRange(out.length, sumBody);
    }
}
