package org.sparkcnn.model;

/**
 * A network description that cannot be built: names the file, the line, the JSON path and, once
 * building has begun, the layer path and the shapes involved. An IllegalArgumentException, so the
 * jobs report it as a configuration error (exit 2).
 */
public final class DescriptionException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public DescriptionException(String message) {
        super(message);
    }

    /** "{@code file:line}: {@code path}: message". */
    static DescriptionException at(Description.Node node, String message) {
        return new DescriptionException(node.where() + ": " + message);
    }
}
