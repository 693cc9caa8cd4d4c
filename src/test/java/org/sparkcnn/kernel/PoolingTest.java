package org.sparkcnn.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.sparkcnn.tensor.Shapes;

/**
 * Max, average (padding counted or not, PyTorch's divisors) and global average pooling against
 * naive loops over each window, forward and backward, on random and awkward shapes.
 */
class PoolingTest {
    private static final Parallel ONE = new Parallel(1);
    private static final Parallel THREE = new Parallel(3);

    @AfterAll
    static void closePool() {
        THREE.close();
    }

    /** planes, H, W, kh, kw, sh, sw, ph, pw. */
    private static int[][] shapes(SplittableRandom rng) {
        int[][] s = new int[40][];
        s[0] = new int[] {1, 1, 1, 1, 1, 1, 1, 0, 0};
        s[1] = new int[] {3, 5, 7, 2, 2, 2, 2, 1, 1};   // odd sizes, stride 2, pad
        s[2] = new int[] {2, 3, 3, 3, 3, 1, 1, 1, 1};   // Inception's 3×3/1/1
        s[3] = new int[] {1, 4, 6, 3, 2, 1, 2, 1, 1};
        for (int i = 4; i < s.length; ) {
            int kh = 1 + rng.nextInt(4), kw = 1 + rng.nextInt(4);
            int[] c = {1 + rng.nextInt(5), 1 + rng.nextInt(8), 1 + rng.nextInt(8), kh, kw, 1 + rng.nextInt(3),
                1 + rng.nextInt(3), rng.nextInt(kh / 2 + 1), rng.nextInt(kw / 2 + 1)};
            if (oh(c) >= 1 && ow(c) >= 1) {
                s[i++] = c;
            }
        }
        return s;
    }

    private static int oh(int[] c) {
        return Shapes.windowOut(c[1], c[3], c[5], 1, c[7], c[7]);
    }

    private static int ow(int[] c) {
        return Shapes.windowOut(c[2], c[4], c[6], 1, c[8], c[8]);
    }

