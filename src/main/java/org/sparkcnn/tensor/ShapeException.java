package org.sparkcnn.tensor;

/** A tensor of the wrong shape, or a layer attribute that cannot work; the message says which layer. */
public class ShapeException extends IllegalArgumentException {
    public ShapeException(String message) {
        super(message);
    }
}
