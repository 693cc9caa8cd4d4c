package org.sparkcnn.layer;

import org.sparkcnn.tensor.Shapes;
import org.sparkcnn.tensor.Tensor;

/** Window geometry and checks shared by max and average pooling (floor mode, symmetric padding). */
abstract class Pool2d extends AbstractLayer {
    public final int kh, kw, sh, sw, ph, pw;
    protected Tensor output;
    protected Tensor dInput;

    protected Pool2d(String name, int kh, int kw, int sh, int sw, int ph, int pw) {
        super(name);
        this.kh = kh;
        this.kw = kw;
        this.sh = sh;
        this.sw = sw;
        this.ph = ph;
        this.pw = pw;
        require(kh >= 1 && kw >= 1, "kernel size must be at least 1, got " + kh + "×" + kw);
        require(sh >= 1 && sw >= 1, "stride must be at least 1, got " + sh + "×" + sw);
        require(ph >= 0 && pw >= 0, "padding must not be negative, got " + ph + "×" + pw);
        // As in PyTorch: a wider pad would make windows of padding only.
        require(2 * ph <= kh && 2 * pw <= kw, "padding " + ph + "×" + pw + " must be at most half the kernel " + kh + "×" + kw);
    }

    protected String window() {
        return kh + "×" + kw + " stride " + sh + "×" + sw + (ph + pw > 0 ? " pad " + ph + "×" + pw : "");
    }

    @Override
    public int[] outputShape(int[] in) {
        requireRank(in, 4, "input [N, C, H, W]");
        int oh = Shapes.windowOut(in[2], kh, sh, 1, ph, ph);
        int ow = Shapes.windowOut(in[3], kw, sw, 1, pw, pw);
        if (oh < 1 || ow < 1) {
            throw error("window " + kh + "×" + kw + " is larger than the padded input " + (in[2] + 2 * ph) + "×"
                    + (in[3] + 2 * pw) + " (input shape " + Shapes.str(in) + ")");
        }
        return new int[] {in[0], in[1], oh, ow};
    }

    /** Checks x, sizes the output buffer, remembers x. */
    protected void prepare(Tensor x) {
        if (output == null || x.rank() != 4 || input == null || !x.sameShape(input)) {
            output = Tensor.reuse(output, outputShape(x.shape()));
        }
        input = x;
    }
}
