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
}
