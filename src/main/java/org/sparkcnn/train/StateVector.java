package org.sparkcnn.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.sparkcnn.layer.Buffer;
import org.sparkcnn.layer.Param;
import org.sparkcnn.model.Network;
import org.sparkcnn.optim.Optimizer;

/**
 * A network's training state as one flat vector: its parameters, then its buffers (batch-norm
 * running statistics), then, when carried, the optimiser's arrays for every parameter. This is
 * what the Spark trainer broadcasts and averages, so every part is averaged the same way.
 */
public final class StateVector {
    private final Network net;
    private final Optimizer optimizer;
    private final List<Param> params;
    private final int parameters, bufferValues, slots;

    /** {@code optimizer} null: parameters and buffers only. */
    public StateVector(Network net, Optimizer optimizer) {
        this.net = net;
        this.optimizer = optimizer;
        this.params = net.paramList();
        this.parameters = net.numParameters();
        int b = 0;
        for (Buffer buf : net.buffers().values()) {
            b += buf.value.size();
        }
        this.bufferValues = b;
        this.slots = optimizer == null ? 0 : optimizer.slotsPerParameter();
    }

    public int length() {
        return parameters + bufferValues + slots * parameters;
    }

    /** Where the optimiser's arrays start (parameters and buffers come before). */
    public int optimizerOffset() {
        return parameters + bufferValues;
    }

    /** Copies the current state into {@code dst}; an optimiser that has not stepped yet contributes zeros. */
    public void gather(float[] dst) {
        checkLength(dst);
        int o = 0;
        for (Param p : params) {
            System.arraycopy(p.value.data, 0, dst, o, p.value.size());
            o += p.value.size();
        }
        for (Buffer b : net.buffers().values()) {
            System.arraycopy(b.value.data, 0, dst, o, b.value.size());
            o += b.value.size();
        }
        if (slots > 0) {
            List<float[]> state = optimizer.state();
            if (state.isEmpty()) {
                Arrays.fill(dst, o, dst.length, 0f);
            } else {
                for (float[] a : state) {
                    System.arraycopy(a, 0, dst, o, a.length);
                    o += a.length;
                }
            }
        }
    }

    /** Sets the network (and the optimiser, as having taken {@code steps} steps) from {@code src}. */
    public void scatter(float[] src, long steps) {
        checkLength(src);
        int o = 0;
        for (Param p : params) {
            System.arraycopy(src, o, p.value.data, 0, p.value.size());
            o += p.value.size();
        }
        for (Buffer b : net.buffers().values()) {
            System.arraycopy(src, o, b.value.data, 0, b.value.size());
            o += b.value.size();
        }
        if (optimizer == null) {
            return;
        }
        List<float[]> state = new ArrayList<>();
        if (steps > 0) {
            // state() order: per parameter, its slots side by side (SGD: v; Adam: m, v)
            for (Param p : params) {
                for (int s = 0; s < slots; s++) {
                    state.add(Arrays.copyOfRange(src, o, o + p.value.size()));
                    o += p.value.size();
                }
            }
        }
        optimizer.restore(params, state, steps);
    }

    private void checkLength(float[] v) {
        if (v.length != length()) {
            throw new IllegalArgumentException("model '" + net.name() + "': state vector of " + v.length
                    + " values, expected " + length() + " (" + parameters + " parameters, " + bufferValues
                    + " buffer values, " + slots + " optimiser arrays per parameter)");
        }
    }
}
