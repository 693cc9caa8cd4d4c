package org.sparkcnn.kernel;

/**
 * Stride-1 convolution without an unfolded matrix. Each image is copied into a zero-bordered
 * buffer, plane after plane, each plane Hp × Wp with Wp = outW + (kw−1)·dw. Output position
 * (oy, ox), at flat index j = oy·Wp + ox, then reads input flat index j + off[c,ky,kx] with
 * off = c·Hp·Wp + ky·dh·Wp + kx·dw: row p of the im2col matrix is the buffer shifted by off[p],
 * and {@link WindowGemm} multiplies with it in place. The outputs at ox ≥ outW (the last
 * (kw−1)·dw of every padded row) are computed and dropped: that is the price of this layout.
 * <pre>
 *   forward  Y  = W · shift(pad(x))                         per image
 *   input    dX = Wrot · shift(pad'(dY))   the full correlation with the rotated kernel: the same
 *                 product, on dY padded by (k−1)·d − pad
 *   weights  dW = dY · shift(pad(x))ᵀ      per group of images laid side by side in each channel
 *                 row (one long dot product per weight); the groups' partials summed in group order
 * </pre>
 * In the weight gradient, positions that are not outputs (the dropped columns, the rows below the
 * last output row, the tail of a short group) hold zeros in dY, so they add nothing.
 * Images and groups do not depend on the thread count, so neither do the results.
 */
public final class DirectConvolution implements Convolution {
    /** Size of a group's padded inputs and spread dY for the weight gradient: well inside L2. */
    private static final long GROUP_BYTES = 512 * 1024;
    /** At least this many groups (when the batch allows), so that the threads finish together. */
    private static final int MIN_GROUPS = 8;
    private static final int L = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();

    /** Stride 1 and padding no wider than the kernel's span (so the backward padding is not negative). */
    public static boolean supports(ConvGeometry g) {
        int spanH = (g.kh - 1) * g.dh, spanW = (g.kw - 1) * g.dw;
        return g.sh == 1 && g.sw == 1 && g.padTop <= spanH && g.padBottom <= spanH
                && g.padLeft <= spanW && g.padRight <= spanW;
    }

    /** One stride-1 correlation: a c×h×w input padded into hp×wp planes, output rows wp wide. */
    private static final class Plan {
        final int c, h, w, top, left, wp, outH, outW, n, plane, length;
        final int[] off;

        Plan(int c, int h, int w, int top, int bottom, int left, int right, ConvGeometry g) {
            this.c = c;
            this.h = h;
            this.w = w;
            this.top = top;
            this.left = left;
            int hp = h + top + bottom;
            this.wp = w + left + right;
            this.outH = hp - (g.kh - 1) * g.dh;
            this.outW = wp - (g.kw - 1) * g.dw;
            this.n = (outH * wp + WindowGemm.NR - 1) / WindowGemm.NR * WindowGemm.NR;
            this.plane = hp * wp;
            this.length = c * plane + n;
            this.off = offsets(plane, g);
        }

        /** Shift of each row of the unfolded matrix when channel planes lie channelStride apart. */
        int[] offsets(int channelStride, ConvGeometry g) {
            int[] o = new int[c * g.kh * g.kw];
            for (int ci = 0, p = 0; ci < c; ci++) {
                for (int ky = 0; ky < g.kh; ky++) {
                    for (int kx = 0; kx < g.kw; kx++) {
                        o[p++] = ci * channelStride + ky * g.dh * wp + kx * g.dw;
                    }
                }
            }
            return o;
        }

        /** The image at src[so…] (c×h×w) into the interiors of planes channelStride apart from buf[bo…]. */
        void pad(float[] src, int so, float[] buf, int bo, int channelStride) {
            for (int ci = 0; ci < c; ci++) {
                for (int y = 0; y < h; y++) {
                    System.arraycopy(src, so + (ci * h + y) * w, buf, bo + ci * channelStride + (top + y) * wp + left, w);
                }
            }
        }

