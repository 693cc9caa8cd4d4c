package org.sparkcnn.layer;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;
import org.sparkcnn.kernel.ConvGeometry;
import org.sparkcnn.kernel.Convolution;
import org.sparkcnn.tensor.Shapes;
import org.sparkcnn.tensor.Tensor;

/**
 * 2-D convolution as cross-correlation (the kernel is not flipped), NCHW, weight
 * [outC, inC, kh, kw]. Backward: dX = full correlation of dY with the 180°-rotated kernel,
 * dW = X ⋆ dY, db = Σ dY (computed as matrix products on the unfolded input).
 */
public final class Conv2d extends AbstractLayer {
    public final int inC, outC, kh, kw, sh, sw, dh, dw;
    public final Padding padding;
    private final Param weight;
    private final Param bias;
    private Convolution conv;
    private Tensor output;
    private Tensor dInput;
    private boolean inputGradient = true;

    public Conv2d(String name, int inC, int outC, int kh, int kw, int sh, int sw, int dh, int dw,
                  Padding padding, boolean withBias) {
        super(name);
        this.inC = inC;
        this.outC = outC;
        this.kh = kh;
        this.kw = kw;
        this.sh = sh;
        this.sw = sw;
        this.dh = dh;
        this.dw = dw;
        this.padding = padding;
        require(inC >= 1 && outC >= 1, "channel counts must be at least 1, got in=" + inC + " out=" + outC);
        require(kh >= 1 && kw >= 1, "kernel size must be at least 1, got " + kh + "×" + kw);
        require(sh >= 1 && sw >= 1, "stride must be at least 1, got " + sh + "×" + sw);
        require(dh >= 1 && dw >= 1, "dilation must be at least 1, got " + dh + "×" + dw);
        require(padding.top >= 0 && padding.bottom >= 0 && padding.left >= 0 && padding.right >= 0,
                "padding must not be negative, got " + padding);
        this.weight = new Param("weight", outC, inC, kh, kw);
        this.bias = withBias ? new Param("bias", outC) : null;
    }

    /** Square kernel, same stride and dilation on both axes. */
    public Conv2d(String name, int inC, int outC, int k, int stride, Padding padding, boolean withBias) {
        this(name, inC, outC, k, k, stride, stride, 1, 1, padding, withBias);
    }

    public Param weight() {
        return weight;
    }

    /** Null when the layer has no bias. */
    public Param bias() {
        return bias;
    }

    @Override
    protected String signature() {
        return "Conv2d " + inC + "→" + outC + " " + kh + "×" + kw + " stride " + sh + "×" + sw
                + (dh * dw > 1 ? " dilation " + dh + "×" + dw : "") + " " + padding;
    }

    @Override
    public List<Param> params() {
        List<Param> p = new ArrayList<>(2);
        p.add(weight);
        if (bias != null) {
            p.add(bias);
        }
        return p;
    }

    @Override
    public void setInputGradient(boolean needed) {
        inputGradient = needed;
    }

    @Override
    public void setParallel(org.sparkcnn.kernel.Parallel parallel) {
        super.setParallel(parallel);
        if (conv != null) {
            // keep the geometry so a backward after this call still works
            conv = Convolution.create(conv.geometry(), conv.batch(), parallel);
        }
    }

    /** He-normal weights (std √(2/fan_in)), zero bias. */
    @Override
    public void init(RandomGenerator rng) {
        double std = Math.sqrt(2.0 / (inC * kh * kw));
        float[] w = weight.value.data;
        for (int i = weight.value.offset, end = i + weight.value.size(); i < end; i++) {
            w[i] = (float) (rng.nextGaussian() * std);
        }
        if (bias != null) {
            bias.value.fill(0f);
        }
    }

    public ConvGeometry geometry(int[] in) {
        requireRank(in, 4, "input [N, C, H, W]");
        if (in[1] != inC) {
            throw error("expects " + inC + " input channels, got input shape " + Shapes.str(in));
        }
        int[] ph = padding.resolve(in[2], kh, sh, dh, true);
        int[] pw = padding.resolve(in[3], kw, sw, dw, false);
        int oh = Shapes.windowOut(in[2], kh, sh, dh, ph[0], ph[1]);
        int ow = Shapes.windowOut(in[3], kw, sw, dw, pw[0], pw[1]);
        if (oh < 1 || ow < 1) {
            throw error("kernel " + kh + "×" + kw + (dh * dw > 1 ? " (dilated)" : "")
                    + " is larger than the padded input " + (in[2] + ph[0] + ph[1]) + "×" + (in[3] + pw[0] + pw[1])
                    + " (input shape " + Shapes.str(in) + ")");
        }
        return new ConvGeometry(inC, in[2], in[3], outC, kh, kw, sh, sw, dh, dw, ph[0], ph[1], pw[0], pw[1], oh, ow);
    }

    @Override
    public long forwardMacs(int[] in) {
        ConvGeometry g = geometry(in);
        return (long) in[0] * outC * g.outH * g.outW * g.patch();
    }

    @Override
    public int[] outputShape(int[] in) {
        ConvGeometry g = geometry(in);
        return new int[] {in[0], outC, g.outH, g.outW};
    }

    @Override
    protected Tensor forwardImpl(Tensor x, boolean training) {
        int n = x.rank() == 4 ? x.dim(0) : -1;
        if (conv == null || conv.batch() != n || x.rank() != 4 || x.dim(1) != inC
                || x.dim(2) != conv.geometry().inH || x.dim(3) != conv.geometry().inW) {
            int[] s = x.shape();
            ConvGeometry g = geometry(s);
            conv = Convolution.create(g, s[0], parallel);
        }
        ConvGeometry g = conv.geometry();
        output = Tensor.reuse(output, n, outC, g.outH, g.outW);
        conv.forward(x.data, weight.value.data, weight.value.offset, bias == null ? null : bias.value.data,
                bias == null ? 0 : bias.value.offset, output.data);
        input = x;
        return output;
    }

    @Override
    protected Tensor backwardImpl(Tensor dy) {
        requireGradShape(dy, output);
        if (inputGradient) {
            dInput = Tensor.reuseLike(dInput, input);
        }
        conv.backward(input.data, weight.value.data, weight.value.offset, dy.data, inputGradient ? dInput.data : null,
                weight.grad.data, weight.grad.offset, bias == null ? null : bias.grad.data,
                bias == null ? 0 : bias.grad.offset);
        return inputGradient ? dInput : null;
    }
}
