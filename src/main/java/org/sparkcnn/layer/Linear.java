package org.sparkcnn.layer;

import java.util.List;
import java.util.random.RandomGenerator;
import org.sparkcnn.kernel.Gemm;
import org.sparkcnn.kernel.Parallel;
import org.sparkcnn.tensor.Shapes;
import org.sparkcnn.tensor.Tensor;

/** Dense layer y = x·Wᵀ + b on [N, in]; weight [out, in] as in PyTorch. */
public final class Linear extends AbstractLayer {
    public final int in, out;
    private final Param weight;
    private final Param bias;
    private Tensor output;
    private Tensor dInput;

    public Linear(String name, int in, int out) {
        super(name);
        this.in = in;
        this.out = out;
        require(in >= 1 && out >= 1, "feature counts must be at least 1, got in=" + in + " out=" + out);
        weight = new Param("weight", out, in);
        bias = new Param("bias", out);
    }

    public Param weight() {
        return weight;
    }

    public Param bias() {
        return bias;
    }

    @Override
    protected String signature() {
        return "Linear " + in + "→" + out;
    }

    @Override
    public List<Param> params() {
        return List.of(weight, bias);
    }

    /** PyTorch's default: weight and bias uniform in ±1/√in. */
    @Override
    public void init(RandomGenerator rng) {
        double bound = 1.0 / Math.sqrt(in);
        for (Tensor t : new Tensor[] {weight.value, bias.value}) {
            for (int i = t.offset, end = i + t.size(); i < end; i++) {
                t.data[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
            }
        }
    }

    @Override
    public long forwardMacs(int[] s) {
        return (long) s[0] * in * out;
    }

    @Override
    public int[] outputShape(int[] s) {
        requireRank(s, 2, "input [N, features] (add a Flatten before it)");
        if (s[1] != in) {
            throw error("expects " + in + " input features, got input shape " + Shapes.str(s));
        }
        return new int[] {s[0], out};
    }

    // Arguments of the running call; loop bodies built once (no allocation per step).
    private float[] gs;
    private final Parallel.RangeBody forwardBody = this::forwardColumns;
    private final Parallel.RangeBody inputGradientBody = this::inputGradientColumns;
    private final Parallel.RangeBody weightGradientBody = this::weightGradientRows;

    @Override
    protected Tensor forwardImpl(Tensor x, boolean training) {
        if (input == null || !x.sameShape(input)) {
            output = Tensor.reuse(output, outputShape(x.shape()));
        }
        input = x;
        parallel.forRange(out, forwardBody);
        return output;
    }

    /** y[:, j0..j1) = b + x · W[j0..j1)ᵀ. */
    private void forwardColumns(int j0, int j1, int worker) {
        int n = input.dim(0);
        float[] y = output.data;
        for (int r = 0; r < n; r++) {
            System.arraycopy(bias.value.data, bias.value.offset + j0, y, r * out + j0, j1 - j0);
        }
        Gemm.nt(n, j1 - j0, in, input.data, 0, in, weight.value.data, weight.value.offset + j0 * in, in, y, j0, out,
                true);
    }

    @Override
    protected Tensor backwardImpl(Tensor dy) {
        requireGradShape(dy, output);
        dInput = Tensor.reuseLike(dInput, input);
        gs = dy.data;
        parallel.forRange(in, inputGradientBody);
        parallel.forRange(out, weightGradientBody);
        return dInput;
    }

    /** dx[:, j0..j1) = dy · W[:, j0..j1). */
    private void inputGradientColumns(int j0, int j1, int worker) {
        Gemm.nn(input.dim(0), j1 - j0, out, gs, 0, out, weight.value.data, weight.value.offset + j0, in, dInput.data,
                j0, in, false);
    }

    /** dW[j0..j1) = dy[:, j0..j1)ᵀ · x and db[j0..j1) = Σ dy[:, j0..j1). */
    private void weightGradientRows(int j0, int j1, int worker) {
        int n = input.dim(0);
        Gemm.tn(j1 - j0, in, n, gs, j0, out, input.data, 0, in, weight.grad.data, weight.grad.offset + j0 * in, in,
                false);
        float[] db = bias.grad.data;
        int dbOff = bias.grad.offset;
        for (int j = j0; j < j1; j++) {
            float s = 0f;
            for (int r = 0; r < n; r++) {
                s += gs[r * out + j];
            }
            db[dbOff + j] = s;
        }
    }
}
