package org.sparkcnn.kernel;

/**
 * Batched 2-D cross-correlation through im2col and {@link Gemm}, with per-worker scratch sized
 * once for one geometry and batch size. Work is split over images; the weight gradient is
 * summed per image and then over images in a fixed order, so results do not depend on the
 * number of threads.
 */
public final class Convolution {
    private final ConvGeometry g;
    private final int batch;
    private final Parallel parallel;
    private final float[][] col;
    private final float[][] dcol;
    private final float[] dwPerImage;

    public Convolution(ConvGeometry g, int batch, Parallel parallel) {
        this.g = g;
        this.batch = batch;
        this.parallel = parallel;
        int workers = Math.min(parallel.threads(), Math.max(1, batch));
        int colSize = g.isPointwise() ? 0 : g.patch() * g.outH * g.outW;
        this.col = new float[workers][colSize];
        this.dcol = new float[workers][colSize];
        this.dwPerImage = new float[batch * g.outC * g.patch()];
    }

    public ConvGeometry geometry() {
        return g;
    }

    public int batch() {
        return batch;
    }

    /** Image n as the right-hand matrix [patch × outH·outW]: x itself for a pointwise conv, else im2col. */
    private float[] unfold(float[] x, int n, int worker) {
        if (g.isPointwise()) {
            return x;
        }
        Im2col.im2col(g, x, n * g.inC * g.inH * g.inW, col[worker]);
        return col[worker];
    }

    /** y[n] = W · unfold(x[n]) + b; W is outC × patch, bias may be null. */
    public void forward(float[] x, float[] w, float[] bias, float[] y) {
        final int inSize = g.inC * g.inH * g.inW;
        final int hw = g.outH * g.outW;
        final int outSize = g.outC * hw;
        final int patch = g.patch();
        parallel.forRange(batch, (start, end, worker) -> {
            for (int n = start; n < end; n++) {
                float[] b = unfold(x, n, worker);
                int bOff = g.isPointwise() ? n * inSize : 0;
                int yOff = n * outSize;
                if (bias != null) {
                    for (int k = 0; k < g.outC; k++) {
                        java.util.Arrays.fill(y, yOff + k * hw, yOff + (k + 1) * hw, bias[k]);
                    }
                }
                Gemm.nn(g.outC, hw, patch, w, 0, patch, b, bOff, hw, y, yOff, hw, bias != null);
            }
        });
    }

    /**
     * From dy: dx (may be null when the input needs no gradient), dw (overwritten) and db
     * (overwritten, may be null). dx = foldᵀ(Wᵀ · dy[n]) — the full correlation of dy with the
     * rotated kernel — dW = Σₙ dy[n] · unfold(x[n])ᵀ, db = Σ dy.
     */
    public void backward(float[] x, float[] w, float[] dy, float[] dx, float[] dw, float[] db) {
        final int inSize = g.inC * g.inH * g.inW;
        final int hw = g.outH * g.outW;
        final int outSize = g.outC * hw;
        final int patch = g.patch();
        final int wSize = g.outC * patch;
        parallel.forRange(batch, (start, end, worker) -> {
            for (int n = start; n < end; n++) {
                float[] b = unfold(x, n, worker);
                int bOff = g.isPointwise() ? n * inSize : 0;
                Gemm.nt(g.outC, patch, hw, dy, n * outSize, hw, b, bOff, hw, dwPerImage, n * wSize, patch, false);
                if (dx == null) {
                    continue;
                }
                if (g.isPointwise()) {
                    Gemm.tn(g.inC, hw, g.outC, w, 0, patch, dy, n * outSize, hw, dx, n * inSize, hw, false);
                } else {
                    float[] dc = dcol[worker];
                    Gemm.tn(patch, hw, g.outC, w, 0, patch, dy, n * outSize, hw, dc, 0, hw, false);
                    java.util.Arrays.fill(dx, n * inSize, (n + 1) * inSize, 0f);
                    Im2col.col2im(g, dc, dx, n * inSize);
                }
            }
        });
        parallel.forRange(wSize, (start, end, worker) -> {
            for (int i = start; i < end; i++) {
                float s = 0f;
                for (int n = 0; n < batch; n++) {
                    s += dwPerImage[n * wSize + i];
                }
                dw[i] = s;
            }
        });
        if (db != null) {
            parallel.forRange(g.outC, (start, end, worker) -> {
                for (int k = start; k < end; k++) {
                    float s = 0f;
                    for (int n = 0; n < batch; n++) {
                        int o = n * outSize + k * hw;
                        for (int i = 0; i < hw; i++) {
                            s += dy[o + i];
                        }
                    }
                    db[k] = s;
                }
            });
        }
    }
}
