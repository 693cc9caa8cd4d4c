package org.sparkcnn.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

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
        // 3×3 stride 1 (Inception's pool branch): interior windows by plain selects
        boolean fast3 = kh == 3 && kw == 3 && sh == 1 && sw == 1 && ph == 1 && pw == 1;
        for (int pl = start; pl < end; pl++) {
            int xo = pl * h * w;
            int yo = pl * oh * ow;
            for (int oy = 0; oy < oh; oy++) {
                int y0 = Math.max(oy * sh - ph, 0), y1 = Math.min(oy * sh - ph + kh, h);
                boolean innerRow = fast3 && oy >= 1 && oy < h - 1;
                if (innerRow && w - 2 >= L) {
                    max3x3Row(x, xo + oy * w, w, y, yo + oy * ow, argmax);
                    continue;
                }
                for (int ox = 0; ox < ow; ox++) {
                    int arg;
                    if (innerRow && ox >= 1 && ox < w - 1) {
                        arg = argmax3x3(x, xo + oy * w + ox, w);
                    } else {
                        arg = argmaxWindow(x, xo, w, y0, y1, Math.max(ox * sw - pw, 0), Math.min(ox * sw - pw + kw, w));
                    }
                    y[yo + oy * ow + ox] = x[arg];
                    if (argmax != null) {
                        argmax[yo + oy * ow + ox] = arg;
                    }
                }
            }
        }
    }

    /**
     * One interior row of the 3×3 stride-1 pool (padding 1) with at least a vector of interior
     * windows: the two border windows by the general loop, the interior in vector steps of L
     * windows (the last step overlapping the one before, which recomputes the same values).
     */
    private static void max3x3Row(float[] x, int r, int w, float[] y, int yr, int[] argmax) {
        border(x, r - w, w, 0, 2, y, yr, argmax);
        border(x, r - w, w, w - 2, w, y, yr + w - 1, argmax);
        for (int ox = 1; ox < w - 1; ox += L) {
            int o = Math.min(ox, w - 1 - L);
            max3x3Step(x, r + o, w, y, yr + o, argmax);
        }
    }

    /**
     * The windows around c, c + 1, …, c + L − 1 in one row, by the rule of {@link #argmaxWindow}
     * lane by lane: the nine cells in row-major order, a cell replacing the running winner when it is
     * strictly greater, or is the first NaN; y and argmax as the scalar form gives them (a NaN's
     * payload aside, made canonical by the Vector API's Java fallback before C2 compiles this).
     */
    private static void max3x3Step(float[] x, int c, int w, float[] y, int yi, int[] argmax) {
        int first = c - w - 1;
        FloatVector best = FloatVector.fromArray(S, x, first);
        IntVector arg = IntVector.zero(I).addIndex(1).add(first);
        for (int cell = 1; cell < 9; cell++) {
            int at = first + cell / 3 * w + cell % 3;
            FloatVector v = FloatVector.fromArray(S, x, at);
            VectorMask<Float> wins = v.compare(VectorOperators.GT, best)
                    .or(v.test(VectorOperators.IS_NAN).andNot(best.test(VectorOperators.IS_NAN)));
            best = best.blend(v, wins);
            arg = arg.blend(IntVector.zero(I).addIndex(1).add(at), wins.cast(I));
        }
        best.intoArray(y, yi);
        if (argmax != null) {
            arg.intoArray(argmax, yi);
        }
    }

    /** The window of rows 0–2 from {@code top}, columns [x0, x1), into y[yi] (and argmax[yi]). */
    private static void border(float[] x, int top, int w, int x0, int x1, float[] y, int yi, int[] argmax) {
        int arg = argmaxWindow(x, top, w, 0, 3, x0, x1);
        y[yi] = x[arg];
        if (argmax != null) {
            argmax[yi] = arg;
        }
    }

    /** Index of the first cell of the window that is greater than all before it, or the first NaN. */
    private static int argmaxWindow(float[] x, int xo, int w, int y0, int y1, int x0, int x1) {
        float best = Float.NEGATIVE_INFINITY;
        int arg = xo + y0 * w + x0;
        for (int iy = y0; iy < y1; iy++) {
            int r = xo + iy * w;
            for (int ix = x0; ix < x1; ix++) {
                float v = x[r + ix];
                if (v != v) {
                    return r + ix;
                }
                if (v > best) {
                    best = v;
                    arg = r + ix;
                }
            }
        }
        return arg;
    }

    /** {@link #argmaxWindow} for the 3×3 window around {@code c}, by selects; the NaN case is rare. */
    private static int argmax3x3(float[] x, int c, int w) {
        int i0 = c - w - 1, i3 = c - 1, i6 = c + w - 1;
        float v0 = x[i0], v1 = x[i0 + 1], v2 = x[i0 + 2], v3 = x[i3], v4 = x[i3 + 1], v5 = x[i3 + 2];
        float v6 = x[i6], v7 = x[i6 + 1], v8 = x[i6 + 2];
        if ((v0 != v0) | (v1 != v1) | (v2 != v2) | (v3 != v3) | (v4 != v4) | (v5 != v5) | (v6 != v6) | (v7 != v7)
                | (v8 != v8)) {
            return argmaxWindow(x, 0, w, (i0 / w), (i0 / w) + 3, i0 % w, i0 % w + 3);
        }
        float m = v0;
        int arg = i0;
        arg = v1 > m ? i0 + 1 : arg;
        m = v1 > m ? v1 : m;
        arg = v2 > m ? i0 + 2 : arg;
        m = v2 > m ? v2 : m;
        arg = v3 > m ? i3 : arg;
        m = v3 > m ? v3 : m;
        arg = v4 > m ? i3 + 1 : arg;
        m = v4 > m ? v4 : m;
        arg = v5 > m ? i3 + 2 : arg;
        m = v5 > m ? v5 : m;
        arg = v6 > m ? i6 : arg;
        m = v6 > m ? v6 : m;
        arg = v7 > m ? i6 + 1 : arg;
        m = v7 > m ? v7 : m;
        return v8 > m ? i6 + 2 : arg;
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

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, S.vectorShape());
    /** Outputs of one vector step: a vector of inputs holds L/2 windows' columns. */
    private static final int HALF = L / 2;
    private static final VectorShuffle<Float> EVEN = VectorShuffle.fromOp(S,
            i -> 2 * i % L), ODD = VectorShuffle.fromOp(S, i -> (2 * i + 1) % L);
    private static final ThreadLocal<float[]> STEP = ThreadLocal.withInitial(() -> new float[L]);

    /**
     * 2×2 stride-2 max without winners (inference), L/2 windows per vector step: a row pair's 2·(L/2)
     * inputs are split into their even and odd columns by a permutation, and the winner rule of
     * {@link #max2x2ValuesScalar} is kept select by select (b, c, d replace the running max only
     * when strictly greater, so the first of equal values, and of −0 and 0, wins; if any is NaN,
     * the first NaN), so both give the same bits (a NaN's payload aside: before C2 compiles this,
     * the Vector API's Java fallback makes it canonical). Steps whose loads would pass the array's end,
     * and a tail narrower than a step, run the scalar form.
     */
    private static void max2x2Values(float[] x, int start, int end, int h, int w, int oh, int ow, float[] y) {
        float[] step = STEP.get();
        for (int pl = start; pl < end; pl++) {
            int xo = pl * h * w, yo = pl * oh * ow;
            for (int oy = 0; oy < oh; oy++) {
                int r0 = xo + 2 * oy * w, o = yo + oy * ow;
                int ox = 0;
                for (; ox < ow && r0 + w + 2 * ox + L <= x.length; ox += HALF) {
                    max2x2Step(x, r0 + 2 * ox, w, step);
                    System.arraycopy(step, 0, y, o + ox, Math.min(HALF, ow - ox));
                }
                for (; ox < ow; ox++) {
                    y[o + ox] = max2x2One(x, r0 + 2 * ox, w);
                }
            }
        }
    }

    /** Windows at i, i + 2, …: their maxima into out[0 … L/2). */
    private static void max2x2Step(float[] x, int i, int w, float[] out) {
        FloatVector top = FloatVector.fromArray(S, x, i);
        FloatVector bottom = FloatVector.fromArray(S, x, i + w);
        FloatVector a = top.rearrange(EVEN), b = top.rearrange(ODD);
        FloatVector c = bottom.rearrange(EVEN), d = bottom.rearrange(ODD);
        FloatVector m = a.blend(b, b.compare(VectorOperators.GT, a));
        m = m.blend(c, c.compare(VectorOperators.GT, m));
        m = m.blend(d, d.compare(VectorOperators.GT, m));
        VectorMask<Float> nanA = a.test(VectorOperators.IS_NAN);
        VectorMask<Float> nanB = b.test(VectorOperators.IS_NAN);
        VectorMask<Float> nanC = c.test(VectorOperators.IS_NAN);
        VectorMask<Float> nanD = d.test(VectorOperators.IS_NAN);
        FloatVector nan = d.blend(c, nanC).blend(b, nanB).blend(a, nanA);
        m.blend(nan, nanA.or(nanB).or(nanC).or(nanD)).intoArray(out, 0);
    }

    private static float max2x2One(float[] x, int i, int w) {
        float a = x[i], b = x[i + 1], c = x[i + w], d = x[i + w + 1];
        float m = b > a ? b : a;
        m = c > m ? c : m;
        m = d > m ? d : m;
        if ((a != a) | (b != b) | (c != c) | (d != d)) {
            m = a != a ? a : b != b ? b : c != c ? c : d;
        }
        return m;
    }

    /** The reference form of {@link #max2x2Values}, one window at a time (its naive twin in tests). */
    static void max2x2ValuesScalar(float[] x, int start, int end, int h, int w, int oh, int ow, float[] y) {
        for (int pl = start; pl < end; pl++) {
            int xo = pl * h * w, yo = pl * oh * ow;
            for (int oy = 0; oy < oh; oy++) {
                int r0 = xo + 2 * oy * w, o = yo + oy * ow;
                for (int ox = 0; ox < ow; ox++) {
                    y[o + ox] = max2x2One(x, r0 + 2 * ox, w);
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
