package org.sparkcnn.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Element-wise loops the JIT does not vectorise by itself (C2 leaves these scalar here), on
 * [from, to) ranges so callers can split them across threads. Each method is small so that C2
 * inlines the Vector API calls instead of running their allocating fallback.
 */
public final class VectorOps {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private VectorOps() {
    }

    /** y = max(x, 0). */
    public static void relu(float[] x, float[] y, int from, int to) {
        int i = from;
        for (int end = to - L; i <= end; i += L) {
            FloatVector.fromArray(S, x, i).max(0f).intoArray(y, i);
        }
        for (; i < to; i++) {
            y[i] = x[i] > 0f ? x[i] : 0f;
        }
    }

    /** dx = dy where x &gt; 0, else 0. */
    public static void reluBackward(float[] x, float[] dy, float[] dx, int from, int to) {
        int i = from;
        FloatVector zero = FloatVector.zero(S);
        for (int end = to - L; i <= end; i += L) {
            VectorMask<Float> pos = FloatVector.fromArray(S, x, i).compare(VectorOperators.GT, 0f);
            zero.blend(FloatVector.fromArray(S, dy, i), pos).intoArray(dx, i);
        }
        for (; i < to; i++) {
            dx[i] = x[i] > 0f ? dy[i] : 0f;
        }
    }

    /** dst[d + i] += src[s + i] for i in [0, n). */
    public static void addInto(float[] src, int s, float[] dst, int d, int n) {
        int i = 0;
        for (int end = n - L; i <= end; i += L) {
            FloatVector.fromArray(S, dst, d + i).add(FloatVector.fromArray(S, src, s + i)).intoArray(dst, d + i);
        }
        for (; i < n; i++) {
            dst[d + i] += src[s + i];
        }
    }

    /** dst[d + i] = src[s + i] for i in [0, n): cheaper than System.arraycopy for a few dozen floats. */
    public static void copy(float[] src, int s, float[] dst, int d, int n) {
        int i = 0;
        for (int end = n - L; i <= end; i += L) {
            FloatVector.fromArray(S, src, s + i).intoArray(dst, d + i);
        }
        for (; i < n; i++) {
            dst[d + i] = src[s + i];
        }
    }

    /** a[from, to) = 0 with a plain loop: Arrays.fill's call costs more than the few cells padding needs. */
    public static void zero(float[] a, int from, int to) {
        for (int i = from; i < to; i++) {
            a[i] = 0f;
        }
    }

    /** Σ a[from, from + n), lanes summed in a fixed order. */
    public static float sum(float[] a, int from, int n) {
        int i = 0;
        FloatVector acc = FloatVector.zero(S);
        for (int end = n - L; i <= end; i += L) {
            acc = acc.add(FloatVector.fromArray(S, a, from + i));
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            s += a[from + i];
        }
        return s;
    }

    /** Σ (a − mean)² over [from, from + n). */
    public static float sumSquaredDeviations(float[] a, int from, int n, float mean) {
        int i = 0;
        FloatVector acc = FloatVector.zero(S);
        for (int end = n - L; i <= end; i += L) {
            FloatVector d = FloatVector.fromArray(S, a, from + i).sub(mean);
            acc = d.fma(d, acc);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float d = a[from + i] - mean;
            s += d * d;
        }
        return s;
    }

    /** Σ a·b over [from, from + n). */
    public static float dot(float[] a, float[] b, int from, int n) {
        int i = 0;
        FloatVector acc = FloatVector.zero(S);
        for (int end = n - L; i <= end; i += L) {
            acc = FloatVector.fromArray(S, a, from + i).fma(FloatVector.fromArray(S, b, from + i), acc);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            s += a[from + i] * b[from + i];
        }
        return s;
    }

