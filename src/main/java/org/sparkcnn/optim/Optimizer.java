package org.sparkcnn.optim;

import java.util.List;
import org.sparkcnn.layer.Param;

/**
 * Updates parameters from their gradients. State (momentum, moments) is kept per parameter in
 * the order of the list, allocated on the first step; {@link #state()} exposes it as flat
 * arrays so trainers can save or average it.
 */
public interface Optimizer {
    /** One update with learning rate {@code lr}. */
    void step(List<Param> params, double lr);

    /** Per-parameter state arrays, in parameter order (empty before the first step). */
    List<float[]> state();

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
}
