package org.sparkcnn.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Gemm nn/tn/nt against a naive double-precision triple loop, on sub-matrices with offsets and
 * leading dimensions wider than the rows, with and without accumulation. Sizes include 1 and
 * sizes past the KC=256 / NC=512 blocking, and cells outside C's sub-matrix must stay untouched.
 */
class GemmTest {
    enum Kind {
        NN, TN, NT, DOTS;

        boolean bTransposed() {
            return this == NT || this == DOTS;
        }
    }

    private static final float SENTINEL = -12345f;

    @Test
    void randomShapesMatchNaive() {
        SplittableRandom rng = new SplittableRandom(41);
        // the last two: long rows, as in a thin layer's weight gradient (Gemm.dots)
        int[][] fixed = {{1, 1, 1}, {1, 7, 1}, {5, 1, 3}, {3, 530, 140}, {2, 3, 129}, {4, 513, 4}, {6, 25, 4707},
            {5, 9, 64}};
        for (Kind kind : Kind.values()) {
            for (int[] s : fixed) {
                for (boolean acc : new boolean[] {false, true}) {
                    check(kind, s[0], s[1], s[2], acc, rng);
                }
            }
            for (int t = 0; t < 25; t++) {
                check(kind, 1 + rng.nextInt(20), 1 + rng.nextInt(40), 1 + rng.nextInt(30), rng.nextBoolean(), rng);
            }
        }
    }

    /**
     * Small products run as scalar code: it must give the vector kernels' bits exactly, signed
     * zeros included, for every transpose, with and without accumulation, at full and edge tiles
     * and past one KC block.
     */
    @Test
    void scalarPathEqualsVectorPathBitForBit() {
        SplittableRandom rng = new SplittableRandom(43);
        int[][] fixed = {{6, 32, 5}, {4, 32, 7}, {2, 32, 3}, {5, 31, 9}, {7, 33, 300}, {13, 70, 520}, {1, 1, 1}};
        for (int t = 0; t < 60; t++) {
            int[] s = t < fixed.length ? fixed[t] : new int[] {1 + rng.nextInt(20), 1 + rng.nextInt(70), 1 + rng.nextInt(40)};
            for (int kind = 0; kind < 3; kind++) {
                boolean ta = kind == 1, tb = kind == 2, acc = rng.nextBoolean();
                int m = s[0], n = s[1], k = s[2], lda = (ta ? m : k) + 1, ldb = (tb ? k : n) + 2, ldc = n + 1;
                float[] a = signedZeros(rng, 1 + (ta ? k : m) * lda), b = signedZeros(rng, 2 + (tb ? n : k) * ldb);
                float[] c = signedZeros(rng, 3 + m * ldc), c2 = c.clone();
                Gemm.scalar(ta, tb, m, n, k, a, 1, lda, b, 2, ldb, c, 3, ldc, acc);
                Gemm.vector(ta, tb, m, n, k, a, 1, lda, b, 2, ldb, c2, 3, ldc, acc);
                for (int i = 0; i < c.length; i++) {
                    assertEquals(Float.floatToRawIntBits(c2[i]), Float.floatToRawIntBits(c[i]),
                            "m=" + m + " n=" + n + " k=" + k + " ta=" + ta + " tb=" + tb + " acc=" + acc + " at " + i);
                }
            }
        }
    }

    /** Gaussian values with a fifth of them +0 or −0, so that products and sums of zeros occur. */
    private static float[] signedZeros(SplittableRandom rng, int size) {
        float[] v = new float[size];
        for (int i = 0; i < size; i++) {
            int r = rng.nextInt(10);
            v[i] = r == 0 ? 0f : r == 1 ? -0f : (float) rng.nextGaussian();
        }
        return v;
    }

    private static void check(Kind kind, int m, int n, int k, boolean accumulate, SplittableRandom rng) {
        String what = kind + " m=" + m + " n=" + n + " k=" + k + " accumulate=" + accumulate;
        // Stored shapes: A is m×k (tn: k×m), B is k×n (nt: n×k).
        int aRows = kind == Kind.TN ? k : m, aCols = kind == Kind.TN ? m : k;
        int bRows = kind.bTransposed() ? n : k, bCols = kind.bTransposed() ? k : n;
        int lda = aCols + rng.nextInt(3), ldb = bCols + rng.nextInt(3), ldc = n + rng.nextInt(3);
        int aOff = rng.nextInt(5), bOff = rng.nextInt(5), cOff = rng.nextInt(5);
        float[] a = random(rng, aOff + aRows * lda);
        float[] b = random(rng, bOff + bRows * ldb);
        float[] c = new float[cOff + m * ldc + 2];
        java.util.Arrays.fill(c, SENTINEL);
        float[] c0 = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                // Without accumulation C is write-only: NaN there must not leak into the result.
                float v = accumulate ? (float) rng.nextGaussian() : Float.NaN;
                c[cOff + i * ldc + j] = v;
                c0[i * n + j] = v;
            }
        }
        switch (kind) {
            case NN -> Gemm.nn(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
            case TN -> Gemm.tn(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
            case NT -> Gemm.nt(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
            case DOTS -> Gemm.dots(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
        }
        boolean[] inside = new boolean[c.length];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                inside[cOff + i * ldc + j] = true;
                double ref = accumulate ? c0[i * n + j] : 0, mag = Math.abs(ref);
                for (int p = 0; p < k; p++) {
                    double av = kind == Kind.TN ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                    double bv = kind.bTransposed() ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
                    ref += av * bv;
                    mag += Math.abs(av * bv);
                }
                float got = c[cOff + i * ldc + j];
                assertTrue(Math.abs(got - ref) <= 1e-6 * (1 + k) * mag + 1e-6,
                        what + " C[" + i + "][" + j + "] = " + got + ", expected " + ref);
            }
        }
        for (int i = 0; i < c.length; i++) {
            if (!inside[i]) {
                assertEquals(SENTINEL, c[i], what + ": wrote outside C at " + i);
            }
        }
    }

    private static float[] random(SplittableRandom rng, int size) {
        float[] v = new float[size];
        for (int i = 0; i < size; i++) {
            v[i] = (float) rng.nextGaussian();
        }
        return v;
    }
}