    /** h = (x − mean)·invStd and y = gamma·h + beta over [from, from + n). */
    public static void normalize(float[] x, float[] h, float[] y, int from, int n, float mean, float invStd,
                                 float gamma, float beta) {
        int i = from, to = from + n;
        for (int end = to - L; i <= end; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, i).sub(mean).mul(invStd);
            v.intoArray(h, i);
            v.fma(gamma, beta).intoArray(y, i);
        }
        for (; i < to; i++) {
            float v = (x[i] - mean) * invStd;
            h[i] = v;
            y[i] = gamma * v + beta;
        }
    }

    /** y = x·scale + shift over [from, from + n). */
    public static void affine(float[] x, float[] y, int from, int n, float scale, float shift) {
        int i = from, to = from + n;
        for (int end = to - L; i <= end; i += L) {
            FloatVector.fromArray(S, x, i).fma(scale, shift).intoArray(y, i);
        }
        for (; i < to; i++) {
            y[i] = x[i] * scale + shift;
        }
    }

    /** dx = k·(count·dy − sumDy − h·sumDyH), batch norm's input gradient, over [from, from + n). */
    public static void batchNormBackward(float[] dy, float[] h, float[] dx, int from, int n, float k, float count,
                                         float sumDy, float sumDyH) {
        int i = from, to = from + n;
        for (int end = to - L; i <= end; i += L) {
            FloatVector g = FloatVector.fromArray(S, dy, i).mul(count).sub(sumDy);
            FloatVector.fromArray(S, h, i).mul(-sumDyH).add(g).mul(k).intoArray(dx, i);
        }
        for (; i < to; i++) {
            dx[i] = k * (count * dy[i] - sumDy - h[i] * sumDyH);
        }
    }

    // Fused batch norm, ReLU and residual add (layer/BatchNorm2d, block/Residual). Each does the
    // float operations of the separate passes it replaces, lane for lane, so results are bit-identical.

    /** y = gamma·((x − mean)·invStd) + beta over [from, from + n): {@link #normalize} without storing x̂. */
    public static void normalize(float[] x, float[] y, int from, int n, float mean, float invStd, float gamma,
                                 float beta) {
        int i = from, to = from + n;
        for (int end = to - L; i <= end; i += L) {
            FloatVector.fromArray(S, x, i).sub(mean).mul(invStd).fma(gamma, beta).intoArray(y, i);
        }
        for (; i < to; i++) {
            float v = (x[i] - mean) * invStd;
            y[i] = gamma * v + beta;
        }
    }

    /** y = max(0, gamma·((x − mean)·invStd) + beta): {@link #normalize} then {@link #relu}. */
    public static void normalizeRelu(float[] x, float[] y, int from, int n, float mean, float invStd, float gamma,
                                     float beta) {
        int i = from, to = from + n;
        for (int end = to - L; i <= end; i += L) {
            FloatVector.fromArray(S, x, i).sub(mean).mul(invStd).fma(gamma, beta).max(0f).intoArray(y, i);
        }
        for (; i < to; i++) {
            float v = gamma * ((x[i] - mean) * invStd) + beta;
            y[i] = v > 0f ? v : 0f;
        }
    }

    /** y = max(0, x·scale + shift): {@link #affine} then {@link #relu}. */
    public static void affineRelu(float[] x, float[] y, int from, int n, float scale, float shift) {
        int i = from, to = from + n;
        for (int end = to - L; i <= end; i += L) {
            FloatVector.fromArray(S, x, i).fma(scale, shift).max(0f).intoArray(y, i);
        }
        for (; i < to; i++) {
            float v = x[i] * scale + shift;
            y[i] = v > 0f ? v : 0f;
        }
    }

    /**
     * dx = dy where x·scale + shift &gt; 0, else 0: ReLU's backward with its input recomputed as
     * {@link #affine} (or {@link #affineRelu}) computed it.
     */
    public static void reluBackwardAffine(float[] x, float[] dy, float[] dx, int from, int n, float scale, float shift) {
        int i = from, to = from + n;
        FloatVector zero = FloatVector.zero(S);
        for (int end = to - L; i <= end; i += L) {
            VectorMask<Float> pos = FloatVector.fromArray(S, x, i).fma(scale, shift).compare(VectorOperators.GT, 0f);
            zero.blend(FloatVector.fromArray(S, dy, i), pos).intoArray(dx, i);
        }
        for (; i < to; i++) {
            dx[i] = x[i] * scale + shift > 0f ? dy[i] : 0f;
        }
    }

    /**
     * out[at] = Σ dy and out[at + 1] = Σ dy·x̂ with x̂ = (x − mean)·invStd recomputed, over
     * [from, from + n): {@link #sum} and {@link #dot} of dy and the stored x̂ in one loop.
     */
    public static void batchNormSums(float[] dy, float[] x, int from, int n, float mean, float invStd, float[] out,
                                     int at) {
        int i = 0;
        FloatVector s = FloatVector.zero(S), d = FloatVector.zero(S);
        for (int end = n - L; i <= end; i += L) {
            FloatVector g = FloatVector.fromArray(S, dy, from + i);
            s = s.add(g);
            d = g.fma(FloatVector.fromArray(S, x, from + i).sub(mean).mul(invStd), d);
        }
        float ss = s.reduceLanes(VectorOperators.ADD), dd = d.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float g = dy[from + i];
            ss += g;
            dd += g * ((x[from + i] - mean) * invStd);
        }
        out[at] = ss;
        out[at + 1] = dd;
    }

    /** {@link #batchNormSums} of dy masked by ReLU, whose input gamma·x̂ + beta is recomputed as {@link #normalize} did. */
    public static void batchNormSumsRelu(float[] dy, float[] x, int from, int n, float mean, float invStd, float gamma,
                                         float beta, float[] out, int at) {
        int i = 0;
        FloatVector s = FloatVector.zero(S), d = FloatVector.zero(S), zero = FloatVector.zero(S);
        for (int end = n - L; i <= end; i += L) {
            FloatVector h = FloatVector.fromArray(S, x, from + i).sub(mean).mul(invStd);
            VectorMask<Float> pos = h.fma(gamma, beta).compare(VectorOperators.GT, 0f);
            FloatVector g = zero.blend(FloatVector.fromArray(S, dy, from + i), pos);
            s = s.add(g);
            d = g.fma(h, d);
        }
        float ss = s.reduceLanes(VectorOperators.ADD), dd = d.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float h = (x[from + i] - mean) * invStd;
            float g = gamma * h + beta > 0f ? dy[from + i] : 0f;
            ss += g;
            dd += g * h;
        }
        out[at] = ss;
        out[at + 1] = dd;
    }

    /** {@link #batchNormSums} of dy masked where mask &gt; 0 (the output of a ReLU that follows). */
    public static void batchNormSumsMasked(float[] dy, float[] mask, float[] x, int from, int n, float mean,
                                           float invStd, float[] out, int at) {
        int i = 0;
        FloatVector s = FloatVector.zero(S), d = FloatVector.zero(S), zero = FloatVector.zero(S);
        for (int end = n - L; i <= end; i += L) {
            VectorMask<Float> pos = FloatVector.fromArray(S, mask, from + i).compare(VectorOperators.GT, 0f);
            FloatVector g = zero.blend(FloatVector.fromArray(S, dy, from + i), pos);
            s = s.add(g);
            d = g.fma(FloatVector.fromArray(S, x, from + i).sub(mean).mul(invStd), d);
        }
        float ss = s.reduceLanes(VectorOperators.ADD), dd = d.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float g = mask[from + i] > 0f ? dy[from + i] : 0f;
            ss += g;
            dd += g * ((x[from + i] - mean) * invStd);
        }
        out[at] = ss;
        out[at + 1] = dd;
    }

    /** {@link #batchNormBackward} with x̂ = (x − mean)·invStd recomputed. */
    public static void batchNormBackward(float[] dy, float[] x, float[] dx, int from, int n, float mean, float invStd,
                                         float k, float count, float sumDy, float sumDyH) {
        int i = from, to = from + n;
        for (int end = to - L; i <= end; i += L) {
            FloatVector g = FloatVector.fromArray(S, dy, i).mul(count).sub(sumDy);
            FloatVector h = FloatVector.fromArray(S, x, i).sub(mean).mul(invStd);
            h.mul(-sumDyH).add(g).mul(k).intoArray(dx, i);
        }
        for (; i < to; i++) {
            float h = (x[i] - mean) * invStd;
            dx[i] = k * (count * dy[i] - sumDy - h * sumDyH);
        }
    }

    /** {@link #batchNormBackward} of dy masked by ReLU, its input recomputed as in {@link #batchNormSumsRelu}. */
    public static void batchNormBackwardRelu(float[] dy, float[] x, float[] dx, int from, int n, float mean,
                                             float invStd, float gamma, float beta, float k, float count, float sumDy,
                                             float sumDyH) {
        int i = from, to = from + n;
        FloatVector zero = FloatVector.zero(S);
        for (int end = to - L; i <= end; i += L) {
            FloatVector h = FloatVector.fromArray(S, x, i).sub(mean).mul(invStd);
            VectorMask<Float> pos = h.fma(gamma, beta).compare(VectorOperators.GT, 0f);
            FloatVector g = zero.blend(FloatVector.fromArray(S, dy, i), pos).mul(count).sub(sumDy);
            h.mul(-sumDyH).add(g).mul(k).intoArray(dx, i);
        }
        for (; i < to; i++) {
            float h = (x[i] - mean) * invStd;
            float g = gamma * h + beta > 0f ? dy[i] : 0f;
            dx[i] = k * (count * g - sumDy - h * sumDyH);
        }
    }

    /** {@link #batchNormBackward} of dy masked where mask &gt; 0. */
    public static void batchNormBackwardMasked(float[] dy, float[] mask, float[] x, float[] dx, int from, int n,
                                               float mean, float invStd, float k, float count, float sumDy,
                                               float sumDyH) {
        int i = from, to = from + n;
        FloatVector zero = FloatVector.zero(S);
        for (int end = to - L; i <= end; i += L) {
            VectorMask<Float> pos = FloatVector.fromArray(S, mask, i).compare(VectorOperators.GT, 0f);
            FloatVector g = zero.blend(FloatVector.fromArray(S, dy, i), pos).mul(count).sub(sumDy);
            FloatVector h = FloatVector.fromArray(S, x, i).sub(mean).mul(invStd);
            h.mul(-sumDyH).add(g).mul(k).intoArray(dx, i);
        }
        for (; i < to; i++) {
            float h = (x[i] - mean) * invStd;
            float g = mask[i] > 0f ? dy[i] : 0f;
            dx[i] = k * (count * g - sumDy - h * sumDyH);
        }
    }

    /** out = max(0, a + b) over [from, to): the residual add, then {@link #relu}. */
    public static void addRelu(float[] a, float[] b, float[] out, int from, int to) {
        int i = from;
        for (int end = to - L; i <= end; i += L) {
            FloatVector.fromArray(S, a, i).add(FloatVector.fromArray(S, b, i)).max(0f).intoArray(out, i);
        }
        for (; i < to; i++) {
            float v = a[i] + b[i];
            out[i] = v > 0f ? v : 0f;
        }
    }

    /** out = a + (b where mask &gt; 0, else 0) over [from, to): {@link #reluBackward} into the residual's gradient sum. */
    public static void addMasked(float[] a, float[] b, float[] mask, float[] out, int from, int to) {
        int i = from;
        FloatVector zero = FloatVector.zero(S);
        for (int end = to - L; i <= end; i += L) {
            VectorMask<Float> pos = FloatVector.fromArray(S, mask, i).compare(VectorOperators.GT, 0f);
            FloatVector.fromArray(S, a, i).add(zero.blend(FloatVector.fromArray(S, b, i), pos)).intoArray(out, i);
        }
        for (; i < to; i++) {
            out[i] = a[i] + (mask[i] > 0f ? b[i] : 0f);
        }
    }

    /**
     * One SGD update of n elements, PyTorch's rule in float32 with separate multiplies and adds (no
     * fused ones), so each lane rounds exactly as the scalar rule: d = g + wd·w (when wd ≠ 0); with
     * momentum (v not null) v = d on the first step, else momentum·v + keep·d, and d = d + momentum·v
     * with Nesterov, else v; w = w − rate·d. Its own loop because C2 does not vectorise the scalar
     * one when w, g and v are indexed from different offsets.
     */
    public static void sgd(float[] w, int wo, float[] g, int go, float[] v, int vo, int n, float rate, float wd,
                           float momentum, float keep, boolean first, boolean nesterov) {
        int i = v == null ? sgdPlain(w, wo, g, go, n, rate, wd) : sgdMomentum(w, wo, g, go, v, vo, n, rate, wd,
                momentum, keep, first, nesterov);
        for (; i < n; i++) {
            float d = wd != 0f ? g[go + i] + wd * w[wo + i] : g[go + i];
            if (v != null) {
                v[vo + i] = first ? d : momentum * v[vo + i] + keep * d;
                d = nesterov ? d + momentum * v[vo + i] : v[vo + i];
            }
            w[wo + i] = w[wo + i] - rate * d;
        }
    }

    /**
     * Calls each update kernel often enough for C2 to compile it: 6,000 calls on a small array,
     * past the 5,000 invocations after which the tiered policy compiles a method with C2. Without
     * this, the update is called once per training step over the whole parameter vector, far too
     * rarely: in a fresh JVM it stayed interpreted for the first tens of seconds, where every vector
     * operation is a heap object (inception: 1.7–6.8 MB per step, a third of its speed, in three of
     * four JVMs; `-XX:+PrintCompilation` listed no compilation of it at all). Costs some 50 ms once
     * per JVM; the values computed are thrown away.
     */
    public static void warmUpdates() {
        float[] w = new float[2 * L], g = new float[2 * L], v = new float[2 * L];
        for (int call = 0; call < 6_000; call++) {
            sgdPlain(w, 0, g, 0, 2 * L, 0.1f, 0.01f);
            sgdMomentum(w, 0, g, 0, v, 0, 2 * L, 0.1f, 0.01f, 0.9f, 1f, call == 0, (call & 1) == 0);
        }
    }

    // The vector loops choose by selects, never by branches that merge vectors: a vector that two
    // paths define is a phi C2 may keep boxed when it inlines late, and the update then allocated
    // megabytes per step in some fresh JVMs (an inception step, 1.7 MB, JFR: VectorOps.sgd).

    /** Plain SGD's vector part; returns the index where the scalar tail starts. */
    private static int sgdPlain(float[] w, int wo, float[] g, int go, int n, float rate, float wd) {
        VectorMask<Float> decay = S.maskAll(wd != 0f);
        int i = 0;
        for (int end = n - L; i <= end; i += L) {
            FloatVector wv = FloatVector.fromArray(S, w, wo + i);
            FloatVector d = FloatVector.fromArray(S, g, go + i);
            d = d.blend(d.add(wv.mul(wd)), decay);
            wv.sub(d.mul(rate)).intoArray(w, wo + i);
        }
        return i;
    }

    /** SGD with momentum's vector part; returns the index where the scalar tail starts. */
    private static int sgdMomentum(float[] w, int wo, float[] g, int go, float[] v, int vo, int n, float rate,
                                   float wd, float momentum, float keep, boolean first, boolean nesterov) {
        VectorMask<Float> decay = S.maskAll(wd != 0f), start = S.maskAll(first), ahead = S.maskAll(nesterov);
        int i = 0;
        for (int end = n - L; i <= end; i += L) {
            FloatVector wv = FloatVector.fromArray(S, w, wo + i);
            FloatVector d = FloatVector.fromArray(S, g, go + i);
            d = d.blend(d.add(wv.mul(wd)), decay);
            FloatVector vv = FloatVector.fromArray(S, v, vo + i).mul(momentum).add(d.mul(keep)).blend(d, start);
            vv.intoArray(v, vo + i);
            d = vv.blend(d.add(vv.mul(momentum)), ahead);
            wv.sub(d.mul(rate)).intoArray(w, wo + i);
        }
        return i;
    }
}
