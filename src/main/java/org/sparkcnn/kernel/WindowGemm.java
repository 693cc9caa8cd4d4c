package org.sparkcnn.kernel;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Matrix products whose B operand is a set of shifted windows of one array: row p of B is
 * x[xo + off[p] + j] for j = 0, 1, …. When x holds a zero-padded image row after row, B is the
 * image's unfolded (im2col) matrix, read in place: no column matrix and no packed B panels, so a
 * stride-1 convolution costs only the FMAs and the loads that feed them.
 * <p>
 * Single-threaded; each element of C is summed over p in ascending order (forward) or over j in
 * lane-parallel then lane order (weight gradient), independent of how callers split the work.
 * Each kernel keeps its vectors to itself: no vector is passed to or returned from a method of
 * ours (results go out through arrays). C2 inlines a small helper only while the caller's profile
 * marks its call site hot, and when it does not, the vector becomes a heap object at the call and
 * every operation feeding it allocates: the compile-order-dependent allocation of issue 14.
 */
public final class WindowGemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Rows of A per packed strip. */
    static final int MR = 6;
    /** Columns of C per tile: the output width a caller rounds up to. */
    public static final int NR = 2 * L;

    private WindowGemm() {
    }

    /** Floats needed by {@link #packA} for an m×k matrix. */
    public static int packedSize(int m, int k) {
        return (m + MR - 1) / MR * MR * k;
    }

    /** ap[strip][p][r] = A[strip·MR + r][p] (A row-major with leading dimension lda), zero past row m. */
    public static void packA(int m, int k, float[] a, int aOff, int lda, float[] ap) {
        int strips = (m + MR - 1) / MR;
        for (int s = 0; s < strips; s++) {
            int base = s * k * MR;
            for (int r = 0; r < MR; r++) {
                int i = s * MR + r;
                if (i < m) {
                    for (int p = 0, src = aOff + i * lda; p < k; p++) {
                        ap[base + p * MR + r] = a[src + p];
                    }
                } else {
                    for (int p = 0; p < k; p++) {
                        ap[base + p * MR + r] = 0f;
                    }
                }
            }
        }
    }

    /**
     * C[m × n] = A · B with A packed by {@link #packA} and B[p][j] = x[xo + off[p] + j]; n must be
     * a multiple of {@link #NR} and x readable up to xo + max(off) + n.
     */
    public static void multiply(int m, int n, int k, float[] ap, float[] x, int xo, int[] off, float[] c, int co,
                                int ldc) {
        for (int j = 0; j < n; j += NR) {
            for (int i = 0; i < m; i += MR) {
                rows(Math.min(MR, m - i), k, ap, i * k, x, xo + j, off, c, co + i * ldc + j, ldc);
            }
        }
    }

    /** One strip of r ≤ MR rows, as one 6-row tile or as 4-, 2- and 1-row tiles. */
    private static void rows(int r, int k, float[] ap, int ao, float[] x, int xo, int[] off, float[] c, int co,
                             int ldc) {
        if (r == MR) {
            micro6(k, ap, ao, x, xo, off, c, co, ldc);
            return;
        }
        int done = 0;
        if (r >= 4) {
            micro4(k, ap, ao, x, xo, off, c, co, ldc);
            done = 4;
        }
        if (r - done >= 2) {
            micro2(k, ap, ao + done, x, xo, off, c, co + done * ldc, ldc);
            done += 2;
        }
        if (r - done == 1) {
            micro1(k, ap, ao + done, x, xo, off, c, co + done * ldc);
        }
    }

    private static void micro6(int k, float[] ap, int ao, float[] x, int xo, int[] off, float[] c, int co, int ldc) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z;
        FloatVector c30 = z, c31 = z, c40 = z, c41 = z, c50 = z, c51 = z;
        for (int p = 0; p < k; p++) {
            int xi = xo + off[p];
            FloatVector b0 = FloatVector.fromArray(S, x, xi);
            FloatVector b1 = FloatVector.fromArray(S, x, xi + L);
            int ai = ao + p * MR;
            FloatVector a = FloatVector.broadcast(S, ap[ai]);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a.fma(b0, c30);
            c31 = a.fma(b1, c31);
            a = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = a.fma(b0, c40);
            c41 = a.fma(b1, c41);
            a = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = a.fma(b0, c50);
            c51 = a.fma(b1, c51);
        }
        c00.intoArray(c, co);
        c01.intoArray(c, co + L);
        c10.intoArray(c, co + ldc);
        c11.intoArray(c, co + ldc + L);
        c20.intoArray(c, co + 2 * ldc);
        c21.intoArray(c, co + 2 * ldc + L);
        c30.intoArray(c, co + 3 * ldc);
        c31.intoArray(c, co + 3 * ldc + L);
        c40.intoArray(c, co + 4 * ldc);
        c41.intoArray(c, co + 4 * ldc + L);
        c50.intoArray(c, co + 5 * ldc);
        c51.intoArray(c, co + 5 * ldc + L);
    }

    private static void micro4(int k, float[] ap, int ao, float[] x, int xo, int[] off, float[] c, int co, int ldc) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        for (int p = 0; p < k; p++) {
            int xi = xo + off[p];
            FloatVector b0 = FloatVector.fromArray(S, x, xi);
            FloatVector b1 = FloatVector.fromArray(S, x, xi + L);
            int ai = ao + p * MR;
            FloatVector a = FloatVector.broadcast(S, ap[ai]);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a.fma(b0, c30);
            c31 = a.fma(b1, c31);
        }
        c00.intoArray(c, co);
        c01.intoArray(c, co + L);
        c10.intoArray(c, co + ldc);
        c11.intoArray(c, co + ldc + L);
        c20.intoArray(c, co + 2 * ldc);
        c21.intoArray(c, co + 2 * ldc + L);
        c30.intoArray(c, co + 3 * ldc);
        c31.intoArray(c, co + 3 * ldc + L);
    }

    private static void micro2(int k, float[] ap, int ao, float[] x, int xo, int[] off, float[] c, int co, int ldc) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z;
        for (int p = 0; p < k; p++) {
            int xi = xo + off[p];
            FloatVector b0 = FloatVector.fromArray(S, x, xi);
            FloatVector b1 = FloatVector.fromArray(S, x, xi + L);
            int ai = ao + p * MR;
            FloatVector a = FloatVector.broadcast(S, ap[ai]);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
        }
        c00.intoArray(c, co);
        c01.intoArray(c, co + L);
        c10.intoArray(c, co + ldc);
        c11.intoArray(c, co + ldc + L);
    }

    private static void micro1(int k, float[] ap, int ao, float[] x, int xo, int[] off, float[] c, int co) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00;
        for (int p = 0; p < k; p++) {
            int xi = xo + off[p];
            FloatVector a = FloatVector.broadcast(S, ap[ao + p * MR]);
            c00 = a.fma(FloatVector.fromArray(S, x, xi), c00);
            c01 = a.fma(FloatVector.fromArray(S, x, xi + L), c01);
        }
        c00.intoArray(c, co);
        c01.intoArray(c, co + L);
    }

    /**
     * C[m × k] += A · Bᵀ with A[i][j] = a[ao + i·lda + j] and B[p][j] = x[xo + off[p] + j], j &lt; n;
     * n must be a multiple of the vector length. The j terms of each element of C gather in vector
     * lanes that are summed in lane order at the end, so long rows (many images side by side)
     * amortise that reduction. {@code lanes} is scratch of at least {@link #laneScratch()} floats.
     */
    public static void multiplyTransposed(int m, int k, int n, float[] a, int ao, int lda, float[] x, int xo,
                                          int[] off, float[] c, int co, int ldc, float[] lanes) {
        int m4 = m - m % 4, k3 = k - k % 3;
        for (int i = 0; i < m4; i += 4) {
            int ai = ao + i * lda;
            for (int p = 0; p < k3; p += 3) {
                Arrays.fill(lanes, 0, 12 * L, 0f);
                dot4x3(n, a, ai, lda, x, xo + off[p], xo + off[p + 1], xo + off[p + 2], lanes);
                for (int r = 0; r < 4; r++) {
                    for (int q = 0; q < 3; q++) {
                        c[co + (i + r) * ldc + p + q] += laneSum(lanes, (r * 3 + q) * L);
                    }
                }
            }
            for (int p = k3; p < k; p++) {
                Arrays.fill(lanes, 0, 4 * L, 0f);
                dot4x1(n, a, ai, lda, x, xo + off[p], lanes);
                for (int r = 0; r < 4; r++) {
                    c[co + (i + r) * ldc + p] += laneSum(lanes, r * L);
                }
            }
        }
        for (int i = m4; i < m; i++) {
            int ai = ao + i * lda;
            for (int p = 0; p < k; p++) {
                Arrays.fill(lanes, 0, L, 0f);
                dot1(n, a, ai, x, xo + off[p], lanes);
                c[co + i * ldc + p] += laneSum(lanes, 0);
            }
        }
    }

    /** Scratch floats {@link #multiplyTransposed} needs. */
    public static int laneScratch() {
        return 12 * L;
    }

    private static float laneSum(float[] lanes, int o) {
        float s = 0f;
        for (int l = 0; l < L; l++) {
            s += lanes[o + l];
        }
        return s;
    }

    // The dot kernels add to the partial lane sums kept in out (one vector per element of C).
    private static void dot4x3(int n, float[] a, int a0, int lda, float[] x, int x0, int x1, int x2, float[] out) {
        FloatVector s00 = FloatVector.fromArray(S, out, 0), s01 = FloatVector.fromArray(S, out, L);
        FloatVector s02 = FloatVector.fromArray(S, out, 2 * L), s10 = FloatVector.fromArray(S, out, 3 * L);
        FloatVector s11 = FloatVector.fromArray(S, out, 4 * L), s12 = FloatVector.fromArray(S, out, 5 * L);
        FloatVector s20 = FloatVector.fromArray(S, out, 6 * L), s21 = FloatVector.fromArray(S, out, 7 * L);
        FloatVector s22 = FloatVector.fromArray(S, out, 8 * L), s30 = FloatVector.fromArray(S, out, 9 * L);
        FloatVector s31 = FloatVector.fromArray(S, out, 10 * L), s32 = FloatVector.fromArray(S, out, 11 * L);
        int a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
        for (int j = 0; j < n; j += L) {
            FloatVector b0 = FloatVector.fromArray(S, x, x0 + j);
            FloatVector b1 = FloatVector.fromArray(S, x, x1 + j);
            FloatVector b2 = FloatVector.fromArray(S, x, x2 + j);
            FloatVector v = FloatVector.fromArray(S, a, a0 + j);
            s00 = v.fma(b0, s00);
            s01 = v.fma(b1, s01);
            s02 = v.fma(b2, s02);
            v = FloatVector.fromArray(S, a, a1 + j);
            s10 = v.fma(b0, s10);
            s11 = v.fma(b1, s11);
            s12 = v.fma(b2, s12);
            v = FloatVector.fromArray(S, a, a2 + j);
            s20 = v.fma(b0, s20);
            s21 = v.fma(b1, s21);
            s22 = v.fma(b2, s22);
            v = FloatVector.fromArray(S, a, a3 + j);
            s30 = v.fma(b0, s30);
            s31 = v.fma(b1, s31);
            s32 = v.fma(b2, s32);
        }
        s00.intoArray(out, 0);
        s01.intoArray(out, L);
        s02.intoArray(out, 2 * L);
        s10.intoArray(out, 3 * L);
        s11.intoArray(out, 4 * L);
        s12.intoArray(out, 5 * L);
        s20.intoArray(out, 6 * L);
        s21.intoArray(out, 7 * L);
        s22.intoArray(out, 8 * L);
        s30.intoArray(out, 9 * L);
        s31.intoArray(out, 10 * L);
        s32.intoArray(out, 11 * L);
    }

    private static void dot4x1(int n, float[] a, int a0, int lda, float[] x, int x0, float[] out) {
        FloatVector s0 = FloatVector.fromArray(S, out, 0), s1 = FloatVector.fromArray(S, out, L);
        FloatVector s2 = FloatVector.fromArray(S, out, 2 * L), s3 = FloatVector.fromArray(S, out, 3 * L);
        int a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
        for (int j = 0; j < n; j += L) {
            FloatVector b = FloatVector.fromArray(S, x, x0 + j);
            s0 = FloatVector.fromArray(S, a, a0 + j).fma(b, s0);
            s1 = FloatVector.fromArray(S, a, a1 + j).fma(b, s1);
            s2 = FloatVector.fromArray(S, a, a2 + j).fma(b, s2);
            s3 = FloatVector.fromArray(S, a, a3 + j).fma(b, s3);
        }
        s0.intoArray(out, 0);
        s1.intoArray(out, L);
        s2.intoArray(out, 2 * L);
        s3.intoArray(out, 3 * L);
    }

    private static void dot1(int n, float[] a, int a0, float[] x, int x0, float[] out) {
        FloatVector s = FloatVector.fromArray(S, out, 0);
        for (int j = 0; j < n; j += L) {
            s = FloatVector.fromArray(S, a, a0 + j).fma(FloatVector.fromArray(S, x, x0 + j), s);
        }
        s.intoArray(out, 0);
    }
}
