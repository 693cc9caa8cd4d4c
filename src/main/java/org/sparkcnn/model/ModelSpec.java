package org.sparkcnn.model;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Objects;

/**
 * Everything that fixes a network's architecture: its description (the text itself, so that it
 * travels to Spark executors and into model files without the file it came from) and the input
 * shape and class count it is built for. Equal specs build equal networks.
 */
public final class ModelSpec implements Serializable {
    private static final long serialVersionUID = 1L;
    /** The {@code model} key as given: a library name or a file path. */
    public final String model;
    /** Where the text came from, for error messages. */
    public final String source;
    public final String text;
    private final int[] input;
    public final int classes;

    public ModelSpec(String model, String source, String text, int[] input, int classes) {
        this.model = model;
        this.source = source;
        this.text = text;
        this.input = input.clone();
        this.classes = classes;
    }

    /** The spec of a library network or description file, for {@code input} ({C, H, W}) and {@code classes}. */
    public static ModelSpec of(String model, int[] input, int classes) {
        Description d = ModelLibrary.describe(model);
        ModelSpec spec = new ModelSpec(model, d.source(), d.text(), input, classes);
        NetworkBuilder.build(d, input, classes); // fails here, on the driver, rather than in every task
        return spec;
    }

    /** The network, its parameters drawn from {@code seed}. */
    public Network build(long seed) {
        return NetworkBuilder.build(Description.parse(text, source), input, classes).init(seed);
    }

    public int[] input() {
        return input.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelSpec s && s.classes == classes && Arrays.equals(s.input, input) && s.text.equals(text);
    }

    @Override
    public int hashCode() {
        return Objects.hash(text, Arrays.hashCode(input), classes);
    }

    @Override
    public String toString() {
        return model + " for " + NetworkBuilder.chw(input) + ", " + classes + " classes";
    }
}
