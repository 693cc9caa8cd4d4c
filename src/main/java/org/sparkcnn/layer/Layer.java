package org.sparkcnn.layer;

import java.util.List;
import java.util.random.RandomGenerator;
import org.sparkcnn.kernel.Parallel;
import org.sparkcnn.tensor.Tensor;

/**
 * One differentiable operation. {@link #forward} keeps what {@link #backward} needs; the tensors
 * both return are buffers owned by the layer and stay valid until its next call of the same kind.
 * Both check their input first and throw a {@link org.sparkcnn.tensor.ShapeException} naming the
 * layer before any state changes.
 */
public interface Layer {
    /** Local name, e.g. {@code conv1}; empty for a transparent container. */
    String name();

    /** Shape of the output for an input shape (batch first); throws when the input cannot work. */
    int[] outputShape(int[] inputShape);

    Tensor forward(Tensor x, boolean training);

    /** Takes dL/dy, accumulates nothing: parameter gradients are overwritten, dL/dx returned. */
    Tensor backward(Tensor dy);

    /** Trainable parameters owned directly by this layer (not its children). */
    default List<Param> params() {
        return List.of();
    }

    /** Non-trainable state owned directly by this layer, such as batch-norm running statistics. */
    default List<Buffer> buffers() {
        return List.of();
    }

    /** Sub-layers of a container, in the order their parameters are numbered. */
    default List<Layer> children() {
        return List.of();
    }

    /** Draws initial parameter values; called in model order with one generator. */
    default void init(RandomGenerator rng) {
    }

    /**
     * Whether {@link #backward} must compute dL/dx. The model turns it off for its first layer,
     * whose input is data; a layer may then return null from backward.
     */
    default void setInputGradient(boolean needed) {
    }

    /** The intra-op pool; containers pass it on to their children. */
    default void setParallel(Parallel parallel) {
    }

    /** Qualified name used in error messages; set by the enclosing model. */
    default void setPath(String path) {
    }
}
