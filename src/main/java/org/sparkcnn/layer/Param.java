package org.sparkcnn.layer;

import org.sparkcnn.tensor.Tensor;

/** A trainable tensor and its gradient, owned by one layer. */
public final class Param {
    public final String name;
    public final Tensor value;
    public final Tensor grad;

    public Param(String name, int... shape) {
        this.name = name;
        this.value = new Tensor(shape);
        this.grad = new Tensor(shape);
    }
}
