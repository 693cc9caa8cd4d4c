package org.sparkcnn.block;

import java.util.List;
import org.sparkcnn.layer.Layer;
import org.sparkcnn.tensor.Shapes;
import org.sparkcnn.tensor.Tensor;

/** h(x) = f(x) + s(x), where the shortcut s is the identity when none is given. */
public final class Residual extends Container {
    private final Layer body;
    private final Layer shortcut;
    private Tensor output;
    private Tensor dInput;

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
        sum(f.data, s.data, output.data);
        input = x;
        return output;
    }

    @Override
    protected Tensor backwardImpl(Tensor dy) {
        requireGradShape(dy, output);
        Tensor db = body.backward(dy);
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

    private void sum(float[] a, float[] b, float[] out) {
        sa = a;
        sb = b;
        so = out;
        parallel.forRange(out.length, sumBody);
    }
}
