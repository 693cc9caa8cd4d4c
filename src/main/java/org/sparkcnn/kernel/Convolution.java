package org.sparkcnn.kernel;

/**
 * A batched 2-D cross-correlation of one geometry and batch size, with its scratch allocated once.
 * {@link #create} picks the implementation from the geometry alone (never from the thread count
 * or a timing, so that the rounding does not depend on them): {@link DirectConvolution} reads the
 * padded image (split into its stride phases) in place, {@link Im2colConvolution} unfolds it.
 */
public interface Convolution {
    /** Which implementation {@link #create} builds. */
    enum Impl {
        /** By {@link #preferDirect}, from the geometry alone. */
        AUTO,
        /** {@link DirectConvolution} for every geometry. */
        DIRECT,
        IM2COL;

        public static Impl parse(String s, String where) {
            for (Impl i : values()) {
                if (i.name().equalsIgnoreCase(s.trim())) {
                    return i;
                }
            }
            throw new IllegalArgumentException(where + " takes auto, direct or im2col, got '" + s + "'");
        }
    }

    /** {@code -Dsparkcnn.conv=auto|direct|im2col} overrides the choice everywhere (for benchmarks). */
    static Impl defaultImpl() {
        return Impl.parse(System.getProperty("sparkcnn.conv", "auto"), "-Dsparkcnn.conv");
    }

    static Convolution create(ConvGeometry g, int batch, Parallel parallel) {
        return create(g, batch, parallel, defaultImpl());
    }

    static Convolution create(ConvGeometry g, int batch, Parallel parallel, Impl impl) {
        boolean direct = DirectConvolution.supports(g)
                && (impl == Impl.DIRECT || impl == Impl.AUTO && preferDirect(g));
        return direct ? new DirectConvolution(g, batch, parallel) : new Im2colConvolution(g, batch, parallel);
    }

    /**
     * Unfolding costs about as much per unfolded element as outC multiply-adds earn, so it pays
     * only with many output channels; the direct form instead wastes the dropped columns per row,
     * most on small images. Measured per shape of the four models (docs/performance.md): at stride
     * 1 direct wins below 48 output channels, except 1×1 on small images, where unfolding is no copy
     * at all; strided, where unfolding is a gather, direct wins or ties at every shape measured
     * (resnet20's 3×3 stride 2, 16→32 1.63× and 32→64 1.17× forward+backward).
     */
    static boolean preferDirect(ConvGeometry g) {
        boolean pointwise = g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1
                && g.padTop + g.padBottom + g.padLeft + g.padRight == 0;
        boolean strided = g.sh > 1 || g.sw > 1;
        return DirectConvolution.supports(g) && (strided || g.outC < 48 && !(pointwise && g.outH * g.outW < 400));
    }

    ConvGeometry geometry();

    int batch();

    /**
     * y = W ⋆ x + b; W is outC × patch at w[wOff…], the bias (may be null) outC values at
     * bias[bOff…]: parameters are windows of their network's flat vector. y is overwritten.
     */
    void forward(float[] x, float[] w, int wOff, float[] bias, int bOff, float[] y);

    /**
     * From dy: dw at dw[dwOff…] (overwritten), db at db[dbOff…] (overwritten, may be null) and dx
     * (overwritten; null when the input needs no gradient, e.g. the first layer).
     */
    void backward(float[] x, float[] w, int wOff, float[] dy, float[] dx, float[] dw, int dwOff, float[] db,
            int dbOff);

    /** {@link #forward(float[], float[], int, float[], int, float[])} on whole arrays. */
    default void forward(float[] x, float[] w, float[] bias, float[] y) {
        forward(x, w, 0, bias, 0, y);
    }

    /** {@link #backward(float[], float[], int, float[], float[], float[], int, float[], int)} on whole arrays. */
    default void backward(float[] x, float[] w, float[] dy, float[] dx, float[] dw, float[] db) {
        backward(x, w, 0, dy, dx, dw, 0, db, 0);
    }
}
