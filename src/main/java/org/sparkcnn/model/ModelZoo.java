package org.sparkcnn.model;

import java.util.List;

/**
 * The four reference models of models.md, for 1×28×28 inputs and 10 classes: the library's
 * descriptions (conf/models) built for Fashion-MNIST. Until the descriptions existed these
 * networks were written here in Java; the descriptions build them bit for bit (same parameter
 * names, shapes and drawn values: checked against the Java versions when they replaced them,
 * and pinned since by the parameter counts and train/PinnedWeightsTest).
 */
public final class ModelZoo {
    public static final List<String> NAMES = List.of("lenet5", "convnet", "resnet20", "inception");
    /** Fashion-MNIST's images. */
    public static final int[] MNIST = {1, 28, 28};

    private ModelZoo() {
    }

    /** Builds and initialises a reference model (or any library network) for 1×28×28 and 10 classes. */
    public static Network build(String name, long seed) {
        return ModelLibrary.build(name, MNIST, 10, seed);
    }
}
