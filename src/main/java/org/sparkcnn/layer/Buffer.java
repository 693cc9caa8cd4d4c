package org.sparkcnn.layer;

import org.sparkcnn.tensor.Tensor;

/** Non-trainable layer state that belongs in a saved model (e.g. batch-norm running statistics). */
public final class Buffer {
    public final String name;
    public final Tensor value;

    public Buffer(String name, int... shape) {
        this.name = name;
        this.value = new Tensor(shape);
    }
}
