package org.sparkcnn.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** VectorOps against plain loops, on lengths around the vector width (tails) and with offsets. */
class VectorOpsTest {
    private static final int[] LENGTHS = {0, 1, 7, 15, 16, 17, 31, 33, 100};

    private static float[] random(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        a[n / 2] = 0f; // an exact zero: ReLU's boundary
        return a;
    }

    /** The SGD kernel rounds every lane as the scalar rule, bit for bit, in every setting and from any offsets. */
    @Test
    void sgdMatchesTheScalarRuleBitForBit() {
        SplittableRandom r = new SplittableRandom(4);
        for (int n : LENGTHS) {
            for (int setting = 0; setting < 16; setting++) {
                float wd = (setting & 1) != 0 ? 5e-4f : 0f;
                boolean momentum = (setting & 2) != 0, first = (setting & 4) != 0, nesterov = (setting & 8) != 0;
                float m = momentum ? 0.9f : 0f, keep = 0.7f, rate = 0.05f;
                int wo = 1, go = 4, vo = 2, size = n + 5;
                float[] w = random(r, size), g = random(r, size), v = random(r, size);
                g[go] = -0f; // -0 + wd·w is where a "wd = 0" shortcut would change a bit
                float[] ww = w.clone(), wv = v.clone();
                VectorOps.sgd(w, wo, g, go, momentum ? v : null, vo, n, rate, wd, m, keep, first, nesterov);
                for (int i = 0; i < n; i++) {
                    float d = wd != 0f ? g[go + i] + wd * ww[wo + i] : g[go + i];
                    if (momentum) {
                        wv[vo + i] = first ? d : m * wv[vo + i] + keep * d;
                        d = nesterov ? d + m * wv[vo + i] : wv[vo + i];
                    }
                    ww[wo + i] = ww[wo + i] - rate * d;
                }
                assertArrayEquals(bits(ww), bits(w), "w, n=" + n + " setting " + setting);
                assertArrayEquals(bits(wv), bits(v), "v, n=" + n + " setting " + setting);
            }
        }
    }

    private static int[] bits(float[] a) {
        int[] b = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            b[i] = Float.floatToRawIntBits(a[i]);
        }
        return b;
    }

    @Test
    void elementWiseOpsMatchPlainLoops() {
        SplittableRandom r = new SplittableRandom(3);
        for (int n : LENGTHS) {
            int off = 3;
            float[] x = random(r, n + 2 * off + 1), dy = random(r, n + 2 * off + 1), h = random(r, n + 2 * off + 1);
            float[] y = new float[x.length], want = new float[x.length];
            VectorOps.relu(x, y, off, off + n);
            for (int i = off; i < off + n; i++) {
                want[i] = x[i] > 0 ? x[i] : 0;
            }
            assertArrayEquals(want, y, "relu n=" + n);
            java.util.Arrays.fill(y, 0f);
            java.util.Arrays.fill(want, 0f);
            VectorOps.reluBackward(x, dy, y, off, off + n);
            for (int i = off; i < off + n; i++) {
                want[i] = x[i] > 0 ? dy[i] : 0;
            }
            assertArrayEquals(want, y, "reluBackward n=" + n);
            float[] acc = dy.clone(), accWant = dy.clone();
            VectorOps.addInto(x, 1, acc, off, n);
            for (int i = 0; i < n; i++) {
                accWant[off + i] += x[1 + i];
            }
            assertArrayEquals(accWant, acc, "addInto n=" + n);
            float[] cp = new float[x.length], cpWant = new float[x.length];
            VectorOps.copy(x, 2, cp, off, n);
            System.arraycopy(x, 2, cpWant, off, n);
            assertArrayEquals(cpWant, cp, "copy n=" + n);
            float[] z = x.clone(), zWant = x.clone();
            VectorOps.zero(z, off, off + n);
            java.util.Arrays.fill(zWant, off, off + n, 0f);
            assertArrayEquals(zWant, z, "zero n=" + n);

            double s = 0, sq = 0, d = 0;
            for (int i = off; i < off + n; i++) {
                s += x[i];
                sq += (x[i] - 0.25) * (x[i] - 0.25);
                d += (double) x[i] * dy[i];
            }
            assertEquals(s, VectorOps.sum(x, off, n), 1e-5 * (1 + n), "sum n=" + n);
            assertEquals(sq, VectorOps.sumSquaredDeviations(x, off, n, 0.25f), 1e-5 * (1 + n), "sq n=" + n);
            assertEquals(d, VectorOps.dot(x, dy, off, n), 1e-5 * (1 + n), "dot n=" + n);

            float[] hh = new float[x.length], yy = new float[x.length];
            VectorOps.normalize(x, hh, yy, off, n, 0.1f, 1.5f, 2f, -1f);
            float[] aff = new float[x.length];
            VectorOps.affine(x, aff, off, n, 3f, 0.5f);
            float[] bn = new float[x.length];
            VectorOps.batchNormBackward(dy, h, bn, off, n, 0.5f, 64f, 0.3f, -0.7f);
            for (int i = off; i < off + n; i++) {
                double hv = (x[i] - 0.1) * 1.5;
                assertEquals(hv, hh[i], 1e-5, "normalize h");
                assertEquals(2 * hv - 1, yy[i], 1e-5, "normalize y");
                assertEquals(x[i] * 3.0 + 0.5, aff[i], 1e-5, "affine");
                assertEquals(0.5 * (64.0 * dy[i] - 0.3 - h[i] * -0.7), bn[i], 1e-4, "batchNormBackward");
            }
            assertEquals(0f, hh[off - 1]);
            assertEquals(0f, hh[off + n]);
        }
    }
}
