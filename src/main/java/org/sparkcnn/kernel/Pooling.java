package org.sparkcnn.kernel;

/**
 * Max and average pooling over NCHW planes [start, end) (callers split planes across threads).
 * Windows are k×k at stride s over the input padded by p (floor mode); padded cells never win a max.
 */
public final class Pooling {
    private Pooling() {
    }

    /**
     * y = max over each window; argmax[o] = index in x of the first cell that won (NaN wins, as in
     * PyTorch). argmax may be null when no backward pass follows (inference).
     */
    public static void maxForward(float[] x, int start, int end, int h, int w, int kh, int kw, int sh, int sw,
                                  int ph, int pw, int oh, int ow, float[] y, int[] argmax) {
        if (kh == 2 && kw == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0) {
            if (argmax == null) {
                max2x2Values(x, start, end, h, w, oh, ow, y);
            } else {
                max2x2(x, start, end, h, w, oh, ow, y, argmax);
            }
            return;
        }
        for (int pl = start; pl < end; pl++) {
            int xo = pl * h * w;
            int yo = pl * oh * ow;
            for (int oy = 0; oy < oh; oy++) {
                int y0 = Math.max(oy * sh - ph, 0), y1 = Math.min(oy * sh - ph + kh, h);
                for (int ox = 0; ox < ow; ox++) {
                    int x0 = Math.max(ox * sw - pw, 0), x1 = Math.min(ox * sw - pw + kw, w);
                    float best = Float.NEGATIVE_INFINITY;
                    int arg = xo + y0 * w + x0;
                    for (int iy = y0; iy < y1; iy++) {
                        int r = xo + iy * w;
                        for (int ix = x0; ix < x1; ix++) {
                            float v = x[r + ix];
                            if (v > best || Float.isNaN(v)) {
                                best = v;
                                arg = r + ix;
                                if (Float.isNaN(v)) {
                                    break;
                                }
                            }
                        }
                        if (Float.isNaN(best)) {
                            break;
                        }
                    }
                    y[yo + oy * ow + ox] = best;
                    if (argmax != null) {
                        argmax[yo + oy * ow + ox] = arg;
                    }
                }
            }
        }
    }

    /**
     * The common 2×2 stride-2 window without padding, unrolled; same winner rule as the general
     * loop. Plain selects for the usual case (C2 turns them into conditional moves; the NaN-aware
     * conditions mispredicted on real data), and one rarely taken branch when the window holds a NaN.
     */
    private static void max2x2(float[] x, int start, int end, int h, int w, int oh, int ow, float[] y, int[] argmax) {
        for (int pl = start; pl < end; pl++) {
            int xo = pl * h * w, yo = pl * oh * ow;
            for (int oy = 0; oy < oh; oy++) {
                int r0 = xo + 2 * oy * w, o = yo + oy * ow;
                for (int ox = 0; ox < ow; ox++) {
                    int i = r0 + 2 * ox;
                    float a = x[i], b = x[i + 1], c = x[i + w], d = x[i + w + 1];
                    float m = a;
                    int arg = i;
                    arg = b > m ? i + 1 : arg;
                    m = b > m ? b : m;
                    arg = c > m ? i + w : arg;
                    m = c > m ? c : m;
                    arg = d > m ? i + w + 1 : arg;
                    m = d > m ? d : m;
                    if ((a != a) | (b != b) | (c != c) | (d != d)) {
                        arg = a != a ? i : b != b ? i + 1 : c != c ? i + w : i + w + 1;
                        m = x[arg];
                    }
                    y[o + ox] = m;
                    argmax[o + ox] = arg;
                }
            }
        }
    }

    /** {@link #max2x2} without recording the winner (inference). */
    private static void max2x2Values(float[] x, int start, int end, int h, int w, int oh, int ow, float[] y) {
        for (int pl = start; pl < end; pl++) {
            int xo = pl * h * w, yo = pl * oh * ow;
            for (int oy = 0; oy < oh; oy++) {
                int r0 = xo + 2 * oy * w, o = yo + oy * ow;
                for (int ox = 0; ox < ow; ox++) {
                    int i = r0 + 2 * ox;
                    float a = x[i], b = x[i + 1], c = x[i + w], d = x[i + w + 1];
                    float m = b > a ? b : a;
                    m = c > m ? c : m;
                    m = d > m ? d : m;
                    if ((a != a) | (b != b) | (c != c) | (d != d)) {
                        m = a != a ? a : b != b ? b : c != c ? c : d;
                    }
                    y[o + ox] = m;
                }
            }
        }
    }

