package org.sparkcnn.layer;

import java.util.function.Supplier;
import org.sparkcnn.tensor.Shapes;

/**
 * A cap on the parameter and buffer values the layers built on this thread may declare, checked
 * before each {@link Param} or {@link Buffer} allocates. A model file knows how many values it
 * holds (its header, checked against its length); building the network its description
 * declares under that cap means a description that claims a huge network is refused before
 * anything of that size is allocated, not after. Outside {@link #within} there is no cap.
 */
public final class ValueBudget {
    private static final ThreadLocal<long[]> LEFT = new ThreadLocal<>();

    private ValueBudget() {
    }

    /** Runs {@code build} with at most {@code values} parameter and buffer values declared. */
    public static <T> T within(long values, Supplier<T> build) {
        long[] before = LEFT.get();
        LEFT.set(new long[] {values});
        try {
            return build.get();
        } finally {
            if (before == null) {
                LEFT.remove();
            } else {
                LEFT.set(before);
            }
        }
    }

    /** Takes a tensor of {@code shape} from the budget; over it, an IllegalArgumentException naming the tensor. */
    static void take(String name, int[] shape) {
        long[] left = LEFT.get();
        if (left == null) {
            return;
        }
        long n = 1;
        for (int d : shape) {
            n *= Math.max(d, 0);
            if (n > left[0]) {
                throw new IllegalArgumentException("tensor '" + name + "' of shape " + Shapes.str(shape)
                        + " takes more values than the " + left[0] + " left of what the file holds");
            }
        }
        left[0] -= n;
    }
}
