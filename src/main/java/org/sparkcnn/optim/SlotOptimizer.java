package org.sparkcnn.optim;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.sparkcnn.layer.Param;
import org.sparkcnn.tensor.Tensor;

/**
 * What SGD and Adam share: their state is one array of {@link #slotsPerParameter()} slots over
 * all parameters as one vector (slot s of element i at s·n + i), and a step is one element-wise
 * update per run of parameters that lie side by side in their value and gradient arrays. A
 * network's parameters are all one run (its flat vectors), so a step is one loop over all of
 * them; separate parameters are a run each. The update is element-wise, so runs change no bit.
 */
abstract class SlotOptimizer implements Optimizer {
    private final String kind;
    /** slots·n values; null before the first step (and after a reset). */
    float[] state;
    /** Total size n of the parameters the state belongs to; their sizes, to list it per parameter. */
    int n;
    private int[] sizes;
    private long steps;

    SlotOptimizer(String kind) {
        this.kind = kind;
    }

    /** Sets the per-step constants of step number {@code done} + 1 (0 steps done before the first). */
    abstract void prepare(double lr, long done);

    /** Updates {@code count} elements: values w[wo…], gradients g[go…], state slots from index so. */
    abstract void update(float[] w, int wo, float[] g, int go, int so, int count);

    @Override
    public final void step(List<Param> params, double lr) {
        if (state == null) {
            layout(params);
            state = new float[slotsPerParameter() * n];
        }
        prepare(lr, steps);
        int so = 0;
        for (int k = 0; k < params.size(); ) {
            Tensor w = params.get(k).value, g = params.get(k).grad;
            int count = checkedSize(params, k++);
            // extend the run over the parameters that continue it in both arrays
            while (k < params.size() && params.get(k).value.data == w.data && params.get(k).grad.data == g.data
                    && params.get(k).value.offset == w.offset + count && params.get(k).grad.offset == g.offset + count) {
                count += checkedSize(params, k++);
            }
            update(w.data, w.offset, g.data, g.offset, so, count);
            so += count;
        }
        steps++;
    }

    private int checkedSize(List<Param> params, int k) {
        int size = params.get(k).value.size();
        if (params.size() != sizes.length || size != sizes[k]) {
            throw new IllegalArgumentException(kind + ": stepped with other parameters than its state belongs to ("
                    + params.size() + " parameters, parameter " + k + " of size " + size + ")");
        }
        return size;
    }

    private void layout(List<Param> params) {
        sizes = new int[params.size()];
        n = 0;
        for (int k = 0; k < sizes.length; k++) {
            sizes[k] = params.get(k).value.size();
            n += sizes[k];
        }
    }

    @Override
    public final long steps() {
        return steps;
    }

    @Override
    public final float[] stateArray() {
        return state;
    }

    /** Per parameter, its slots side by side (SGD: v; Adam: m, v): copies of the state. */
    @Override
    public final List<float[]> state() {
        List<float[]> out = new ArrayList<>();
        if (state == null) {
            return out;
        }
        for (int k = 0, o = 0; k < sizes.length; o += sizes[k++]) {
            for (int s = 0; s < slotsPerParameter(); s++) {
                out.add(Arrays.copyOfRange(state, s * n + o, s * n + o + sizes[k]));
            }
        }
        return out;
    }

    @Override
    public final void restore(List<Param> params, List<float[]> saved, long steps) {
        reset();
        int slots = slotsPerParameter();
        StateCheck.arrays(kind, params, saved, hasState(steps) ? params.size() : 0, slots);
        layout(params);
        if (hasState(steps)) {
            state = new float[slots * n];
            for (int k = 0, o = 0; k < sizes.length; o += sizes[k++]) {
                for (int s = 0; s < slots; s++) {
                    System.arraycopy(saved.get(k * slots + s), 0, state, s * n + o, sizes[k]);
                }
            }
        }
        this.steps = steps;
    }

    @Override
    public final void restore(List<Param> params, float[] src, int from, long steps) {
        reset();
        layout(params);
        int length = slotsPerParameter() * n;
        if (hasState(steps)) {
            if (from < 0 || from > src.length - length) {
                throw new IllegalArgumentException(kind + " state: expected " + length + " values from index " + from
                        + ", the array holds " + src.length);
            }
            state = Arrays.copyOfRange(src, from, from + length);
        }
        this.steps = steps;
    }

    /** Whether an optimiser that has taken {@code steps} steps has state arrays. */
    private boolean hasState(long steps) {
        return steps > 0 && slotsPerParameter() > 0;
    }

    @Override
    public final void reset() {
        state = null;
        sizes = null;
        n = 0;
        steps = 0;
    }
}
