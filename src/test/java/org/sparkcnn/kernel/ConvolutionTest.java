package org.sparkcnn.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.sparkcnn.tensor.Shapes;

/**
 * Both convolutions (im2col + GEMM, and direct) forward and backward against a direct 7-loop convolution
 * accumulated in double, on random geometries including the awkward ones: one channel, odd
 * sizes, stride 2, batch 1, dilation, full and asymmetric padding, the 1×1 pointwise path.
 */
class ConvolutionTest {
    private static final Parallel ONE = new Parallel(1);
    private static final Parallel TWO = new Parallel(2);

    @AfterAll
    static void closePool() {
        TWO.close();
    }

    /** n, inC, H, W, outC, kh, kw, sh, sw, dh, dw, padTop, padBottom, padLeft, padRight. */
    private static final int[][] FIXED = {
        {1, 1, 5, 5, 1, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0},   // batch 1, one channel
        {2, 3, 7, 5, 4, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1},   // stride 2, odd sizes
        {3, 2, 6, 6, 2, 3, 3, 1, 1, 2, 2, 0, 0, 0, 0},   // dilation 2
        {2, 2, 4, 5, 3, 3, 2, 1, 1, 1, 1, 2, 2, 1, 1},   // full padding (span − 1 each side)
        {2, 2, 5, 6, 2, 3, 3, 2, 1, 2, 1, 4, 4, 2, 2},   // full padding, dilated, stride 2×1
        {1, 3, 5, 7, 2, 2, 3, 1, 2, 1, 1, 1, 0, 2, 1},   // asymmetric explicit padding
        {2, 4, 3, 5, 3, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0},   // pointwise (GEMM on x directly)
        {1, 3, 5, 5, 2, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0},   // 1×1 stride 2 (not pointwise)
        {2, 1, 9, 9, 2, 5, 5, 3, 3, 1, 1, 2, 1, 0, 2},   // stride 3, kernel 5
        {1, 2, 2, 2, 1, 4, 4, 1, 1, 1, 1, 3, 3, 3, 3},   // kernel larger than input, full padding
        // stride 1 with output width = input width: Im2col's whole-row path
        {2, 3, 6, 5, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},   // "same" 3×3
        {2, 2, 5, 6, 3, 3, 3, 1, 1, 1, 1, 0, 2, 0, 2},   // all padding after the input
        {1, 2, 4, 6, 2, 2, 3, 1, 1, 1, 1, 1, 0, 2, 0},   // all padding before, taller output than valid
        {2, 1, 3, 3, 2, 1, 5, 1, 1, 1, 1, 0, 0, 2, 2},   // kernel wider than the input
        {1, 2, 3, 3, 1, 3, 7, 1, 1, 1, 1, 1, 1, 3, 3},   // shift of a whole row width
        {2, 2, 7, 7, 2, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2},   // dilated "same"
        {1, 1, 5, 4, 2, 3, 3, 1, 1, 1, 1, 0, 0, 1, 1},   // valid height, same width
        // batches large enough for several images per weight-gradient group, the last one short
        {19, 2, 5, 6, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},
        {17, 3, 4, 4, 5, 2, 2, 1, 1, 1, 1, 0, 1, 1, 0},
        {35, 1, 3, 3, 7, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0},
        // strided direct form: phases of several images per group, odd and even sizes, unused phases
        {19, 3, 8, 8, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1},   // resnet20's down-sampling 3×3
        {17, 4, 9, 8, 6, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0},   // its 1×1 shortcut, odd height
        {3, 2, 7, 9, 3, 3, 3, 2, 3, 2, 1, 2, 1, 0, 2},    // stride 2×3, dilated rows
        // output channels past two vectors: the weight gradient's 6×2 tiles with 1-row and 1-vector tails
        {9, 3, 6, 5, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},
        {3, 5, 7, 7, 33, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1},
        // padding wider than the kernel's span (the zero border of dY is not negative)
        {2, 2, 4, 5, 3, 1, 1, 2, 2, 1, 1, 1, 2, 2, 1},
        {2, 1, 5, 4, 2, 3, 3, 1, 1, 1, 1, 3, 4, 3, 3},
    };

