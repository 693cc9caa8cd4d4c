package org.sparkcnn.layer;

import java.util.List;
import java.util.random.RandomGenerator;
import org.sparkcnn.kernel.Gemm;
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
        for (float[] a : new float[][] {weight.value.data, bias.value.data}) {
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
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

    @Override
    protected Tensor forwardImpl(Tensor x, boolean training) {
        if (input == null || !x.sameShape(input)) {
            output = Tensor.reuse(output, outputShape(x.shape()));
        }
        final int n = x.dim(0);
        final float[] xs = x.data, w = weight.value.data, b = bias.value.data, y = output.data;
        parallel.forRange(out, (j0, j1, worker) -> {
            for (int r = 0; r < n; r++) {
                System.arraycopy(b, j0, y, r * out + j0, j1 - j0);
            }
            Gemm.nt(n, j1 - j0, in, xs, 0, in, w, j0 * in, in, y, j0, out, true);
        });
        input = x;
        return output;
    }

    @Override
    protected Tensor backwardImpl(Tensor dy) {
        requireGradShape(dy, output);
        dInput = Tensor.reuseLike(dInput, input);
        final int n = input.dim(0);
        final float[] xs = input.data, w = weight.value.data, g = dy.data, dx = dInput.data;
        final float[] dw = weight.grad.data, db = bias.grad.data;
        parallel.forRange(in, (j0, j1, worker) ->
                Gemm.nn(n, j1 - j0, out, g, 0, out, w, j0, in, dx, j0, in, false));
        parallel.forRange(out, (j0, j1, worker) -> {
            Gemm.tn(j1 - j0, in, n, g, j0, out, xs, 0, in, dw, j0 * in, in, false);
            for (int j = j0; j < j1; j++) {
                float s = 0f;
                for (int r = 0; r < n; r++) {
                    s += g[r * out + j];
                }
                db[j] = s;
            }
        });
        return dInput;
    }
}
