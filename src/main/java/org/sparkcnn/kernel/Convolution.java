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
     * Unfolding copies every input value k² times before the product; the direct form reads the
     * padded image in place and wastes only the dropped columns of each row. Measured alone per
     * implementation in fresh JVMs (docs/performance.md), forward + dW + dX on 2 threads, direct
     * wins or ties at every shape of the four models: 64→64 3×3 on 7×7 9.9–11.6 ms against
     * 12.7–19.5, convnet's 5×5 32→64 on 14×14 46.9–49.9 against 61.1–62.7, Inception's 3×3 32→48
     * on 14×14 13.0–16.3 against 9.0–18.4, and the strided ones (1.17–1.63×). The exception is a
     * 1×1 stride-1 convolution without padding on images under 400 pixels, where the unfolding path
     * multiplies the input in place, without a copy.
     */
    static boolean preferDirect(ConvGeometry g) {
        boolean pointwise = g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1
                && g.padTop + g.padBottom + g.padLeft + g.padRight == 0;
        return DirectConvolution.supports(g) && !(pointwise && g.outH * g.outW < 400);
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
