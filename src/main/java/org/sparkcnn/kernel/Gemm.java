package org.sparkcnn.kernel;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Single-threaded row-major matrix multiply C (+)= op(A)·op(B) on sub-matrices of flat arrays;
 * callers parallelise over independent blocks of C. Goto-style: B is packed into panels NR
 * columns wide and A into strips MR rows high (the packers read transposed operands directly),
 * and a register-blocked MR×NR micro-kernel of vector FMAs does the arithmetic.
 * <p>
 * Every element of C is summed over k in the same order (KC blocks, ascending) whatever the
 * sub-matrix a caller asks for, so splitting C across threads never changes a bit.
 * <p>
 * As in {@link WindowGemm}, no vector crosses a method boundary: each micro-kernel loads, adds and
 * stores its own rows of C.
 */
public final class Gemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    static final int MR = 6;
    static final int NR = 2 * L;
    private static final int KC = 256;
    private static final int NC = 32 * NR;
    private static final int MC = 20 * MR;

    private static final class Scratch {
        final float[] a = new float[KC * MC];
        final float[] b = new float[KC * NC];
        final float[] tmp = new float[MR * NR];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private Gemm() {
    }

    /** C[m×n] (+)= A[m×k] · B[k×n]. */
    public static void nn(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                          float[] c, int cOff, int ldc, boolean accumulate) {
        gemm(false, false, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
    }

    /** C[m×n] (+)= Aᵀ · B where A is stored k×m. */
    public static void tn(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                          float[] c, int cOff, int ldc, boolean accumulate) {
        gemm(true, false, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
    }

    /** C[m×n] (+)= A · Bᵀ where B is stored n×k. */
    public static void nt(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                          float[] c, int cOff, int ldc, boolean accumulate) {
        gemm(false, true, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
    }

    /**
     * Whether {@link #dots} beats {@link #nt} for this shape: few outputs with long rows. Callers
     * decide on the whole product's shape, never on a thread's share of it, so that the choice
     * (and so the rounding) does not depend on the thread count.
     */
    public static boolean preferDots(int m, int n, int k) {
        return (long) m * n <= 1024 && k >= 4 * L;
    }

    /**
     * C[m×n] (+)= A · Bᵀ (B stored n×k) as vector dot products, four rows of B at a time; lanes
     * are summed at the end in lane order.
     */
    public static void dots(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                            float[] c, int cOff, int ldc, boolean accumulate) {
        for (int i = 0; i < m; i++) {
            int ai = aOff + i * lda;
            int j = 0;
            for (; j + 3 < n; j += 4) {
                dot4(k, a, ai, b, bOff + j * ldb, ldb, c, cOff + i * ldc + j, accumulate);
            }
            for (; j < n; j++) {
                dot1(k, a, ai, b, bOff + j * ldb, c, cOff + i * ldc + j, accumulate);
            }
        }
    }

    // Kept small so that C2 inlines every Vector API call (otherwise it runs the allocating fallback).
    private static void dot4(int k, float[] a, int ai, float[] b, int b0, int ldb, float[] c, int o, boolean accumulate) {
        int kv = k - k % L;
        int b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
        FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
        for (int p = 0; p < kv; p += L) {
            FloatVector x = FloatVector.fromArray(S, a, ai + p);
            s0 = x.fma(FloatVector.fromArray(S, b, b0 + p), s0);
            s1 = x.fma(FloatVector.fromArray(S, b, b1 + p), s1);
            s2 = x.fma(FloatVector.fromArray(S, b, b2 + p), s2);
            s3 = x.fma(FloatVector.fromArray(S, b, b3 + p), s3);
        }
        finishDot(s0.reduceLanes(VectorOperators.ADD), a, ai, b, b0, kv, k, c, o, accumulate);
        finishDot(s1.reduceLanes(VectorOperators.ADD), a, ai, b, b1, kv, k, c, o + 1, accumulate);
        finishDot(s2.reduceLanes(VectorOperators.ADD), a, ai, b, b2, kv, k, c, o + 2, accumulate);
        finishDot(s3.reduceLanes(VectorOperators.ADD), a, ai, b, b3, kv, k, c, o + 3, accumulate);
    }

    private static void dot1(int k, float[] a, int ai, float[] b, int bj, float[] c, int o, boolean accumulate) {
        int kv = k - k % L;
        FloatVector s0 = FloatVector.zero(S);
        for (int p = 0; p < kv; p += L) {
            s0 = FloatVector.fromArray(S, a, ai + p).fma(FloatVector.fromArray(S, b, bj + p), s0);
        }
        finishDot(s0.reduceLanes(VectorOperators.ADD), a, ai, b, bj, kv, k, c, o, accumulate);
    }

    /** Adds the scalar tail past the last full vector to the lane sum, stores into c[o]. */
    private static void finishDot(float sum, float[] a, int ai, float[] b, int bj, int kv, int k, float[] c, int o,
                                  boolean accumulate) {
        for (int p = kv; p < k; p++) {
            sum += a[ai + p] * b[bj + p];
        }
        c[o] = accumulate ? c[o] + sum : sum;
    }

    /**
     * Products of at most this many multiply-adds run as plain scalar code, with the very same
     * rounding ({@link #scalar}). A network's small classifier head (resnet20's 64→10) is called a
     * few times per step, too rarely for C2 to compile the Vector API kernels within a warm-up;
     * until it does, their fallback boxes every vector (84 KB per resnet20 step on 2 threads, where
     * the head's 10 columns split in two; 1.5 MB on one thread, a Spark task's setting, where its
     * 64×10×64 product is whole). Scalar code runs allocation-free in every tier, and at this size
     * costs microseconds.
     */
    static final long SCALAR_MACS = 64 * 1024;

    private static void gemm(boolean ta, boolean tb, int m, int n, int k, float[] a, int aOff, int lda,
                             float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
        if ((long) m * n * k <= SCALAR_MACS) {
            scalar(ta, tb, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
        } else {
            vector(ta, tb, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
        }
    }

    private static void clear(int m, int n, float[] c, int cOff, int ldc, boolean accumulate) {
        if (!accumulate) {
            for (int i = 0; i < m; i++) {
                Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
            }
        }
    }

    /**
     * The arithmetic of {@link #vector} element by element: per KC block a chain of fused
     * multiply-adds from zero in ascending k, added to C as {@link #tile} adds it (c + t in a full
     * tile, c + (0 + t) in an edge tile, which differ only in the sign of a zero).
     */
    static void scalar(boolean ta, boolean tb, int m, int n, int k, float[] a, int aOff, int lda,
                       float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
        clear(m, n, c, cOff, ldc, accumulate);
        for (int p0 = 0; p0 < k; p0 += KC) {
            int p1 = Math.min(k, p0 + KC);
            for (int i = 0; i < m; i++) {
                int mb = Math.min(MR, m - (i - i % MR));
                boolean fullRows = mb == MR || mb == 4 || mb == 2;
                for (int j = 0; j < n; j++) {
                    float t = 0f;
                    for (int p = p0; p < p1; p++) {
                        float x = ta ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                        float y = tb ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
                        t = Math.fma(x, y, t);
                    }
                    int o = cOff + i * ldc + j;
                    boolean full = fullRows && Math.min(NR, n - (j - j % NR)) == NR;
                    c[o] = full ? c[o] + t : c[o] + (0f + t);
                }
            }
        }
    }

    static void vector(boolean ta, boolean tb, int m, int n, int k, float[] a, int aOff, int lda,
                       float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
        clear(m, n, c, cOff, ldc, accumulate);
        if (m == 0 || n == 0 || k == 0) {
            return;
        }
        Scratch s = SCRATCH.get();
        for (int j0 = 0; j0 < n; j0 += NC) {
            int nb = Math.min(NC, n - j0);
            int panels = (nb + NR - 1) / NR;
            for (int p0 = 0; p0 < k; p0 += KC) {
                int kb = Math.min(KC, k - p0);
                packB(tb, b, bOff, ldb, p0, kb, j0, nb, s.b);
                for (int i0 = 0; i0 < m; i0 += MC) {
                    int mc = Math.min(MC, m - i0);
                    int strips = (mc + MR - 1) / MR;
                    for (int r = 0; r < strips; r++) {
                        packA(ta, a, aOff, lda, i0 + r * MR, Math.min(MR, mc - r * MR), p0, kb, s.a, r * kb * MR);
                    }
                    // B micro-panel stays in L1 while the packed A block streams from L2.
                    for (int q = 0; q < panels; q++) {
                        int jq = j0 + q * NR;
                        int w = Math.min(NR, n - jq);
                        for (int r = 0; r < strips; r++) {
                            int ir = i0 + r * MR;
                            int mb = Math.min(MR, m - ir);
                            tile(kb, s, r * kb * MR, q * kb * NR, mb, w, c, cOff + ir * ldc + jq, ldc);
                        }
                    }
                }
            }
        }
    }

    /** One mb×w block of C from a packed strip and panel; kept apart so gemm() stays small for C2. */
    private static void tile(int kb, Scratch s, int ao, int bo, int mb, int w, float[] c, int co, int ldc) {
        if (mb == MR && w == NR) {
            micro(kb, s.a, ao, s.b, bo, s.tmp);
            addRows(s.tmp, MR, c, co, ldc);
        } else if (mb == 4 && w == NR) {
            // 16 and 64 rows leave 4: a narrower tile instead of the edge path
            micro4(kb, s.a, ao, s.b, bo, s.tmp);
            addRows(s.tmp, 4, c, co, ldc);
        } else if (mb == 2 && w == NR) {
            micro2(kb, s.a, ao, s.b, bo, s.tmp);
            addRows(s.tmp, 2, c, co, ldc);
        } else {
            // Edge block: the whole tile, then its valid part (0 + x: the rounding the zeroed tile gave)
            micro(kb, s.a, ao, s.b, bo, s.tmp);
            for (int ii = 0; ii < mb; ii++) {
                for (int jj = 0; jj < w; jj++) {
                    c[co + ii * ldc + jj] += 0f + s.tmp[ii * NR + jj];
                }
            }
        }
    }

    /** C[rows×NR] += t, row i of t at i·NR. */
    private static void addRows(float[] t, int rows, float[] c, int co, int ldc) {
        for (int i = 0, o = co; i < rows; i++, o += ldc) {
            FloatVector.fromArray(S, c, o).add(FloatVector.fromArray(S, t, i * NR)).intoArray(c, o);
            FloatVector.fromArray(S, c, o + L).add(FloatVector.fromArray(S, t, i * NR + L)).intoArray(c, o + L);
        }
    }

    /** bp[q][p][0..NR) = op(B)[p0+p][j0 + q·NR + ·], zero beyond column n. */
    private static void packB(boolean tb, float[] b, int bOff, int ldb, int p0, int kb, int j0, int nb, float[] bp) {
        int panels = (nb + NR - 1) / NR;
        for (int q = 0; q < panels; q++) {
            int w = Math.min(NR, nb - q * NR);
            int base = q * kb * NR;
            int jq = j0 + q * NR;
            if (!tb) {
                if (w == NR) {
                    for (int p = 0; p < kb; p++) {
                        int src = bOff + (p0 + p) * ldb + jq, dst = base + p * NR;
                        FloatVector.fromArray(S, b, src).intoArray(bp, dst);
                        FloatVector.fromArray(S, b, src + L).intoArray(bp, dst + L);
                    }
                } else {
                    for (int p = 0; p < kb; p++) {
                        int dst = base + p * NR;
                        System.arraycopy(b, bOff + (p0 + p) * ldb + jq, bp, dst, w);
                        Arrays.fill(bp, dst + w, dst + NR, 0f);
                    }
                }
            } else {
                if (w < NR) {
                    Arrays.fill(bp, base, base + kb * NR, 0f);
                }
                for (int jj = 0; jj < w; jj++) {
                    int src = bOff + (jq + jj) * ldb + p0;
                    for (int p = 0; p < kb; p++) {
                        bp[base + p * NR + jj] = b[src + p];
                    }
                }
            }
        }
    }

    /** ap[p][0..MR) = op(A)[i0 + ·][p0 + p], zero beyond row m. */
    private static void packA(boolean ta, float[] a, int aOff, int lda, int i0, int mb, int p0, int kb, float[] ap,
                              int apOff) {
        if (mb < MR) {
            Arrays.fill(ap, apOff, apOff + kb * MR, 0f);
        }
        if (!ta) {
            for (int ii = 0; ii < mb; ii++) {
                int src = aOff + (i0 + ii) * lda + p0;
                for (int p = 0; p < kb; p++) {
                    ap[apOff + p * MR + ii] = a[src + p];
                }
            }
        } else {
            for (int p = 0; p < kb; p++) {
                System.arraycopy(a, aOff + (p0 + p) * lda + i0, ap, apOff + p * MR, mb);
            }
        }
    }

    /**
     * t[MR×NR] = Ap[kb×MR]ᵀ-strip · Bp panel, twelve vector accumulators. It stores rather than adds
     * into C: the loads and adds of C would push the compilation past C2's inlining budget, and the
     * Vector API calls beyond it are inlined late, untyped, with boxes (see docs/performance.md).
     */
    private static void micro(int kb, float[] ap, int ao, float[] bp, int bo, float[] t) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z;
        FloatVector c30 = z, c31 = z, c40 = z, c41 = z, c50 = z, c51 = z;
        for (int p = 0; p < kb; p++) {
            int bi = bo + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            int ai = ao + p * MR;
            FloatVector x = FloatVector.broadcast(S, ap[ai]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
        }
        c00.intoArray(t, 0);
        c01.intoArray(t, L);
        c10.intoArray(t, NR);
        c11.intoArray(t, NR + L);
        c20.intoArray(t, 2 * NR);
        c21.intoArray(t, 2 * NR + L);
        c30.intoArray(t, 3 * NR);
        c31.intoArray(t, 3 * NR + L);
        c40.intoArray(t, 4 * NR);
        c41.intoArray(t, 4 * NR + L);
        c50.intoArray(t, 5 * NR);
        c51.intoArray(t, 5 * NR + L);
    }

    /** The first four rows of a strip (same arithmetic per element as {@link #micro}). */
    private static void micro4(int kb, float[] ap, int ao, float[] bp, int bo, float[] t) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        for (int p = 0; p < kb; p++) {
            int bi = bo + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            int ai = ao + p * MR;
            FloatVector x = FloatVector.broadcast(S, ap[ai]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
        }
        c00.intoArray(t, 0);
        c01.intoArray(t, L);
        c10.intoArray(t, NR);
        c11.intoArray(t, NR + L);
        c20.intoArray(t, 2 * NR);
        c21.intoArray(t, 2 * NR + L);
        c30.intoArray(t, 3 * NR);
        c31.intoArray(t, 3 * NR + L);
    }

    /** The first two rows of a strip. */
    private static void micro2(int kb, float[] ap, int ao, float[] bp, int bo, float[] t) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z;
        for (int p = 0; p < kb; p++) {
            int bi = bo + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            int ai = ao + p * MR;
            FloatVector x = FloatVector.broadcast(S, ap[ai]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
        }
        c00.intoArray(t, 0);
        c01.intoArray(t, L);
        c10.intoArray(t, NR);
        c11.intoArray(t, NR + L);
    }
}
