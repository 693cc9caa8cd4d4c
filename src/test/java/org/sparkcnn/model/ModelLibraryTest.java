package org.sparkcnn.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.sparkcnn.layer.Buffer;
import org.sparkcnn.layer.Param;

/** The library's descriptions: the four reference models exactly as models.md has them, and every network for grey and colour images. */
class ModelLibraryTest {
    private static final int[] GREY = {1, 28, 28}, COLOUR = {3, 32, 32};

    /** Parameter counts of models.md for 1×28×28 and 10 classes. */
    @Test
    void theReferenceModelsKeepTheirParameterCounts() {
        Map<String, Integer> counts = Map.of("lenet5", 61_706, "convnet", 3_274_634, "resnet20", 272_186, "inception", 58_002);
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            assertEquals(e.getValue(), ModelLibrary.build(e.getKey(), GREY, 10, 1).numParameters(), e.getKey());
        }
    }

    /** Same parameter names, shapes and drawn values as the networks written in Java, for the same seed. */
    @Test
    void theReferenceDescriptionsBuildTheJavaNetworksExactly() {
        for (String name : ModelZoo.NAMES) {
            Network java = ModelZoo.javaNetwork(name).init(42), described = ModelLibrary.build(name, GREY, 10, 42);
            assertEquals(List.copyOf(java.params().keySet()), List.copyOf(described.params().keySet()), name);
            assertEquals(List.copyOf(java.buffers().keySet()), List.copyOf(described.buffers().keySet()), name);
            for (String p : java.params().keySet()) {
                Param a = java.params().get(p), b = described.params().get(p);
                assertArrayEquals(a.value.shape(), b.value.shape(), name + " " + p);
                assertArrayEquals(a.value.data, b.value.data, name + " " + p);
            }
            for (String p : java.buffers().keySet()) {
                Buffer a = java.buffers().get(p), b = described.buffers().get(p);
                assertArrayEquals(a.value.data, b.value.data, name + " " + p);
            }
            assertEquals(java.name(), described.name());
        }
    }

    @Test
    void everyLibraryNetworkBuildsForGreyAndColourImagesAndAnyClassCount() {
        for (String name : ModelLibrary.NAMES) {
            for (int[] shape : List.of(GREY, COLOUR)) {
                for (int classes : new int[] {10, 5}) {
                    Network net = ModelLibrary.build(name, shape, classes, 3);
                    assertEquals(classes, net.classes(), name);
                    assertArrayEquals(shape, net.inputShape(), name);
                }
            }
        }
    }
}