        /** m planes outH×outW at src[so…] into rows wp wide, planes rowStride apart from buf[bo…]. */
        void spread(float[] src, int so, int m, float[] buf, int bo, int rowStride) {
            for (int k = 0; k < m; k++) {
                for (int y = 0; y < outH; y++) {
                    System.arraycopy(src, so + (k * outH + y) * outW, buf, bo + k * rowStride + y * wp, outW);
                }
            }
        }

        /** The kept outH×outW of m rows-of-wp planes into dst[dOff…], plus bias[bOff + plane] if given. */
        void crop(float[] buf, int m, float[] bias, int bOff, float[] dst, int dOff) {
            for (int k = 0; k < m; k++) {
                for (int y = 0; y < outH; y++) {
                    int s = k * n + y * wp, d = dOff + (k * outH + y) * outW;
                    if (bias == null) {
                        System.arraycopy(buf, s, dst, d, outW);
                    } else {
                        float b = bias[bOff + k];
                        for (int x = 0; x < outW; x++) {
                            dst[d + x] = buf[s + x] + b;
                        }
                    }
                }
            }
        }
    }

    private final ConvGeometry g;
    private final int batch, patch, inSize, outSize, group, groups, xStride, dyStride;
    private final Parallel parallel;
    private final Plan fwd, bwd;
    private final int[] groupOff;
    private final float[] wPacked, wRot, wRotPacked, dwParts;
    // per worker: padded input, output rows, padded dY, dX rows; and for the weight gradient a
    // group's padded inputs and spread dY (whose non-output positions must stay zero), lane sums
    private final float[][] xPad, outRows, dyPad, dxRows, xGroup, dyGroup, lanes;

    DirectConvolution(ConvGeometry g, int batch, Parallel parallel) {
        if (!supports(g)) {
            throw new IllegalArgumentException("direct convolution needs stride 1 and padding within the kernel span");
        }
        this.g = g;
        this.batch = batch;
        this.parallel = parallel;
        this.patch = g.patch();
        this.inSize = g.inC * g.inH * g.inW;
        this.outSize = g.outC * g.outH * g.outW;
        int spanH = (g.kh - 1) * g.dh, spanW = (g.kw - 1) * g.dw;
        this.fwd = new Plan(g.inC, g.inH, g.inW, g.padTop, g.padBottom, g.padLeft, g.padRight, g);
        this.bwd = new Plan(g.outC, g.outH, g.outW, spanH - g.padTop, spanH - g.padBottom,
                spanW - g.padLeft, spanW - g.padRight, g);
        long perImage = 4L * fwd.plane * (g.inC + g.outC);
        this.group = (int) Math.max(1, Math.min(GROUP_BYTES / perImage, Math.max(1, batch / MIN_GROUPS)));
        this.xStride = group * fwd.plane;
        this.dyStride = (xStride + L - 1) / L * L;
        this.groupOff = fwd.offsets(xStride, g);
        this.groups = (batch + group - 1) / group;
        int kk = g.kh * g.kw;
        this.wPacked = new float[WindowGemm.packedSize(g.outC, patch)];
        this.wRot = new float[g.inC * g.outC * kk];
        this.wRotPacked = new float[WindowGemm.packedSize(g.inC, g.outC * kk)];
        this.dwParts = new float[groups * g.outC * patch];
        int workers = Math.min(parallel.threads(), batch);
        this.xPad = new float[workers][fwd.length];
        this.outRows = new float[workers][g.outC * fwd.n];
        this.xGroup = new float[workers][g.inC * xStride + fwd.plane + L];
        this.dyGroup = new float[workers][g.outC * dyStride];
        this.dyPad = new float[workers][bwd.length];
        this.dxRows = new float[workers][g.inC * bwd.n];
        this.lanes = new float[workers][WindowGemm.laneScratch()];
    }

    @Override
    public ConvGeometry geometry() {
        return g;
    }

    @Override
    public int batch() {
        return batch;
    }

    // Arguments of the running call and loop bodies built once (a capturing lambda per call
    // would allocate on every step).
    private float[] x, bias, y, dy, dx, dw, db;
    private int bOff, dwOff, dbOff;
    private final Parallel.RangeBody forwardBody = this::forwardImages;
    private final Parallel.RangeBody backwardBody = this::backwardGroups;
    private final Parallel.RangeBody weightSumBody = this::sumWeightGradients;
    private final Parallel.RangeBody biasBody = this::biasGradients;

