package org.sparkcnn.onnx;

/** A network, or a part of one, that has no ONNX form; the message names the layer path. */
public final class OnnxExportException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public OnnxExportException(String message) {
        super(message);
    }
}
