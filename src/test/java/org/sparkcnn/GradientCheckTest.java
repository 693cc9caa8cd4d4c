package org.sparkcnn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.sparkcnn.layer.AbstractLayer;
import org.sparkcnn.layer.Conv2d;
import org.sparkcnn.layer.Padding;
import org.sparkcnn.layer.Param;
import org.sparkcnn.tensor.Tensor;

/**
 * The checker must fail when backward is wrong, or a green gradient test proves nothing. The
 * classic convolution bug is to compute dx as the full correlation of dy with the kernel as
 * stored instead of the 180°-rotated kernel; it gives plausible magnitudes and the right shape,
 * and training still moves, so only a gradient check catches it.
 */
class GradientCheckTest {
    /**
     * A stride-1 Conv2d whose dx is recomputed by hand: dx[c][y][x] = Σ dy[k][y+pt−i][x+pl−j]·W[k][c][i][j]
     * (correct), or with W[k][c][kh−1−i][kw−1−j] when {@code flipped} (the bug). Weight and bias
     * gradients come from the real layer.
     */
    static final class HandConv extends AbstractLayer {
        final Conv2d inner;
        final boolean flipped;
        final int pt, pl;

        HandConv(Conv2d inner, boolean flipped) {
            super("conv");
            this.inner = inner;
            this.flipped = flipped;
            this.pt = inner.padding.top;
            this.pl = inner.padding.left;
        }

        @Override
        protected String signature() {
            return "HandConv";
        }

        @Override
        public List<Param> params() {
            return inner.params();
        }

        @Override
        public int[] outputShape(int[] in) {
            return inner.outputShape(in);
        }

        @Override
        protected Tensor forwardImpl(Tensor x, boolean training) {
            input = x;
            return inner.forward(x, training);
        }

        @Override
        protected Tensor backwardImpl(Tensor dy) {
            inner.backward(dy);
            int n = input.dim(0), c = input.dim(1), h = input.dim(2), w = input.dim(3);
            int k = dy.dim(1), oh = dy.dim(2), ow = dy.dim(3), kh = inner.kh, kw = inner.kw;
            float[] wt = inner.weight().value.data;
            Tensor dx = new Tensor(n, c, h, w);
            for (int b = 0; b < n; b++) {
                for (int ci = 0; ci < c; ci++) {
                    for (int y = 0; y < h; y++) {
                        for (int x = 0; x < w; x++) {
                            double s = 0;
                            for (int ko = 0; ko < k; ko++) {
                                for (int i = 0; i < kh; i++) {
                                    for (int j = 0; j < kw; j++) {
                                        int oy = y + pt - i, ox = x + pl - j;
                                        if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) {
                                            continue;
                                        }
                                        int wi = flipped ? kh - 1 - i : i, wj = flipped ? kw - 1 - j : j;
                                        s += dy.data[((b * k + ko) * oh + oy) * ow + ox]
                                                * wt[((ko * c + ci) * kh + wi) * kw + wj];
                                    }
                                }
                            }
                            dx.data[((b * c + ci) * h + y) * w + x] = (float) s;
                        }
                    }
                }
            }
            return dx;
        }
    }

    private static HandConv layer(boolean flipped, SplittableRandom rng) {
        Conv2d conv = new Conv2d("conv", 2, 3, 3, 1, Padding.explicit(1, 1), true);
        conv.setParallel(GradientCheck.SERIAL);
        GradientCheck.randomParams(conv, rng, 0.5);
        return new HandConv(conv, flipped);
    }

    @Test
    void handWrittenCorrectBackwardPasses() {
        SplittableRandom rng = new SplittableRandom(1);
        GradientCheck.create().checkLayer(layer(false, rng), GradientCheck.gaussian(rng, 2, 2, 5, 5))
                .assertOk("hand-written conv backward");
    }

    @Test
    void unrotatedKernelInDxIsReported() {
        SplittableRandom rng = new SplittableRandom(1);
        GradientCheck.Report r = GradientCheck.create().checkLayer(layer(true, rng), GradientCheck.gaussian(rng, 2, 2, 5, 5));
        assertFalse(r.ok(), "the flipped-kernel dx must not pass: " + r);
        // The report points at the input gradient only; dW and db come from the real layer and pass.
        assertEquals(List.of("input"), r.failedTargets, r.toString());
        assertTrue(r.mismatches.size() > r.checked / 4, r.toString());
    }

    @Test
    void gradientThatAccumulatesInsteadOfOverwritingIsReported() {
        SplittableRandom rng = new SplittableRandom(2);
        Conv2d conv = new Conv2d("conv", 2, 2, 3, 1, Padding.SAME, true);
        conv.setParallel(GradientCheck.SERIAL);
        GradientCheck.randomParams(conv, rng, 0.5);
        // Adds the stale gradient back, as a "+=" backward would.
        AbstractLayer accumulating = new AbstractLayer("conv") {
            @Override
            protected String signature() {
                return "accumulating";
            }

            @Override
            public List<Param> params() {
                return conv.params();
            }

            @Override
            public int[] outputShape(int[] in) {
                return conv.outputShape(in);
            }

            @Override
            protected Tensor forwardImpl(Tensor x, boolean training) {
                return conv.forward(x, training);
            }

            @Override
            protected Tensor backwardImpl(Tensor dy) {
                float[] stale = conv.bias().grad.data.clone();
                Tensor dx = conv.backward(dy);
                for (int i = 0; i < stale.length; i++) {
                    conv.bias().grad.data[i] += stale[i];
                }
                return dx;
            }
        };
        GradientCheck.Report r = GradientCheck.create().checkLayer(accumulating, GradientCheck.gaussian(rng, 1, 2, 4, 4));
        assertEquals(List.of("conv.bias"), r.failedTargets, r.toString());
    }
}
