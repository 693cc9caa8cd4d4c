package org.sparkcnn.layer;

import org.sparkcnn.tensor.Tensor;

/**
 * A trainable tensor and its gradient, owned by one layer. Until its layer joins a network it
 * holds arrays of its own; the network then {@link #bind}s it into its flat vectors, and from
 * then on {@link #value} and {@link #grad} are windows of them ({@link Tensor#offset}): layers
 * and kernels read and write them at that offset, the optimisers and the state vector see all
 * parameters as one array.
 */
public final class Param {
    public final String name;
    /** The values: a window of the network's parameter vector once bound. Reassigned only by {@link #bind}. */
    public Tensor value;
    /** The gradient, at the same offset of the network's gradient vector. */
    public Tensor grad;

    public Param(String name, int... shape) {
        this.name = name;
        ValueBudget.take(name, shape);
        this.value = new Tensor(shape);
        this.grad = new Tensor(shape);
    }

    /**
     * Moves the values and gradient to {@code values} and {@code grads} at {@code offset}
     * (copying what they hold now, e.g. a constructor's initial values) and views them there.
     * A layer belongs to one network: binding it into a second leaves the first one's arrays
     * without it.
     */
    public void bind(float[] values, float[] grads, int offset) {
        int[] shape = value.shape();
        Tensor v = Tensor.slice(values, offset, shape), g = Tensor.slice(grads, offset, shape);
        v.copyFrom(value);
        g.copyFrom(grad);
        value = v;
        grad = g;
    }
}
