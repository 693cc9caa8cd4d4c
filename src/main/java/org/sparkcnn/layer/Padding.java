package org.sparkcnn.layer;

/**
 * How a convolution pads its input: one of the named modes, or explicit cells per side.
 * <ul>
 * <li>{@code valid} (narrow): no padding, output n − span + 1 (span = dilation·(k−1)+1);</li>
 * <li>{@code full} (wide): span − 1 on every side, output n + span − 1 at stride 1;</li>
 * <li>{@code same} (equal width): output ceil(n / stride); the total padding
 *     max((out − 1)·stride + span − n, 0) is split with the odd cell at the bottom and right,
 *     as TensorFlow and Keras do (symmetric for odd kernels at stride 1).</li>
 * </ul>
 */
public final class Padding {
    public enum Mode { VALID, SAME, FULL, EXPLICIT }

    public final Mode mode;
    public final int top, bottom, left, right;

    private Padding(Mode mode, int top, int bottom, int left, int right) {
        this.mode = mode;
        this.top = top;
        this.bottom = bottom;
        this.left = left;
        this.right = right;
    }

    public static final Padding VALID = new Padding(Mode.VALID, 0, 0, 0, 0);
    public static final Padding SAME = new Padding(Mode.SAME, 0, 0, 0, 0);
    public static final Padding FULL = new Padding(Mode.FULL, 0, 0, 0, 0);

    public static Padding explicit(int top, int bottom, int left, int right) {
        return new Padding(Mode.EXPLICIT, top, bottom, left, right);
    }

    /** Symmetric padding: ph cells at top and bottom, pw at left and right. */
    public static Padding explicit(int ph, int pw) {
        return explicit(ph, ph, pw, pw);
    }

    /** {@code valid}, {@code same} or {@code full}, case-insensitive. */
    public static Padding named(String mode) {
        switch (mode.toLowerCase(java.util.Locale.ROOT)) {
            case "valid": return VALID;
            case "same": return SAME;
            case "full": return FULL;
            default:
                throw new IllegalArgumentException("unknown padding mode '" + mode + "': expected valid, same or full");
        }
    }

    /** {before, after} for one spatial axis of length n. */
    public int[] resolve(int n, int k, int stride, int dilation, boolean vertical) {
        int span = dilation * (k - 1) + 1;
        switch (mode) {
            case VALID:
                return new int[] {0, 0};
            case FULL:
                return new int[] {span - 1, span - 1};
            case SAME: {
                int out = (n + stride - 1) / stride;
                int total = Math.max((out - 1) * stride + span - n, 0);
                return new int[] {total / 2, total - total / 2};
            }
            default:
                return vertical ? new int[] {top, bottom} : new int[] {left, right};
        }
    }

    @Override
    public String toString() {
        if (mode != Mode.EXPLICIT) {
            return mode.name().toLowerCase(java.util.Locale.ROOT);
        }
        return (top == bottom && left == right) ? "pad " + top + "×" + left
                : "pad t" + top + " b" + bottom + " l" + left + " r" + right;
    }
}