    @Test
    void fixedAwkwardGeometries() {
        SplittableRandom rng = new SplittableRandom(51);
        for (int[] s : FIXED) {
            compare(s, rng);
        }
    }

    @Test
    void randomGeometries() {
        SplittableRandom rng = new SplittableRandom(52);
        int done = 0;
        while (done < 40) {
            int kh = 1 + rng.nextInt(4), kw = 1 + rng.nextInt(4), dh = 1 + rng.nextInt(2), dw = 1 + rng.nextInt(2);
            int[] s = {1 + rng.nextInt(3), 1 + rng.nextInt(3), 1 + rng.nextInt(9), 1 + rng.nextInt(9), 1 + rng.nextInt(4),
                kh, kw, 1 + rng.nextInt(3), 1 + rng.nextInt(3), dh, dw,
                rng.nextInt(dh * (kh - 1) + 1), rng.nextInt(dh * (kh - 1) + 1),
                rng.nextInt(dw * (kw - 1) + 1), rng.nextInt(dw * (kw - 1) + 1)};
            if (out(s, true) >= 1 && out(s, false) >= 1) {
                compare(s, rng);
                done++;
            }
        }
    }

    private static int out(int[] s, boolean vertical) {
        return vertical ? Shapes.windowOut(s[2], s[5], s[7], s[9], s[11], s[12])
                : Shapes.windowOut(s[3], s[6], s[8], s[10], s[13], s[14]);
    }

    private static void compare(int[] s, SplittableRandom rng) {
        String what = java.util.Arrays.toString(s);
        int n = s[0];
        ConvGeometry g = new ConvGeometry(s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10],
                s[11], s[12], s[13], s[14], out(s, true), out(s, false));
        float[] x = random(rng, n * g.inC * g.inH * g.inW);
        float[] w = random(rng, g.outC * g.patch());
        float[] b = random(rng, g.outC);
        float[] dy = random(rng, n * g.outC * g.outH * g.outW);

