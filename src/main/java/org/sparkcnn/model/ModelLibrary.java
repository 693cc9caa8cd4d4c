package org.sparkcnn.model;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * Networks by name or file: the library is conf/models/*.json (on the classpath as
 * org/sparkcnn/models/), and any other value of the {@code model} key is a path to a description
 * file (docs/models.md). Every library network builds for any input size it can work on and any
 * class count: the first layer takes the data's channels, the classifier one output per class.
 */
public final class ModelLibrary {
    /** The four reference models of models.md, then networks for colour images. */
    public static final List<String> NAMES = List.of("lenet5", "convnet", "resnet20", "inception", "resnet32",
            "resnet56", "vgg", "googlenet");
    private static final String RESOURCES = "/org/sparkcnn/models/";

    private ModelLibrary() {
    }

    /** The description of a library network, or of the file {@code model} names. */
    public static Description describe(String model) {
        if (NAMES.contains(model)) {
            try (InputStream in = ModelLibrary.class.getResourceAsStream(RESOURCES + model + ".json")) {
                if (in == null) {
                    throw new IllegalStateException("the model library is not on the classpath (" + RESOURCES + model
                            + ".json): rebuild with mvn compile");
                }
                return Description.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "conf/models/" + model
                        + ".json");
            } catch (IOException e) {
                throw new IllegalStateException("cannot read the library's " + model + ": " + e.getMessage(), e);
            }
        }
        Path file = Path.of(model);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("model '" + model + "' is neither a library network (" + String.join(", ", NAMES)
                    + ") nor a description file" + (model.endsWith(".json") ? " (no such file)" : ""));
        }
        try {
            return Description.parse(Files.readString(file, StandardCharsets.UTF_8), model);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("model '" + model + "': no such file", e);
        } catch (IOException e) {
            throw new IllegalArgumentException("model '" + model + "' cannot be read: " + e.getMessage(), e);
        }
    }

    /** The network for {@code input} ({C, H, W}) and {@code classes}, its parameters drawn from {@code seed}. */
    public static Network build(String model, int[] input, int classes, long seed) {
        return NetworkBuilder.build(describe(model), input, classes).init(seed);
    }
}
