package org.sparkcnn.optim;

import java.util.List;
import org.sparkcnn.layer.Param;

/**
 * Updates parameters from their gradients. State (momentum, moments) is allocated on the first
 * step as one flat array of {@link #slotsPerParameter()} slots over the parameters taken as one
 * vector of n values, slot s of element i at s·n + i ({@link #stateArray()}); the state vector
 * copies it as it is, the model file names it per parameter ({@link #state()}).
 */
public interface Optimizer {
    /**
     * One update with learning rate {@code lr}, always of the same parameters in the same order.
     * A network's parameters (windows of its flat vectors) are updated in one loop.
     */
    void step(List<Param> params, double lr);

    /** Per-parameter state arrays (copies), in parameter order, each parameter's slots side by side (empty before the first step). */
    List<float[]> state();

    /** The state itself, slot-major over all parameters (not a copy); null before the first step. */
    float[] stateArray();

    /** State arrays per parameter once stepping has started (0 for plain SGD, 1 with momentum, 2 for Adam). */
    int slotsPerParameter();

    /** Forgets all state, as a fresh optimiser. */
    void reset();

    /** Steps taken since the last reset (Adam's bias correction and SGD's first step depend on it). */
    long steps();

    /**
     * Continues from saved or averaged state: {@code state} as {@link #state()} would give it for
     * {@code params} (copied, not kept), {@code steps} as {@link #steps()}. With steps 0 the state
     * must be empty and the optimiser is as new.
     */
    void restore(List<Param> params, List<float[]> state, long steps);

    /**
     * As {@link #restore(List, List, long)} from a flat state laid out as {@link #stateArray()}:
     * slotsPerParameter()·n values at {@code src[from…]} (copied); with steps 0 they are not read.
     */
    void restore(List<Param> params, float[] src, int from, long steps);
}
