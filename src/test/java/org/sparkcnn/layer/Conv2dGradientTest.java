package org.sparkcnn.layer;

import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.sparkcnn.GradientCheck;
import org.sparkcnn.tensor.Tensor;

/** Conv2d backward (dx, dW, db) against central differences, over padding modes and geometries. */
class Conv2dGradientTest {
    /** One convolution configuration; batch 0 means "draw it", spatial sizes are always drawn. */
    record Config(String label, int inC, int outC, int kh, int kw, int sh, int sw, int dh, int dw,
                  Padding padding, boolean bias, int batch) {
        @Override
        public String toString() {
            return label;
        }
    }

    static Stream<Config> configs() {
        return Stream.of(
                new Config("valid 3x3", 2, 3, 3, 3, 1, 1, 1, 1, Padding.VALID, true, 0),
                new Config("same 3x3", 2, 3, 3, 3, 1, 1, 1, 1, Padding.SAME, true, 0),
                new Config("same 4x4 stride 2 (odd total pad)", 2, 2, 4, 4, 2, 2, 1, 1, Padding.SAME, true, 0),
                new Config("full 3x3", 2, 2, 3, 3, 1, 1, 1, 1, Padding.FULL, true, 0),
                new Config("explicit asymmetric t1 b0 l2 r1", 2, 3, 3, 3, 1, 1, 1, 1, Padding.explicit(1, 0, 2, 1), true, 0),
                new Config("stride 2", 3, 2, 3, 3, 2, 2, 1, 1, Padding.explicit(1, 1), true, 0),
                new Config("stride 2x1", 2, 2, 3, 3, 2, 1, 1, 1, Padding.VALID, true, 0),
                new Config("dilation 2", 2, 2, 3, 3, 1, 1, 2, 2, Padding.VALID, true, 0),
                new Config("dilation 2 same", 2, 2, 3, 3, 1, 1, 2, 2, Padding.SAME, true, 0),
                new Config("dilation 2 full stride 2", 1, 2, 2, 3, 2, 2, 2, 2, Padding.FULL, true, 0),
                new Config("rectangular 2x3", 2, 3, 2, 3, 1, 1, 1, 1, Padding.VALID, true, 0),
                new Config("rectangular 1x3 same", 2, 2, 1, 3, 1, 1, 1, 1, Padding.SAME, true, 0),
                new Config("no bias", 2, 3, 3, 3, 1, 1, 1, 1, Padding.explicit(1, 1), false, 0),
                new Config("1 input channel", 1, 3, 3, 3, 1, 1, 1, 1, Padding.VALID, true, 0),
                new Config("1x1 pointwise", 3, 4, 1, 1, 1, 1, 1, 1, Padding.VALID, true, 0),
                new Config("1x1 stride 2", 3, 2, 1, 1, 2, 2, 1, 1, Padding.VALID, false, 0),
                new Config("1x1 padded (not the pointwise path)", 2, 2, 1, 1, 1, 1, 1, 1, Padding.explicit(1, 0), true, 0),
                new Config("batch 1", 2, 3, 3, 3, 1, 1, 1, 1, Padding.SAME, true, 1),
                new Config("batch 1 pointwise", 2, 3, 1, 1, 1, 1, 1, 1, Padding.VALID, true, 1));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void backwardMatchesCentralDifferences(Config c) {
        SplittableRandom rng = new SplittableRandom(c.label().hashCode());
        int spanH = c.dh() * (c.kh() - 1) + 1, spanW = c.dw() * (c.kw() - 1) + 1;
        for (int trial = 0; trial < 3; trial++) {
            int n = c.batch() > 0 ? c.batch() : 1 + rng.nextInt(3);
            int h = spanH + rng.nextInt(4), w = spanW + rng.nextInt(4);
            Conv2d conv = new Conv2d("conv", c.inC(), c.outC(), c.kh(), c.kw(), c.sh(), c.sw(), c.dh(), c.dw(),
                    c.padding(), c.bias());
            conv.setParallel(GradientCheck.SERIAL);
            GradientCheck.randomParams(conv, rng, 0.5);
            Tensor x = GradientCheck.gaussian(rng, n, c.inC(), h, w);
            // Convolution is linear in x and in W, so h = 1e-2 has no truncation error.
            GradientCheck.create().seed(trial).checkLayer(conv, x)
                    .assertOk(c.label() + " input [" + n + ", " + c.inC() + ", " + h + ", " + w + "]");
        }
    }
}
