package org.sparkcnn.layer;

import org.sparkcnn.tensor.Tensor;

/**
 * Non-trainable layer state that belongs in a saved model (e.g. batch-norm running statistics).
 * Like a {@link Param}, it lives in the network's flat buffer vector once bound.
 */
public final class Buffer {
    public final String name;
    /** The values: a window of the network's buffer vector once bound. Reassigned only by {@link #bind}. */
    public Tensor value;

    public Buffer(String name, int... shape) {
        this.name = name;
        ValueBudget.take(name, shape);
        this.value = new Tensor(shape);
    }

    /** Moves the values to {@code values} at {@code offset} (copying them) and views them there. */
    public void bind(float[] values, int offset) {
        Tensor v = Tensor.slice(values, offset, value.shape());
        v.copyFrom(value);
        value = v;
    }
}