    /** dx = 0, then each dy goes to the input cell that won its window. */
    public static void maxBackward(float[] dy, int[] argmax, int start, int end, int inPlane, int outPlane,
                                   float[] dx) {
        java.util.Arrays.fill(dx, start * inPlane, end * inPlane, 0f);
        for (int o = start * outPlane; o < end * outPlane; o++) {
            dx[argmax[o]] += dy[o];
        }
    }

    /**
     * Divisor of one window as PyTorch defines it: with countIncludePad the window clipped to the
     * padded input, else only the real cells it covers.
     */
    private static int divisor(int oy, int ox, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw,
                               boolean countIncludePad) {
        int hs = oy * sh - ph, ws = ox * sw - pw;
        if (countIncludePad) {
            return (Math.min(hs + kh, h + ph) - hs) * (Math.min(ws + kw, w + pw) - ws);
        }
        return (Math.min(hs + kh, h) - Math.max(hs, 0)) * (Math.min(ws + kw, w) - Math.max(ws, 0));
    }

    public static void avgForward(float[] x, int start, int end, int h, int w, int kh, int kw, int sh, int sw,
                                  int ph, int pw, int oh, int ow, boolean countIncludePad, float[] y) {
        for (int pl = start; pl < end; pl++) {
            int xo = pl * h * w;
            int yo = pl * oh * ow;
            for (int oy = 0; oy < oh; oy++) {
                int y0 = Math.max(oy * sh - ph, 0), y1 = Math.min(oy * sh - ph + kh, h);
                for (int ox = 0; ox < ow; ox++) {
                    int x0 = Math.max(ox * sw - pw, 0), x1 = Math.min(ox * sw - pw + kw, w);
                    float s = 0f;
                    for (int iy = y0; iy < y1; iy++) {
                        int r = xo + iy * w;
                        for (int ix = x0; ix < x1; ix++) {
                            s += x[r + ix];
                        }
                    }
                    y[yo + oy * ow + ox] = s / divisor(oy, ox, h, w, kh, kw, sh, sw, ph, pw, countIncludePad);
                }
            }
        }
    }

    /** dx = 0, then each dy is spread evenly over the real cells of its window. */
    public static void avgBackward(float[] dy, int start, int end, int h, int w, int kh, int kw, int sh, int sw,
                                   int ph, int pw, int oh, int ow, boolean countIncludePad, float[] dx) {
        java.util.Arrays.fill(dx, start * h * w, end * h * w, 0f);
        for (int pl = start; pl < end; pl++) {
            int xo = pl * h * w;
            int yo = pl * oh * ow;
            for (int oy = 0; oy < oh; oy++) {
                int y0 = Math.max(oy * sh - ph, 0), y1 = Math.min(oy * sh - ph + kh, h);
                for (int ox = 0; ox < ow; ox++) {
                    int x0 = Math.max(ox * sw - pw, 0), x1 = Math.min(ox * sw - pw + kw, w);
                    float g = dy[yo + oy * ow + ox] / divisor(oy, ox, h, w, kh, kw, sh, sw, ph, pw, countIncludePad);
                    for (int iy = y0; iy < y1; iy++) {
                        int r = xo + iy * w;
                        for (int ix = x0; ix < x1; ix++) {
                            dx[r + ix] += g;
                        }
                    }
                }
            }
        }
    }

    /** y[plane] = mean of the plane. */
    public static void globalAvgForward(float[] x, int start, int end, int size, float[] y) {
        for (int pl = start; pl < end; pl++) {
            float s = 0f;
            int o = pl * size;
            for (int i = 0; i < size; i++) {
                s += x[o + i];
            }
            y[pl] = s / size;
        }
    }

    public static void globalAvgBackward(float[] dy, int start, int end, int size, float[] dx) {
        for (int pl = start; pl < end; pl++) {
            java.util.Arrays.fill(dx, pl * size, (pl + 1) * size, dy[pl] / size);
        }
    }
}