        // Reference: y, dx, dW, db by direct loops, plus Σ|terms| per output for the tolerance.
        double[] y = new double[dy.length], ym = new double[dy.length];
        double[] dx = new double[x.length], dxm = new double[x.length];
        double[] dw = new double[w.length], dwm = new double[w.length];
        double[] db = new double[b.length], dbm = new double[b.length];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < g.outC; k++) {
                for (int oy = 0; oy < g.outH; oy++) {
                    for (int ox = 0; ox < g.outW; ox++) {
                        int yi = ((i * g.outC + k) * g.outH + oy) * g.outW + ox;
                        y[yi] = b[k];
                        ym[yi] = Math.abs(b[k]);
                        db[k] += dy[yi];
                        dbm[k] += Math.abs(dy[yi]);
                        for (int c = 0; c < g.inC; c++) {
                            for (int ki = 0; ki < g.kh; ki++) {
                                for (int kj = 0; kj < g.kw; kj++) {
                                    int iy = oy * g.sh - g.padTop + ki * g.dh, ix = ox * g.sw - g.padLeft + kj * g.dw;
                                    if (iy < 0 || iy >= g.inH || ix < 0 || ix >= g.inW) {
                                        continue;
                                    }
                                    int xi = ((i * g.inC + c) * g.inH + iy) * g.inW + ix;
                                    int wi = ((k * g.inC + c) * g.kh + ki) * g.kw + kj;
                                    y[yi] += (double) w[wi] * x[xi];
                                    ym[yi] += Math.abs((double) w[wi] * x[xi]);
                                    dx[xi] += (double) w[wi] * dy[yi];
                                    dxm[xi] += Math.abs((double) w[wi] * dy[yi]);
                                    dw[wi] += (double) x[xi] * dy[yi];
                                    dwm[wi] += Math.abs((double) x[xi] * dy[yi]);
                                }
                            }
                        }
                    }
                }
            }
        }
        for (Parallel par : new Parallel[] {ONE, TWO}) {
            java.util.List<Convolution> impls = new java.util.ArrayList<>();
            impls.add(new Im2colConvolution(g, n, par));
            assertTrue(DirectConvolution.supports(g), what);
            impls.add(new DirectConvolution(g, n, par));
            for (Convolution conv : impls) {
                check(what + " " + conv.getClass().getSimpleName(), conv, g, n, x, w, b, dy, y, ym, dx, dxm, dw, dwm, db, dbm);
            }
        }
    }

    private static void check(String what, Convolution conv, ConvGeometry g, int n, float[] x, float[] w, float[] b,
                              float[] dy, double[] y, double[] ym, double[] dx, double[] dxm, double[] dw,
                              double[] dwm, double[] db, double[] dbm) {
        {
            float[] gy = new float[dy.length];
            java.util.Arrays.fill(gy, Float.NaN); // forward must overwrite, not read, y
            conv.forward(x, w, b, gy);
            near(what + " y", y, ym, gy);
            float[] gdx = filled(x.length), gdw = filled(w.length), gdb = filled(b.length);
            conv.backward(x, w, dy, gdx, gdw, gdb);
            near(what + " dx", dx, dxm, gdx);
            near(what + " dW", dw, dwm, gdw);
            near(what + " db", db, dbm, gdb);
            // Without bias and without dx (first layer): y and dW alone.
            conv.forward(x, w, null, gy);
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < g.outC; k++) {
                    for (int p = 0; p < g.outH * g.outW; p++) {
                        int yi = (i * g.outC + k) * g.outH * g.outW + p;
                        assertTrue(Math.abs(gy[yi] - (y[yi] - b[k])) <= 1e-5 * ym[yi] + 1e-5, what + " y without bias");
                    }
                }
            }
            conv.backward(x, w, dy, null, gdw, null);
            near(what + " dW without dx", dw, dwm, gdw);
            windowsOfLargerArrays(what, conv, x, w, b, dy);
        }
    }

    /**
     * Weights and bias as windows of larger arrays, as parameters lie in their network's flat
     * vectors: the very same bits as on arrays of their own, and nothing outside the windows written.
     */
    private static void windowsOfLargerArrays(String what, Convolution conv, float[] x, float[] w, float[] b,
            float[] dy) {
        float[] y = new float[dy.length], dx = new float[x.length], dw = new float[w.length], db = new float[b.length];
        conv.forward(x, w, b, y);
        conv.backward(x, w, dy, dx, dw, db);
        int wo = 3, bo = wo + w.length + 5;
        float[] values = filled(bo + b.length + 2), grads = filled(values.length);
        System.arraycopy(w, 0, values, wo, w.length);
        System.arraycopy(b, 0, values, bo, b.length);
        float[] vy = new float[y.length], vdx = new float[dx.length];
        conv.forward(x, values, wo, values, bo, vy);
        conv.backward(x, values, wo, dy, vdx, grads, wo, grads, bo);
        assertArrayEquals(y, vy, what + " y from windows");
        assertArrayEquals(dx, vdx, what + " dx from windows");
        float[] want = filled(grads.length);
        System.arraycopy(dw, 0, want, wo, dw.length);
        System.arraycopy(db, 0, want, bo, db.length);
        assertArrayEquals(want, grads, what + " dW and db into windows");
    }

    /** Backward overwrites its outputs, so garbage in them must not matter. */
    private static float[] filled(int size) {
        float[] v = new float[size];
        java.util.Arrays.fill(v, 1e6f);
        return v;
    }

    static void near(String what, double[] ref, double[] mag, float[] got) {
        for (int i = 0; i < ref.length; i++) {
            assertTrue(Math.abs(got[i] - ref[i]) <= 1e-5 * mag[i] + 1e-6,
                    what + "[" + i + "] = " + got[i] + ", expected " + ref[i]);
        }
    }

    static float[] random(SplittableRandom rng, int size) {
        float[] v = new float[size];
        for (int i = 0; i < size; i++) {
            v[i] = (float) rng.nextGaussian();
        }
        return v;
    }
}
