package org.sparkcnn.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

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
