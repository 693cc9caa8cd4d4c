package org.sparkcnn.kernel;

/**
 * Convolution of any stride without an unfolded matrix. Each image is copied into a zero-bordered
 * buffer split into its sh×sw stride phases: phase (a, b) of a channel holds the padded pixels at
 * rows a, a + sh, … and columns b, b + sw, …, as a plane Hq × Wq (Hq = ⌈Hp/sh⌉, Wq = ⌈Wp/sw⌉). Tap
 * (ky, kx) of output (oy, ox) reads padded pixel (oy·sh + ky·dh, ox·sw + kx·dw), which is pixel
 * (oy + ⌊ky·dh/sh⌋, ox + ⌊kx·dw/sw⌋) of phase ((ky·dh) mod sh, (kx·dw) mod sw). So output position
 * j = oy·Wq + ox reads flat index j + off[c,ky,kx]: row p of the im2col matrix is the buffer
 * shifted by off[p], and {@link WindowGemm} multiplies with it in place, at every stride. At
 * stride 1 there is one phase, the padded image itself. The outputs at ox ≥ outW (the last
 * Wq − outW of every row) are computed and dropped: that is the price of this layout.
 * <pre>
 *   forward  Y  = W · shift(phases(pad(x)))                   per image
 *   input    dX = Σ over the phases of dX: phase (a, b) of the padded dX is a stride-1 correlation
 *                 of dY, zero-bordered, with the taps whose rows and columns fall in that phase,
 *                 rotated: the same product, once per phase (one phase, the full correlation with
 *                 the rotated kernel, at stride 1)
 *   weights  per group of images laid side by side in each phase row, the groups' partials summed
 *                 in group order; with more output channels than one vector holds,
 *                 dWᵀ = shift(phases(pad(x))) · dYᵀ as outer products with vectors along the output
 *                 channels ({@link WindowOuter}), else dW = dY · shift(phases(pad(x)))ᵀ as one long
 *                 dot product per weight with vectors along the pixels
 *                 ({@link WindowGemm#multiplyTransposed}), whose closing lane sums only long rows
 *                 of large images amortise
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

    /**
     * Outer products load two channel vectors and broadcast six inputs per 12 FMAs, and need no
     * lane sums; with one vector of channels they broadcast 12 inputs per vector loaded, and the
     * dot products (3 input and 4 dY vectors per 12 FMAs) win where the images are long enough to
     * amortise their lane sums. Measured (fresh JVMs, 2 threads, dW alone, GFLOP/s): 64→64 on 7×7,
     * outer 57–79 against dots 41–45; 16→16 on 28×28, outer 54–75 against dots 54–76.
     */
    static boolean preferOuter(ConvGeometry g) {
        return g.outC > L;
    }

    /** Every geometry: any stride, dilation and padding. */
    public static boolean supports(ConvGeometry g) {
        return g.outH >= 1 && g.outW >= 1;
    }

    private static int ceilDiv(int a, int b) {
        return -Math.floorDiv(-a, b);
    }

    private static int roundUp(int a, int m) {
        return (a + m - 1) / m * m;
    }

    /**
     * The input of the forward pass and of the weight gradient: images c×h×w, zero-padded and split
     * into stride phases, {@code images} of them side by side in each phase plane. Layout
     * [channel][phase][image][u][v]; at stride 1 and one image, the padded image plane after plane.
     */
    private static final class Phases {
        final int c, h, w, top, left, sh, sw, hq, wq, imageStride, phaseStride, channelStride;
        /** Output positions computed per image (outH rows of wq), rounded up to {@link WindowGemm#NR}. */
        final int n;
        final int[] off;
        /** Phases that some tap reads: the others are never copied. */
        final boolean[] used;

        Phases(ConvGeometry g, int images) {
            this.c = g.inC;
            this.h = g.inH;
            this.w = g.inW;
            this.top = g.padTop;
            this.left = g.padLeft;
            this.sh = g.sh;
            this.sw = g.sw;
            this.hq = ceilDiv(g.inH + g.padTop + g.padBottom, g.sh);
            this.wq = ceilDiv(g.inW + g.padLeft + g.padRight, g.sw);
            this.imageStride = hq * wq;
            this.phaseStride = images * imageStride;
            this.channelStride = sh * sw * phaseStride;
            this.n = roundUp(g.outH * wq, WindowGemm.NR);
            this.used = new boolean[sh * sw];
            this.off = new int[c * g.kh * g.kw];
            for (int ci = 0, p = 0; ci < c; ci++) {
                for (int ky = 0; ky < g.kh; ky++) {
                    for (int kx = 0; kx < g.kw; kx++) {
                        int ry = ky * g.dh, rx = kx * g.dw, phase = ry % sh * sw + rx % sw;
                        used[phase] = true;
                        off[p++] = ci * channelStride + phase * phaseStride + ry / sh * wq + rx / sw;
                    }
                }
            }
        }

        /** Floats of a buffer, with room for the reads of the last tile past the last plane. */
        int length() {
            return c * channelStride + Math.max(n, imageStride) + L;
        }

        /** The image at src[so…] into position {@code image} of the buffer; borders are left as they are (zero). */
        void pad(float[] src, int so, float[] buf, int image) {
            for (int a = 0; a < sh; a++) {
                for (int b = 0; b < sw; b++) {
                    if (!used[a * sw + b]) {
                        continue;
                    }
                    int u0 = Math.max(0, ceilDiv(top - a, sh)), u1 = Math.floorDiv(h - 1 + top - a, sh);
                    int v0 = Math.max(0, ceilDiv(left - b, sw)), v1 = Math.floorDiv(w - 1 + left - b, sw);
                    int count = v1 - v0 + 1;
                    if (count <= 0) {
                        continue;
                    }
                    for (int ci = 0; ci < c; ci++) {
                        int dst = ci * channelStride + (a * sw + b) * phaseStride + image * imageStride;
                        for (int u = u0; u <= u1; u++) {
                            int s = so + (ci * h + a + sh * u - top) * w + b + sw * v0 - left, d = dst + u * wq + v0;
                            if (sw == 1) {
                                System.arraycopy(src, s, buf, d, count);
                            } else {
                                for (int v = 0; v < count; v++) {
                                    buf[d + v] = src[s + sw * v];
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * One phase (a, b) of the input gradient: padded dX rows a + sh·u and columns b + sw·v, for the
     * u0 + u, v0 + v that are input pixels (u &lt; nu, v &lt; nv), computed in rows {@code width} wide
     * from the zero-bordered dY with the phase's taps in rotated order.
     */
    private static final class GradientPhase {
        final int a, b, u0, nu, v0, nv, taps;
        final int[] ky, kx;
        int n;
        int[] off;
        float[] packed;

        GradientPhase(ConvGeometry g, int a, int b) {
            this.a = a;
            this.b = b;
            this.u0 = Math.max(0, ceilDiv(g.padTop - a, g.sh));
            this.nu = Math.floorDiv(g.inH - 1 + g.padTop - a, g.sh) - u0 + 1;
            this.v0 = Math.max(0, ceilDiv(g.padLeft - b, g.sw));
            this.nv = Math.floorDiv(g.inW - 1 + g.padLeft - b, g.sw) - v0 + 1;
            java.util.List<int[]> t = new java.util.ArrayList<>();
            for (int y = g.kh - 1; y >= 0; y--) {
                for (int x = g.kw - 1; x >= 0; x--) {
                    if (y * g.dh % g.sh == a && x * g.dw % g.sw == b) {
                        t.add(new int[] {y, x});
                    }
                }
            }
            this.taps = t.size();
            this.ky = t.stream().mapToInt(p -> p[0]).toArray();
            this.kx = t.stream().mapToInt(p -> p[1]).toArray();
        }

        boolean computes() {
            return taps > 0 && nu > 0 && nv > 0;
        }
    }

    /** The zero-bordered dY all phases read: outC planes of rows width wide, dY at (top, left). */
    private static final class GradientInput {
        final int top, left, rows, width, plane, length;
        /** Output positions of the largest phase: the dX rows a worker needs. */
        final int mostRows;
        final GradientPhase[] phases;

        GradientInput(ConvGeometry g) {
            phases = new GradientPhase[g.sh * g.sw];
            int t = 0, l = 0;
            for (int a = 0; a < g.sh; a++) {
                for (int b = 0; b < g.sw; b++) {
                    GradientPhase p = phases[a * g.sw + b] = new GradientPhase(g, a, b);
                    for (int i = 0; p.computes() && i < p.taps; i++) {
                        t = Math.max(t, p.ky[i] * g.dh / g.sh - p.u0);
                        l = Math.max(l, p.kx[i] * g.dw / g.sw - p.v0);
                    }
                }
            }
            this.top = t;
            this.left = l;
            int r = t + g.outH, wd = l + g.outW;
            for (GradientPhase p : phases) {
                for (int i = 0; p.computes() && i < p.taps; i++) {
                    r = Math.max(r, t + p.u0 + p.nu - p.ky[i] * g.dh / g.sh);
                    wd = Math.max(wd, l + p.v0 + p.nv - p.kx[i] * g.dw / g.sw);
                }
            }
            this.rows = r;
            this.width = wd;
            this.plane = r * wd;
            int most = 0;
            for (GradientPhase p : phases) {
                if (!p.computes()) {
                    continue;
                }
                p.n = roundUp(p.nu * wd, WindowGemm.NR);
                most = Math.max(most, p.n);
                p.off = new int[g.outC * p.taps];
                for (int k = 0, q = 0; k < g.outC; k++) {
                    for (int i = 0; i < p.taps; i++) {
                        p.off[q++] = k * plane + (p.u0 - p.ky[i] * g.dh / g.sh + t) * wd
                                + p.v0 - p.kx[i] * g.dw / g.sw + l;
                    }
                }
                p.packed = new float[WindowGemm.packedSize(g.inC, g.outC * p.taps)];
            }
            this.mostRows = most;
            this.length = g.outC * plane + most + L;
        }
    }

    private final ConvGeometry g;
    private final int batch, patch, inSize, outSize, group, groups, cols, dyStride;
    /** The weight gradient as outer products ({@link #preferOuter}). */
    private final boolean outer;
    private final Parallel parallel;
    private final Phases fwd, grouped;
    private final GradientInput bwd;
    private final float[] wPacked, wRot, dwParts;
    // per worker: phased input, output rows, zero-bordered dY, dX rows; and for the weight gradient a
    // group's phased inputs and dY, pixel-major or spread in rows (its non-output positions must
    // stay zero), lane sums
    private final float[][] xPad, outRows, dyPad, dxRows, xGroup, dyGroup, lanes;

    DirectConvolution(ConvGeometry g, int batch, Parallel parallel) {
        if (!supports(g)) {
            throw new IllegalArgumentException("direct convolution needs an output of at least one pixel");
        }
        this.g = g;
        this.batch = batch;
        this.parallel = parallel;
        this.patch = g.patch();
        this.inSize = g.inC * g.inH * g.inW;
        this.outSize = g.outC * g.outH * g.outW;
        this.fwd = new Phases(g, 1);
        long perImage = 4L * fwd.channelStride * (g.inC + g.outC);
        this.group = (int) Math.max(1, Math.min(GROUP_BYTES / perImage, Math.max(1, batch / MIN_GROUPS)));
        this.grouped = new Phases(g, group);
        this.outer = preferOuter(g);
        this.cols = outer ? WindowOuter.columns(g.outC) : g.outC;
        this.dyStride = roundUp(grouped.phaseStride, L);
        this.groups = (batch + group - 1) / group;
        this.bwd = new GradientInput(g);
        this.wPacked = new float[WindowGemm.packedSize(g.outC, patch)];
        this.wRot = new float[g.inC * g.outC * g.kh * g.kw];
        this.dwParts = new float[groups * patch * cols];
        int workers = Math.min(parallel.threads(), batch);
        this.xPad = new float[workers][fwd.length()];
        this.outRows = new float[workers][g.outC * fwd.n];
        this.xGroup = new float[workers][grouped.length()];
        this.dyGroup = new float[workers][outer ? grouped.phaseStride * cols : g.outC * dyStride];
        this.lanes = new float[workers][outer ? 0 : WindowGemm.laneScratch()];
        this.dyPad = new float[workers][bwd.length];
        this.dxRows = new float[workers][g.inC * bwd.mostRows];
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
            fwd.pad(x, i * inSize, xb, 0);
            WindowGemm.multiply(g.outC, fwd.n, patch, wPacked, xb, 0, fwd.off, rows, 0, fwd.n);
            crop(rows, fwd.n, fwd.wq, bias, bOff, y, i * outSize);
        }
    }

    /** The kept outH×outW of outC rows-of-width planes (n apart) into dst[dOff…], plus bias[bOff + plane] if given. */
    private void crop(float[] buf, int n, int width, float[] bias, int bOff, float[] dst, int dOff) {
        for (int k = 0; k < g.outC; k++) {
            for (int oy = 0; oy < g.outH; oy++) {
                int s = k * n + oy * width, d = dOff + (k * g.outH + oy) * g.outW;
                if (bias == null) {
                    System.arraycopy(buf, s, dst, d, g.outW);
                } else {
                    float b = bias[bOff + k];
                    for (int ox = 0; ox < g.outW; ox++) {
                        dst[d + ox] = buf[s + ox] + b;
                    }
                }
            }
        }
    }

    /** dY's outC planes at src[so…] into rows {@code width} wide at buf[bo…], row (top, left) first, planes stride apart. */
    private void place(float[] src, int so, float[] buf, int bo, int top, int left, int width, int stride) {
        for (int k = 0; k < g.outC; k++) {
            for (int oy = 0; oy < g.outH; oy++) {
                System.arraycopy(src, so + (k * g.outH + oy) * g.outW, buf, bo + k * stride + (top + oy) * width + left,
                        g.outW);
            }
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

    /**
     * Per phase of dX, its weights as a matrix inC × (outC · taps): row c, column k·taps + i holds
     * w[k][c][ky_i][kx_i] (taps in rotated order), packed.
     */
    private void rotate(float[] w, int wOff) {
        int kk = g.kh * g.kw;
        for (GradientPhase p : bwd.phases) {
            if (!p.computes()) {
                continue;
            }
            int cols = g.outC * p.taps;
            for (int c = 0; c < g.inC; c++) {
                for (int k = 0; k < g.outC; k++) {
                    int src = wOff + (k * g.inC + c) * kk, dst = c * cols + k * p.taps;
                    for (int i = 0; i < p.taps; i++) {
                        wRot[dst + i] = w[src + p.ky[i] * g.kw + p.kx[i]];
                    }
                }
            }
            WindowGemm.packA(g.inC, cols, wRot, 0, cols, p.packed);
        }
    }

    private void backwardGroups(int s, int e, int worker) {
        float[] xg = xGroup[worker], dyg = dyGroup[worker], dyb = dyPad[worker], dxb = dxRows[worker];
        for (int gi = s; gi < e; gi++) {
            int first = gi * group, count = Math.min(group, batch - first);
            for (int t = 0; t < count; t++) {
                grouped.pad(x, (first + t) * inSize, xg, t);
            }
            if (outer) {
                for (int t = 0; t < count; t++) {
                    pixelMajor(dy, (first + t) * outSize, dyg, t * grouped.imageStride);
                }
                WindowOuter.multiply(patch, count * grouped.imageStride, cols, xg, 0, grouped.off, dyg, 0, dwParts,
                        gi * patch * cols);
            } else {
                weightDots(gi, count, xg, dyg, lanes[worker]);
            }
            if (dx != null) {
                for (int i = first; i < first + count; i++) {
                    inputGradient(i, dyb, dxb);
                }
            }
        }
    }

    /**
     * dW of group gi as dot products: dY's images spread side by side in each channel row, lanes
     * along the pixels. Positions past a short group's last image are zeroed, as they are not outputs.
     */
    private void weightDots(int gi, int count, float[] xg, float[] dyg, float[] lanes) {
        int first = gi * group, wSize = g.outC * patch;
        for (int t = 0; t < count; t++) {
            place(dy, (first + t) * outSize, dyg, t * grouped.imageStride, 0, 0, grouped.wq, dyStride);
        }
        int used = count * grouped.imageStride, n = roundUp(used, L);
        if (count < group) {
            for (int k = 0; k < g.outC; k++) {
                java.util.Arrays.fill(dyg, k * dyStride + used, k * dyStride + n, 0f);
            }
        }
        java.util.Arrays.fill(dwParts, gi * wSize, (gi + 1) * wSize, 0f);
        WindowGemm.multiplyTransposed(g.outC, patch, n, dyg, 0, dyStride, xg, 0, grouped.off, dwParts, gi * wSize,
                patch, lanes);
    }

    /** dY's outC planes at src[so…] into rows of cols channels, output (oy, ox) at row j0 + oy·wq + ox. */
    private void pixelMajor(float[] src, int so, float[] buf, int j0) {
        for (int k = 0; k < g.outC; k++) {
            for (int oy = 0; oy < g.outH; oy++) {
                int s = so + (k * g.outH + oy) * g.outW, d = (j0 + oy * grouped.wq) * cols + k;
                for (int ox = 0; ox < g.outW; ox++) {
                    buf[d + ox * cols] = src[s + ox];
                }
            }
        }
    }

    /** dX of image i, phase by phase; a phase no tap reaches is zero. */
    private void inputGradient(int i, float[] dyb, float[] dxb) {
        place(dy, i * outSize, dyb, 0, bwd.top, bwd.left, bwd.width, bwd.plane);
        for (GradientPhase p : bwd.phases) {
            if (p.nu <= 0 || p.nv <= 0) {
                continue;
            }
            if (p.taps > 0) {
                WindowGemm.multiply(g.inC, p.n, g.outC * p.taps, p.packed, dyb, 0, p.off, dxb, 0, p.n);
            }
            for (int c = 0; c < g.inC; c++) {
                for (int u = 0; u < p.nu; u++) {
                    int d = i * inSize + (c * g.inH + p.a + g.sh * (p.u0 + u) - g.padTop) * g.inW
                            + p.b + g.sw * p.v0 - g.padLeft;
                    if (p.taps == 0) {
                        for (int v = 0; v < p.nv; v++) {
                            dx[d + g.sw * v] = 0f;
                        }
                    } else if (g.sw == 1) {
                        System.arraycopy(dxb, c * p.n + u * bwd.width, dx, d, p.nv);
                    } else {
                        for (int v = 0, src = c * p.n + u * bwd.width; v < p.nv; v++) {
                            dx[d + g.sw * v] = dxb[src + v];
                        }
                    }
                }
            }
        }
    }

    private void sumWeightGradients(int s, int e, int worker) {
        if (outer) {
            ConvSums.sumPartsTransposed(dwParts, groups, patch, cols, s, e, dw, dwOff);
        } else {
            ConvSums.sumParts(dwParts, groups, g.outC * patch, s, e, dw, dwOff);
        }
    }

    private void biasGradients(int s, int e, int worker) {
        ConvSums.biasGradients(dy, batch, g.outC, g.outH * g.outW, s, e, db, dbOff);
    }
}
