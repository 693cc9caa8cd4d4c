package org.sparkcnn.tensor;

/** Shape arithmetic and formatting shared by layers and readers. */
public final class Shapes {
    private Shapes() {
    }

    public static int size(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + str(shape));
            }
            n *= d;
        }
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("shape " + str(shape) + " has more than 2^31-1 elements");
        }
        return (int) n;
    }

    public static String str(int[] shape) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(shape[i]);
        }
        return sb.append(']').toString();
    }

    /**
     * Output length of a sliding window: floor((in + padBefore + padAfter - dilation*(k-1) - 1) / stride) + 1.
     * Returns a value below 1 when the (dilated) window does not fit the padded input.
     */
    public static int windowOut(int in, int k, int stride, int dilation, int padBefore, int padAfter) {
        int span = dilation * (k - 1) + 1;
        int padded = in + padBefore + padAfter;
        if (padded < span) {
            return 0;
        }
        return (padded - span) / stride + 1;
    }
}
