package org.sparkcnn.kernel;

/**
 * Batched 2-D cross-correlation as matrix products on groups of images. A group of G images is
 * unfolded into one column matrix COL [patch × G·outH·outW] (images side by side), G chosen so
 * that COL fits in a core's L2 cache; the threads take whole groups:
 * <pre>
 *   forward  Yᵗ  = W · COL                 then scattered to NCHW (+ bias)
 *   weights  dW  = Σ_groups dYᵗ · COLᵀ      one partial per group, summed in group order
 *   input    dX  = col2im(Wᵀ · dYᵗ)        the full correlation of dY with the rotated kernel
 * </pre>
 * Groups do not depend on the thread count and every sum runs in a fixed order, so neither do
 * the results. Scratch is allocated once per geometry and batch size.
 */
public final class Im2colConvolution implements Convolution {
    /** Target size of one group's column matrix: well inside a 1–2 MiB L2 with the packed GEMM panels. */
    private static final long GROUP_BYTES = 512 * 1024;

    private final ConvGeometry g;
    private final int batch;
    private final Parallel parallel;
    private final int hw, patch, inSize, outSize, group, groups;
    private final float[][] col;
    private final float[][] yt;
    private final float[] dwPerGroup;
    private final boolean dotsForWeights;

    Im2colConvolution(ConvGeometry g, int batch, Parallel parallel) {
        this.g = g;
        this.batch = batch;
        this.parallel = parallel;
        this.hw = g.outH * g.outW;
        this.patch = g.patch();
        this.inSize = g.inC * g.inH * g.inW;
        this.outSize = g.outC * hw;
        this.group = (int) Math.max(1, Math.min(batch, GROUP_BYTES / (4L * patch * hw)));
        this.groups = (batch + group - 1) / group;
        int workers = Math.min(parallel.threads(), groups);
        int cols = group * hw;
        this.col = new float[workers][patch * cols];
        this.yt = new float[workers][g.outC * cols];
        this.dwPerGroup = groups > 1 ? new float[groups * g.outC * patch] : null;
        this.dotsForWeights = Gemm.preferDots(g.outC, patch, group * hw);
    }

    @Override
    public ConvGeometry geometry() {
        return g;
    }

    @Override
    public int batch() {
        return batch;
    }

    private void unfold(float[] x, int n0, int count, float[] c) {
        for (int i = 0; i < count; i++) {
            Im2col.im2col(g, x, (n0 + i) * inSize, c, i * hw, count * hw);
        }
    }

    // Arguments of the running call and loop bodies built once (a capturing lambda per call
    // would allocate on every step).
    private float[] x, w, bias, y, dy, dx, dw, db;
    private int wOff, bOff, dwOff, dbOff;
    private final Parallel.RangeBody forwardBody = this::forwardGroups;
    private final Parallel.RangeBody backwardBody = this::backwardGroups;
    private final Parallel.RangeBody weightSumBody = this::sumWeightGradients;
    private final Parallel.RangeBody biasBody = this::biasGradients;

    @Override
    public void forward(float[] x, float[] w, int wOff, float[] bias, int bOff, float[] y) {
        this.x = x;
        this.w = w;
        this.wOff = wOff;
        this.bias = bias;
        this.bOff = bOff;
        this.y = y;
        parallel.forRange(groups, forwardBody);
    }

    private void forwardGroups(int s, int e, int worker) {
        float[] c = col[worker], t = yt[worker];
        for (int gi = s; gi < e; gi++) {
            int n0 = gi * group, count = Math.min(group, batch - n0), cols = count * hw;
            unfold(x, n0, count, c);
            Gemm.nn(g.outC, cols, patch, w, wOff, patch, c, 0, cols, t, 0, cols, false);
            for (int i = 0; i < count; i++) {
                for (int k = 0; k < g.outC; k++) {
                    int src = k * cols + i * hw, dst = (n0 + i) * outSize + k * hw;
                    if (bias == null) {
                        System.arraycopy(t, src, y, dst, hw);
                    } else {
                        float b = bias[bOff + k];
                        for (int j = 0; j < hw; j++) {
                            y[dst + j] = t[src + j] + b;
                        }
                    }
                }
            }
        }
    }

    @Override
    public void backward(float[] x, float[] w, int wOff, float[] dy, float[] dx, float[] dw, int dwOff, float[] db,
            int dbOff) {
        this.x = x;
        this.w = w;
        this.wOff = wOff;
        this.dy = dy;
        this.dx = dx;
        this.dw = dw;
        this.dwOff = dwOff;
        this.db = db;
        this.dbOff = dbOff;
        parallel.forRange(groups, backwardBody);
        if (groups > 1) {
            parallel.forRange(g.outC * patch, weightSumBody);
        }
        if (db != null) {
            parallel.forRange(g.outC, biasBody);
        }
    }

    private void backwardGroups(int s, int e, int worker) {
        final int wSize = g.outC * patch;
        float[] c = col[worker], t = yt[worker];
        for (int gi = s; gi < e; gi++) {
            int n0 = gi * group, count = Math.min(group, batch - n0), cols = count * hw;
            for (int i = 0; i < count; i++) {
                for (int k = 0; k < g.outC; k++) {
                    System.arraycopy(dy, (n0 + i) * outSize + k * hw, t, k * cols + i * hw, hw);
                }
            }
            unfold(x, n0, count, c);
            float[] target = groups > 1 ? dwPerGroup : dw;
            int tOff = groups > 1 ? gi * wSize : dwOff;
            if (dotsForWeights) {
                Gemm.dots(g.outC, patch, cols, t, 0, cols, c, 0, cols, target, tOff, patch, false);
            } else {
                Gemm.nt(g.outC, patch, cols, t, 0, cols, c, 0, cols, target, tOff, patch, false);
            }
            if (dx != null) {
                // the unfolded input is no longer needed: reuse it for dCOL
                Gemm.tn(patch, cols, g.outC, w, wOff, patch, t, 0, cols, c, 0, cols, false);
                java.util.Arrays.fill(dx, n0 * inSize, (n0 + count) * inSize, 0f);
                for (int i = 0; i < count; i++) {
                    Im2col.col2im(g, c, i * hw, cols, dx, (n0 + i) * inSize);
                }
            }
        }
    }

    /** dW = Σ over groups of the per-group partials, in group order. */
    private void sumWeightGradients(int s, int e, int worker) {
        ConvSums.sumParts(dwPerGroup, groups, g.outC * patch, s, e, dw, dwOff);
    }

    private void biasGradients(int s, int e, int worker) {
        ConvSums.biasGradients(dy, batch, g.outC, hw, s, e, db, dbOff);
    }
}
