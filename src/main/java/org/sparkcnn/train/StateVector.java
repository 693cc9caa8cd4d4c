package org.sparkcnn.train;

import java.util.Arrays;
import java.util.List;
import org.sparkcnn.layer.Param;
import org.sparkcnn.model.Network;
import org.sparkcnn.optim.Optimizer;

/**
 * A network's training state as one flat vector: its parameters, then its buffers (batch-norm
 * running statistics), then, when carried, the optimiser's state, each part a copy of the array
 * that holds it ({@link Network#parameterArray()}, {@link Network#bufferArray()},
 * {@link Optimizer#stateArray()}). This is what the Spark trainer broadcasts and averages, so
 * every part is averaged the same way.
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
        this.bufferValues = net.bufferArray().length;
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
        System.arraycopy(net.parameterArray(), 0, dst, 0, parameters);
        System.arraycopy(net.bufferArray(), 0, dst, parameters, bufferValues);
        if (slots > 0) {
            float[] state = optimizer.stateArray();
            if (state == null) {
                Arrays.fill(dst, optimizerOffset(), dst.length, 0f);
            } else {
                System.arraycopy(state, 0, dst, optimizerOffset(), slots * parameters);
            }
        }
    }

    /** Sets the network (and the optimiser, as having taken {@code steps} steps) from {@code src}. */
    public void scatter(float[] src, long steps) {
        checkLength(src);
        System.arraycopy(src, 0, net.parameterArray(), 0, parameters);
        System.arraycopy(src, parameters, net.bufferArray(), 0, bufferValues);
        if (optimizer != null) {
            optimizer.restore(params, src, optimizerOffset(), steps);
        }
    }

    private void checkLength(float[] v) {
        if (v.length != length()) {
            throw new IllegalArgumentException("model '" + net.name() + "': state vector of " + v.length
                    + " values, expected " + length() + " (" + parameters + " parameters, " + bufferValues
                    + " buffer values, " + slots + " optimiser arrays per parameter)");
        }
    }
}
