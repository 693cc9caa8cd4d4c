package org.sparkcnn.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * C[p][q] = Σ_j x[xo + off[p] + j] · D[j][q]: products of shifted windows of one array (the
 * unfolded input of a convolution, read in place as in {@link WindowGemm}) with a matrix whose
 * rows are pixels and whose columns are output channels (dY transposed, channels innermost). It
 * is the weight gradient as outer products: each step j broadcasts one input value per row of C
 * and multiplies it with the vectors of dY's channels at pixel j, so vectors run along output
 * channels and no lane ever needs summing. That is what small images need: the lane-parallel dot
 * products of {@link WindowGemm#multiplyTransposed} end every element with a 16-lane reduction,
 * which a 7×7 image's 63 positions cannot amortise.
 * <p>
 * Cost: the caller lays dY out pixel-major (one transposition per image, outC × H·W scalar moves
 * against outC × H·W × patch multiply-adds) with the channels rounded up to a multiple of the
 * vector length. Per step j a 6×2 tile loads 2 vectors and broadcasts 6 values for 12 FMAs.
 * <p>
 * Single-threaded; every element of C is one accumulator summed over j in ascending order, so the
 * result depends on neither the tiling nor how callers split the work. As in {@link WindowGemm},
 * no vector is passed to or returned from a method of ours.
 */
public final class WindowOuter {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private WindowOuter() {
    }

    /** Columns of D and C for q channels: rounded up to a multiple of the vector length. */
    public static int columns(int q) {
        return (q + L - 1) / L * L;
    }

    /**
     * C[p][q] (c[co + p·cols + q], overwritten) = Σ_{j &lt; n} x[xo + off[p] + j] · d[dOff + j·cols + q]
     * for p &lt; k and q &lt; cols; cols a multiple of the vector length ({@link #columns}).
     */
    public static void multiply(int k, int n, int cols, float[] x, int xo, int[] off, float[] d, int dOff,
                                float[] c, int co) {
        int q = 0;
        for (; q + 2 * L <= cols; q += 2 * L) {
            int p = 0;
            for (; p + 6 <= k; p += 6) {
                outer6x2(n, x, xo + off[p], xo + off[p + 1], xo + off[p + 2], xo + off[p + 3], xo + off[p + 4],
                        xo + off[p + 5], d, dOff + q, cols, c, co + p * cols + q);
            }
            for (; p < k; p++) {
                outer1x2(n, x, xo + off[p], d, dOff + q, cols, c, co + p * cols + q);
            }
        }
        if (q < cols) {
            int p = 0;
            for (; p + 12 <= k; p += 12) {
                outer12x1(n, x, xo, off, p, d, dOff + q, cols, c, co + p * cols + q);
            }
            for (; p < k; p++) {
                outer1x1(n, x, xo + off[p], d, dOff + q, cols, c, co + p * cols + q);
            }
        }
    }

    private static void outer6x2(int n, float[] x, int x0, int x1, int x2, int x3, int x4, int x5, float[] d,
                                 int dOff, int cols, float[] c, int co) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c10 = FloatVector.zero(S);
        FloatVector c11 = FloatVector.zero(S), c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S), c40 = FloatVector.zero(S);
        FloatVector c41 = FloatVector.zero(S), c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        for (int j = 0, di = dOff; j < n; j++, di += cols) {
            FloatVector d0 = FloatVector.fromArray(S, d, di), d1 = FloatVector.fromArray(S, d, di + L);
            FloatVector b = FloatVector.broadcast(S, x[x0 + j]);
            c00 = d0.fma(b, c00);
            c01 = d1.fma(b, c01);
            b = FloatVector.broadcast(S, x[x1 + j]);
            c10 = d0.fma(b, c10);
            c11 = d1.fma(b, c11);
            b = FloatVector.broadcast(S, x[x2 + j]);
            c20 = d0.fma(b, c20);
            c21 = d1.fma(b, c21);
            b = FloatVector.broadcast(S, x[x3 + j]);
            c30 = d0.fma(b, c30);
            c31 = d1.fma(b, c31);
            b = FloatVector.broadcast(S, x[x4 + j]);
            c40 = d0.fma(b, c40);
            c41 = d1.fma(b, c41);
            b = FloatVector.broadcast(S, x[x5 + j]);
            c50 = d0.fma(b, c50);
            c51 = d1.fma(b, c51);
        }
        c00.intoArray(c, co);
        c01.intoArray(c, co + L);
        c10.intoArray(c, co + cols);
        c11.intoArray(c, co + cols + L);
        c20.intoArray(c, co + 2 * cols);
        c21.intoArray(c, co + 2 * cols + L);
        c30.intoArray(c, co + 3 * cols);
        c31.intoArray(c, co + 3 * cols + L);
        c40.intoArray(c, co + 4 * cols);
        c41.intoArray(c, co + 4 * cols + L);
        c50.intoArray(c, co + 5 * cols);
        c51.intoArray(c, co + 5 * cols + L);
    }

    private static void outer1x2(int n, float[] x, int x0, float[] d, int dOff, int cols, float[] c, int co) {
        FloatVector c0 = FloatVector.zero(S), c1 = FloatVector.zero(S);
        for (int j = 0, di = dOff; j < n; j++, di += cols) {
            FloatVector b = FloatVector.broadcast(S, x[x0 + j]);
            c0 = FloatVector.fromArray(S, d, di).fma(b, c0);
            c1 = FloatVector.fromArray(S, d, di + L).fma(b, c1);
        }
        c0.intoArray(c, co);
        c1.intoArray(c, co + L);
    }

    /** Twelve rows p … p + 11 of one column vector: enough independent sums to keep both FMA units busy. */
    private static void outer12x1(int n, float[] x, int xo, int[] off, int p, float[] d, int dOff, int cols,
                                  float[] c, int co) {
        int x0 = xo + off[p], x1 = xo + off[p + 1], x2 = xo + off[p + 2], x3 = xo + off[p + 3];
        int x4 = xo + off[p + 4], x5 = xo + off[p + 5], x6 = xo + off[p + 6], x7 = xo + off[p + 7];
        int x8 = xo + off[p + 8], x9 = xo + off[p + 9], x10 = xo + off[p + 10], x11 = xo + off[p + 11];
        FloatVector c0 = FloatVector.zero(S), c1 = FloatVector.zero(S), c2 = FloatVector.zero(S);
        FloatVector c3 = FloatVector.zero(S), c4 = FloatVector.zero(S), c5 = FloatVector.zero(S);
        FloatVector c6 = FloatVector.zero(S), c7 = FloatVector.zero(S), c8 = FloatVector.zero(S);
        FloatVector c9 = FloatVector.zero(S), c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        for (int j = 0, di = dOff; j < n; j++, di += cols) {
            FloatVector v = FloatVector.fromArray(S, d, di);
            c0 = v.fma(FloatVector.broadcast(S, x[x0 + j]), c0);
            c1 = v.fma(FloatVector.broadcast(S, x[x1 + j]), c1);
            c2 = v.fma(FloatVector.broadcast(S, x[x2 + j]), c2);
            c3 = v.fma(FloatVector.broadcast(S, x[x3 + j]), c3);
            c4 = v.fma(FloatVector.broadcast(S, x[x4 + j]), c4);
            c5 = v.fma(FloatVector.broadcast(S, x[x5 + j]), c5);
            c6 = v.fma(FloatVector.broadcast(S, x[x6 + j]), c6);
            c7 = v.fma(FloatVector.broadcast(S, x[x7 + j]), c7);
            c8 = v.fma(FloatVector.broadcast(S, x[x8 + j]), c8);
            c9 = v.fma(FloatVector.broadcast(S, x[x9 + j]), c9);
            c10 = v.fma(FloatVector.broadcast(S, x[x10 + j]), c10);
            c11 = v.fma(FloatVector.broadcast(S, x[x11 + j]), c11);
        }
        c0.intoArray(c, co);
        c1.intoArray(c, co + cols);
        c2.intoArray(c, co + 2 * cols);
        c3.intoArray(c, co + 3 * cols);
        c4.intoArray(c, co + 4 * cols);
        c5.intoArray(c, co + 5 * cols);
        c6.intoArray(c, co + 6 * cols);
        c7.intoArray(c, co + 7 * cols);
        c8.intoArray(c, co + 8 * cols);
        c9.intoArray(c, co + 9 * cols);
        c10.intoArray(c, co + 10 * cols);
        c11.intoArray(c, co + 11 * cols);
    }

    private static void outer1x1(int n, float[] x, int x0, float[] d, int dOff, int cols, float[] c, int co) {
        FloatVector c0 = FloatVector.zero(S);
        for (int j = 0, di = dOff; j < n; j++, di += cols) {
            c0 = FloatVector.fromArray(S, d, di).fma(FloatVector.broadcast(S, x[x0 + j]), c0);
        }
        c0.intoArray(c, co);
    }
}