    @Test
    void maxMatchesNaive() {
        SplittableRandom rng = new SplittableRandom(61);
        for (int[] c : shapes(rng)) {
            int pl = c[0], h = c[1], w = c[2], oh = oh(c), ow = ow(c);
            float[] x = ConvolutionTest.random(rng, pl * h * w);
            float[] dy = ConvolutionTest.random(rng, pl * oh * ow);
            float[] y = new float[pl * oh * ow], dx = new float[pl * h * w];
            float[] refDx = new float[dx.length];
            float[] refY = new float[y.length];
            for (int p = 0; p < pl; p++) {
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        float best = Float.NEGATIVE_INFINITY;
                        int arg = -1;
                        for (int i = 0; i < c[3]; i++) {
                            for (int j = 0; j < c[4]; j++) {
                                int iy = oy * c[5] - c[7] + i, ix = ox * c[6] - c[8] + j;
                                if (iy >= 0 && iy < h && ix >= 0 && ix < w && x[(p * h + iy) * w + ix] > best) {
                                    best = x[(p * h + iy) * w + ix];
                                    arg = (p * h + iy) * w + ix;
                                }
                            }
                        }
                        int o = (p * oh + oy) * ow + ox;
                        refY[o] = best;
                        refDx[arg] += dy[o];
                    }
                }
            }
            for (Parallel par : new Parallel[] {ONE, THREE}) {
                int[] argmax = new int[y.length];
                par.forRange(pl, (s0, e0, wk) -> Pooling.maxForward(x, s0, e0, h, w, c[3], c[4], c[5], c[6], c[7], c[8], oh, ow, y, argmax));
                assertArrayEquals(refY, y, java.util.Arrays.toString(c));
                // inference: values only, no winners recorded
                float[] values = new float[y.length];
                par.forRange(pl, (s0, e0, wk) -> Pooling.maxForward(x, s0, e0, h, w, c[3], c[4], c[5], c[6], c[7], c[8], oh, ow, values, null));
                assertArrayEquals(refY, values, "values only " + java.util.Arrays.toString(c));
                java.util.Arrays.fill(dx, 99f);
                par.forRange(pl, (s0, e0, wk) -> Pooling.maxBackward(dy, argmax, s0, e0, h * w, oh * ow, dx));
                assertArrayEquals(refDx, dx, 1e-6f, java.util.Arrays.toString(c));
            }
        }
    }

    @Test
    void twoByTwoValuesOnlyPathKeepsTheWinnerRule() {
        // one 2×4 plane → two windows: [NaN, 1 | 2, 3] and [-0.0, 0.0 | -1, -2]
        float[] x = {Float.NaN, 1, -0.0f, 0.0f, 2, 3, -1, -2};
        float[] withArg = new float[2], values = new float[2];
        Pooling.maxForward(x, 0, 1, 2, 4, 2, 2, 2, 2, 0, 0, 1, 2, withArg, new int[2]);
        Pooling.maxForward(x, 0, 1, 2, 4, 2, 2, 2, 2, 0, 0, 1, 2, values, null);
        assertTrue(Float.isNaN(values[0]));
        assertEquals(Float.floatToRawIntBits(withArg[1]), Float.floatToRawIntBits(values[1]), "first of -0.0 and 0.0 wins");
        assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(values[1]));
    }

    /**
     * The vector form of the 2×2 values-only path against its scalar twin, bit for bit (NaN as NaN), on planes
     * full of ties, signed zeros and NaNs of several payloads: every width from 2 to 41 (odd ones
     * drop a column), several planes, and a sub-range of planes, so steps that would read past the
     * array's end fall back to the scalar form.
     */
    @Test
    void twoByTwoValuesVectorFormEqualsScalarTwinBitForBit() {
        java.util.SplittableRandom rng = new java.util.SplittableRandom(71);
        float[] pool = {0f, -0f, 1f, 1f, -1f, 2.5f, Float.NaN, Float.intBitsToFloat(0x7fc00001),
            Float.intBitsToFloat(0xffc00002), Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY};
        for (int w = 2; w <= 41; w++) {
            for (int h : new int[] {2, 3, 6}) {
                int planes = 1 + rng.nextInt(3), oh = h / 2, ow = w / 2;
                float[] x = new float[planes * h * w];
                for (int i = 0; i < x.length; i++) {
                    x[i] = rng.nextInt(4) == 0 ? (float) rng.nextGaussian() : pool[rng.nextInt(pool.length)];
                }
                float[] got = new float[planes * oh * ow], want = new float[got.length];
                int start = planes > 1 ? 1 : 0;
                Pooling.maxForward(x, start, planes, h, w, 2, 2, 2, 2, 0, 0, oh, ow, got, null);
                Pooling.max2x2ValuesScalar(x, start, planes, h, w, oh, ow, want);
                for (int i = 0; i < got.length; i++) {
                    // a NaN's payload may come out canonical (the Vector API's Java fallback goes
                    // through Float.floatToIntBits); every other value, signed zeros included, exactly
                    assertEquals(Float.isNaN(want[i]) ? Float.floatToIntBits(want[i]) : Float.floatToRawIntBits(want[i]),
                            Float.isNaN(got[i]) ? Float.floatToIntBits(got[i]) : Float.floatToRawIntBits(got[i]),
                            "w=" + w + " h=" + h + " planes=" + planes + " at " + i);
                }
            }
        }
    }

    /**
     * Inception's 3×3 stride-1 pool (padding 1), vector rows included (widths of a vector's
     * interior and more), against a naive twin of the winner rule: the first NaN in row-major
     * order, else the first cell strictly greater than all before it; y is x at the winner, bit
     * for bit (a NaN's payload aside), with and without winners.
     */
    @Test
    void threeByThreeStrideOneEqualsNaiveWinnerRule() {
        java.util.SplittableRandom rng = new java.util.SplittableRandom(73);
        float[] pool = {0f, -0f, 1f, 1f, -1f, 2.5f, Float.NaN, Float.intBitsToFloat(0x7fc00001),
            Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY};
        for (int w : new int[] {1, 2, 3, 7, 17, 18, 19, 28, 33, 40}) {
            for (int h : new int[] {1, 3, 5}) {
                int planes = 1 + rng.nextInt(3);
                float[] x = new float[planes * h * w];
                for (int i = 0; i < x.length; i++) {
                    x[i] = rng.nextInt(3) == 0 ? (float) rng.nextGaussian() : pool[rng.nextInt(pool.length)];
                }
                float[] y = new float[x.length], yv = new float[x.length];
                int[] arg = new int[x.length];
                Pooling.maxForward(x, 0, planes, h, w, 3, 3, 1, 1, 1, 1, h, w, y, arg);
                Pooling.maxForward(x, 0, planes, h, w, 3, 3, 1, 1, 1, 1, h, w, yv, null);
                for (int pl = 0; pl < planes; pl++) {
                    for (int oy = 0; oy < h; oy++) {
                        for (int ox = 0; ox < w; ox++) {
                            int want = -1;
                            float best = Float.NEGATIVE_INFINITY;
                            for (int iy = Math.max(oy - 1, 0); iy < Math.min(oy + 2, h) && (want < 0 || x[want] == x[want]); iy++) {
                                for (int ix = Math.max(ox - 1, 0); ix < Math.min(ox + 2, w); ix++) {
                                    int i = (pl * h + iy) * w + ix;
                                    if (want < 0 || x[i] != x[i] || x[i] > best) {
                                        want = i;
                                        best = x[i];
                                        if (x[i] != x[i]) {
                                            break;
                                        }
                                    }
                                }
                            }
                            int o = (pl * h + oy) * w + ox;
                            String what = "w=" + w + " h=" + h + " plane " + pl + " at (" + oy + ", " + ox + ")";
                            assertEquals(want, arg[o], what + " winner");
                            assertEquals(Float.floatToIntBits(x[want]), Float.floatToIntBits(y[o]), what + " y");
                            assertEquals(Float.floatToIntBits(x[want]), Float.floatToIntBits(yv[o]), what + " y without winners");
                            if (x[want] == x[want]) {
                                assertEquals(Float.floatToRawIntBits(x[want]), Float.floatToRawIntBits(y[o]), what + " y bits");
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void threeByThreeInteriorWindowsKeepTheWinnerRule() {
        // 4×4 plane, 3×3 stride 1 padding 1: outputs (1,1), (1,2), (2,1), (2,2) are interior windows
        float[] x = {
            5, 1, 1, 0,
            1, 5, 2, 2,
            0, 2, 4, 1,
            0, 2, 3, Float.NaN};
        float[] y = new float[16];
        int[] arg = new int[16];
        Pooling.maxForward(x, 0, 1, 4, 4, 3, 3, 1, 1, 1, 1, 4, 4, y, arg);
        assertEquals(5f, y[5]);
        assertEquals(0, arg[5], "tie of two 5s: the first in row-major order");
        assertEquals(5f, y[6]);
        assertEquals(5, arg[6]);
        assertEquals(5f, y[9]);
        assertEquals(5, arg[9]);
        assertTrue(Float.isNaN(y[10]), "the window around (2,2) holds the NaN");
        assertEquals(15, arg[10]);
        assertEquals(5f, y[0]); // border window, general path
        assertEquals(0, arg[0]);
    }

    @Test
    void maxTiesGoToTheFirstCellAndNaNWins() {
        float[] x = {1, 1, 1, 1, 2, Float.NaN, 2, 0, 3};
        float[] y = new float[4];
        int[] arg = new int[4];
        ONE.forRange(1, (s0, e0, wk) -> Pooling.maxForward(x, s0, e0, 3, 3, 2, 2, 1, 1, 0, 0, 2, 2, y, arg));
        assertEquals(2f, y[0]);
        assertEquals(4, arg[0]);
        assertTrue(Float.isNaN(y[1]) && Float.isNaN(y[3]));
        assertEquals(5, arg[1]);
    }

    @Test
    void averageMatchesNaiveWithAndWithoutPadding() {
        SplittableRandom rng = new SplittableRandom(62);
        for (int[] c : shapes(rng)) {
            for (boolean include : new boolean[] {true, false}) {
                int pl = c[0], h = c[1], w = c[2], oh = oh(c), ow = ow(c);
                float[] x = ConvolutionTest.random(rng, pl * h * w);
                float[] dy = ConvolutionTest.random(rng, pl * oh * ow);
                double[] refY = new double[pl * oh * ow], refDx = new double[pl * h * w];
                for (int p = 0; p < pl; p++) {
                    for (int oy = 0; oy < oh; oy++) {
                        for (int ox = 0; ox < ow; ox++) {
                            double s = 0;
                            int real = 0, padded = 0;
                            for (int i = 0; i < c[3]; i++) {
                                for (int j = 0; j < c[4]; j++) {
                                    int iy = oy * c[5] - c[7] + i, ix = ox * c[6] - c[8] + j;
                                    if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                                        s += x[(p * h + iy) * w + ix];
                                        real++;
                                    }
                                    // PyTorch counts cells inside the padded input, not past it.
                                    if (iy < h + c[7] && ix < w + c[8]) {
                                        padded++;
                                    }
                                }
                            }
                            int div = include ? padded : real;
                            int o = (p * oh + oy) * ow + ox;
                            refY[o] = s / div;
                            for (int i = 0; i < c[3]; i++) {
                                for (int j = 0; j < c[4]; j++) {
                                    int iy = oy * c[5] - c[7] + i, ix = ox * c[6] - c[8] + j;
                                    if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                                        refDx[(p * h + iy) * w + ix] += dy[o] / div;
                                    }
                                }
                            }
                        }
                    }
                }
                for (Parallel par : new Parallel[] {ONE, THREE}) {
                    String what = java.util.Arrays.toString(c) + " include=" + include + " threads=" + par.threads();
                    float[] y = new float[refY.length], dx = new float[refDx.length];
                    par.forRange(pl, (s0, e0, wk) -> Pooling.avgForward(x, s0, e0, h, w, c[3], c[4], c[5], c[6], c[7], c[8], oh, ow, include, y));
                    near(what + " y", refY, y);
                    java.util.Arrays.fill(dx, 99f);
                    par.forRange(pl, (s0, e0, wk) -> Pooling.avgBackward(dy, s0, e0, h, w, c[3], c[4], c[5], c[6], c[7], c[8], oh, ow, include, dx));
                    near(what + " dx", refDx, dx);
                }
            }
        }
    }

    @Test
    void globalAverageMatchesNaive() {
        SplittableRandom rng = new SplittableRandom(63);
        for (int t = 0; t < 10; t++) {
            int pl = 1 + rng.nextInt(6), size = 1 + rng.nextInt(50);
            float[] x = ConvolutionTest.random(rng, pl * size), dy = ConvolutionTest.random(rng, pl);
            double[] refY = new double[pl], refDx = new double[pl * size];
            for (int p = 0; p < pl; p++) {
                for (int i = 0; i < size; i++) {
                    refY[p] += x[p * size + i] / (double) size;
                    refDx[p * size + i] = dy[p] / (double) size;
                }
            }
            float[] y = new float[pl], dx = new float[pl * size];
            THREE.forRange(pl, (s0, e0, wk) -> Pooling.globalAvgForward(x, s0, e0, size, y));
            THREE.forRange(pl, (s0, e0, wk) -> Pooling.globalAvgBackward(dy, s0, e0, size, dx));
            near("global y", refY, y);
            near("global dx", refDx, dx);
        }
    }

    private static void near(String what, double[] ref, float[] got) {
        for (int i = 0; i < ref.length; i++) {
            assertTrue(Math.abs(got[i] - ref[i]) <= 1e-5 * (1 + Math.abs(ref[i])) + 1e-5,
                    what + "[" + i + "] = " + got[i] + ", expected " + ref[i]);
        }
    }
}