    @Override
    public void forward(float[] x, float[] w, int wOff, float[] bias, int bOff, float[] y) {
        this.x = x;
        this.bias = bias;
        this.bOff = bOff;
        this.y = y;
        WindowGemm.packA(g.outC, patch, w, wOff, patch, wPacked);
        parallel.forRange(batch, forwardBody);
    }

    private void forwardImages(int s, int e, int worker) {
        float[] xb = xPad[worker], rows = outRows[worker];
        for (int i = s; i < e; i++) {
            fwd.pad(x, i * inSize, xb, 0, fwd.plane);
            WindowGemm.multiply(g.outC, fwd.n, patch, wPacked, xb, 0, fwd.off, rows, 0, fwd.n);
            fwd.crop(rows, g.outC, bias, bOff, y, i * outSize);
        }
    }

    @Override
    public void backward(float[] x, float[] w, int wOff, float[] dy, float[] dx, float[] dw, int dwOff, float[] db,
            int dbOff) {
        this.x = x;
        this.dy = dy;
        this.dx = dx;
        this.dw = dw;
        this.dwOff = dwOff;
        this.db = db;
        this.dbOff = dbOff;
        if (dx != null) {
            rotate(w, wOff);
        }
        parallel.forRange(groups, backwardBody);
        parallel.forRange(g.outC * patch, weightSumBody);
        if (db != null) {
            parallel.forRange(g.outC, biasBody);
        }
    }

    /** wRot[c][k][kh−1−ky][kw−1−kx] = w[k][c][ky][kx] (w from wOff), packed: the weights of dX's correlation. */
    private void rotate(float[] w, int wOff) {
        int kk = g.kh * g.kw, cols = g.outC * kk;
        for (int k = 0; k < g.outC; k++) {
            for (int c = 0; c < g.inC; c++) {
                int src = wOff + (k * g.inC + c) * kk, dst = c * cols + k * kk + kk - 1;
                for (int t = 0; t < kk; t++) {
                    wRot[dst - t] = w[src + t];
                }
            }
        }
        WindowGemm.packA(g.inC, cols, wRot, 0, cols, wRotPacked);
    }

    private void backwardGroups(int s, int e, int worker) {
        int wSize = g.outC * patch;
        float[] xg = xGroup[worker], dyg = dyGroup[worker], dyb = dyPad[worker], dxb = dxRows[worker];
        for (int gi = s; gi < e; gi++) {
            int first = gi * group, count = Math.min(group, batch - first);
            for (int t = 0; t < count; t++) {
                fwd.pad(x, (first + t) * inSize, xg, t * fwd.plane, xStride);
                fwd.spread(dy, (first + t) * outSize, g.outC, dyg, t * fwd.plane, dyStride);
            }
            int used = count * fwd.plane, n = (used + L - 1) / L * L;
            if (count < group) {
                for (int k = 0; k < g.outC; k++) {
                    java.util.Arrays.fill(dyg, k * dyStride + used, k * dyStride + n, 0f);
                }
            }
            java.util.Arrays.fill(dwParts, gi * wSize, (gi + 1) * wSize, 0f);
            WindowGemm.multiplyTransposed(g.outC, patch, n, dyg, 0, dyStride, xg, 0, groupOff, dwParts, gi * wSize,
                    patch, lanes[worker]);
            if (dx != null) {
                for (int i = first; i < first + count; i++) {
                    bwd.pad(dy, i * outSize, dyb, 0, bwd.plane);
                    WindowGemm.multiply(g.inC, bwd.n, g.outC * g.kh * g.kw, wRotPacked, dyb, 0, bwd.off, dxb, 0,
                            bwd.n);
                    bwd.crop(dxb, g.inC, null, 0, dx, i * inSize);
                }
            }
        }
    }

    private void sumWeightGradients(int s, int e, int worker) {
        ConvSums.sumParts(dwParts, groups, g.outC * patch, s, e, dw, dwOff);
    }

    private void biasGradients(int s, int e, int worker) {
        ConvSums.biasGradients(dy, batch, g.outC, g.outH * g.outW, s, e, db, dbOff);
    }
}
