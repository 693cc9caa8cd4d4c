package org.sparkcnn.kernel;

/** The fixed-order reductions both convolution implementations end their backward pass with. */
final class ConvSums {
    private ConvSums() {
    }

    /** out[outOff + i] = Σ_part partials[part·size + i] in part order, for i in [s, e). */
    static void sumParts(float[] partials, int parts, int size, int s, int e, float[] out, int outOff) {
        for (int i = s; i < e; i++) {
            float sum = 0f;
            for (int part = 0; part < parts; part++) {
                sum += partials[part * size + i];
            }
            out[outOff + i] = sum;
        }
    }

    /**
     * out[outOff + k·rows + p] = Σ_part partials[part·rows·cols + p·cols + k] in part order, for
     * flat indices i = k·rows + p in [s, e): partials transposed (rows × cols, k &lt; cols).
     */
    static void sumPartsTransposed(float[] partials, int parts, int rows, int cols, int s, int e, float[] out,
            int outOff) {
        int size = rows * cols;
        for (int i = s; i < e; i++) {
            int k = i / rows, p = i - k * rows;
            float sum = 0f;
            for (int part = 0, o = p * cols + k; part < parts; part++, o += size) {
                sum += partials[o];
            }
            out[outOff + i] = sum;
        }
    }

    /** db[dbOff + k] = Σ over images and positions of dy (NCHW, hw positions per plane), for k in [s, e). */
    static void biasGradients(float[] dy, int batch, int channels, int hw, int s, int e, float[] db, int dbOff) {
        int outSize = channels * hw;
        for (int k = s; k < e; k++) {
            float sum = 0f;
            for (int n = 0; n < batch; n++) {
                for (int i = n * outSize + k * hw, end = i + hw; i < end; i++) {
                    sum += dy[i];
                }
            }
            db[dbOff + k] = sum;
        }
    }
}
