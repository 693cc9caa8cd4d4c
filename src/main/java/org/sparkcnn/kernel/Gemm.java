package org.sparkcnn.kernel;

/**
 * Single-threaded row-major matrix multiply, C = A·B (+ C), on sub-matrices of flat arrays.
 * Callers parallelise over independent C blocks. The transposed forms copy the transposed
 * operand into per-thread scratch and use the same blocked A·B loop, so there is one hot loop.
 */
public final class Gemm {
    private static final int KC = 128;
    private static final int NC = 512;
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[1][0]);

    private Gemm() {
    }

    /** C[m×n] (+)= A[m×k] · B[k×n]. */
    public static void nn(int m, int n, int k,
                          float[] a, int aOff, int lda,
                          float[] b, int bOff, int ldb,
                          float[] c, int cOff, int ldc, boolean accumulate) {
        if (!accumulate) {
            for (int i = 0; i < m; i++) {
                java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
            }
        }
        for (int p0 = 0; p0 < k; p0 += KC) {
            int p1 = Math.min(k, p0 + KC);
            for (int j0 = 0; j0 < n; j0 += NC) {
                int j1 = Math.min(n, j0 + NC);
                for (int i = 0; i < m; i++) {
                    rowUpdate(a, aOff + i * lda, b, bOff, ldb, c, cOff + i * ldc, p0, p1, j0, j1);
                }
            }
        }
    }

    // c[j] += sum_p a[p] * b[p][j] for p in [p0,p1), j in [j0,j1); four rows of B per pass.
    private static void rowUpdate(float[] a, int ai, float[] b, int bOff, int ldb,
                                  float[] c, int ci, int p0, int p1, int j0, int j1) {
        int p = p0;
        for (; p + 3 < p1; p += 4) {
            float a0 = a[ai + p], a1 = a[ai + p + 1], a2 = a[ai + p + 2], a3 = a[ai + p + 3];
            int b0 = bOff + p * ldb, b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
            for (int j = j0; j < j1; j++) {
                c[ci + j] += a0 * b[b0 + j] + a1 * b[b1 + j] + a2 * b[b2 + j] + a3 * b[b3 + j];
            }
        }
        for (; p < p1; p++) {
            float a0 = a[ai + p];
            int b0 = bOff + p * ldb;
            for (int j = j0; j < j1; j++) {
                c[ci + j] += a0 * b[b0 + j];
            }
        }
    }

    /** C[m×n] (+)= Aᵀ · B where A is stored k×m. */
    public static void tn(int m, int n, int k,
                          float[] a, int aOff, int lda,
                          float[] b, int bOff, int ldb,
                          float[] c, int cOff, int ldc, boolean accumulate) {
        float[] at = scratch(m * k);
        transpose(k, m, a, aOff, lda, at, 0, k);
        nn(m, n, k, at, 0, k, b, bOff, ldb, c, cOff, ldc, accumulate);
    }

    /** C[m×n] (+)= A · Bᵀ where B is stored n×k. */
    public static void nt(int m, int n, int k,
                          float[] a, int aOff, int lda,
                          float[] b, int bOff, int ldb,
                          float[] c, int cOff, int ldc, boolean accumulate) {
        float[] bt = scratch(k * n);
        transpose(n, k, b, bOff, ldb, bt, 0, n);
        nn(m, n, k, a, aOff, lda, bt, 0, n, c, cOff, ldc, accumulate);
    }

    /** dst[cols×rows] = src[rows×cols]ᵀ, in tiles so both sides stay in cache. */
    public static void transpose(int rows, int cols, float[] src, int sOff, int lds, float[] dst, int dOff, int ldd) {
        final int t = 32;
        for (int r0 = 0; r0 < rows; r0 += t) {
            int r1 = Math.min(rows, r0 + t);
            for (int c0 = 0; c0 < cols; c0 += t) {
                int c1 = Math.min(cols, c0 + t);
                for (int r = r0; r < r1; r++) {
                    int s = sOff + r * lds;
                    for (int cc = c0; cc < c1; cc++) {
                        dst[dOff + cc * ldd + r] = src[s + cc];
                    }
                }
            }
        }
    }

    // Per-thread scratch that only grows, so steady state allocates nothing.
    private static float[] scratch(int size) {
        float[][] holder = SCRATCH.get();
        if (holder[0].length < size) {
            holder[0] = new float[size];
        }
        return holder[0];
    }
}
