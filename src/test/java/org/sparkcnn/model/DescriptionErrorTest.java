package org.sparkcnn.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Every mistake in a description is one error naming the file, the line, the JSON path, the layer and the shapes. */
class DescriptionErrorTest {
    private static final int[] GREY = {1, 28, 28};

    /** Builds {@code json} (a file "net.json") for 1×28×28 and 10 classes; returns the error's message. */
    private static String error(String json) {
        DescriptionException e = assertThrows(DescriptionException.class,
                () -> NetworkBuilder.build(Description.parse(json, "net.json"), GREY, 10));
        return e.getMessage();
    }

    private static void says(String message, String... fragments) {
        for (String f : fragments) {
            assertTrue(message.contains(f), "'" + f + "' missing from: " + message);
        }
    }

    @Test
    void notJsonADuplicateKeyAndNoLayers() {
        says(error("{\n  \"layers\": [\n    \"relu\",,\n  ]\n}"), "net.json:3: not valid JSON");
        says(error("{\"layers\": [],\n \"layers\": []}"), "net.json:2: not valid JSON", "Duplicate field 'layers'");
        says(error("{\"name\": \"x\"}"), "net.json:1: (top): missing field \"layers\"");
        says(error("[1, 2]"), "net.json:1: (top): expected a JSON object");
    }

    @Test
    void anUnknownTypeOrFieldAMissingFieldAndAWrongType() {
        says(error("{\"layers\": [\n \"relu\",\n {\"type\": \"convolution\", \"out\": 8}\n]}"),
                "net.json:3: layers[1].type: unknown layer type 'convolution': expected one of conv, maxpool");
        says(error("{\"layers\": [\n  {\"type\": \"conv\", \"out\": 8, \"kernal\": 3}\n]}"),
                "net.json:2: layers[0].kernal: unknown field \"kernal\" for conv (its fields: bias, dilation, in, kernel");
        says(error("{\"layers\": [\n  {\"type\": \"conv\", \"kernel\": 3}\n]}"),
                "net.json:2: layers[0]: missing field \"out\" for conv");
        says(error("{\"layers\": [\n  {\"type\": \"conv\", \"out\": \"eight\"}\n]}"),
                "net.json:2: layers[0].out: \"out\" of conv must be an integer ≥ 1, got \"eight\"");
        says(error("{\"layers\": [\n  {\"type\": \"conv\", \"out\": 8, \"padding\": \"half\"}\n]}"),
                "layers[0].padding", "must be \"valid\", \"same\", \"full\"");
        says(error("{\"layers\": [\n  {\"out\": 8}\n]}"), "net.json:2: layers[0]: missing field \"type\"");
        says(error("{\"layers\": [\n  {\"type\": \"dropout\", \"p\": 1.5}\n]}"), "layers[0].p", "a number in [0.0");
    }

    @Test
    void aKernelLargerThanItsPaddedInput() {
        says(error("{\"layers\": [\n {\"type\": \"maxpool\", \"kernel\": 4},\n {\"type\": \"conv\", \"out\": 8},\n"
                + " {\"type\": \"conv\", \"out\": 8, \"kernel\": 9}\n]}"),
                "net.json:4: layers[2]: on input [1, 8, 5, 5]: layer 'conv2' (Conv2d 8→8 9×9", "kernel 9×9 is larger than the padded input 5×5");
    }

    @Test
    void aLinearLayerWhoseInputsDoNotMatch() {
        says(error("{\"layers\": [\n {\"type\": \"conv\", \"out\": 4},\n {\"type\": \"linear\"}\n]}"),
                "net.json:3: layers[1]: layer 'fc1': a linear layer needs [N, features] input but gets [1, 4, 26, 26]",
                "add {\"type\": \"flatten\"}");
        says(error("{\"layers\": [\n \"flatten\",\n {\"type\": \"linear\", \"in\": 800}\n]}"),
                "net.json:3: layers[1].in: layer 'fc1' declares 800 inputs but the layer before gives 784");
        says(error("{\"layers\": [\n {\"type\": \"conv\", \"in\": 3, \"out\": 4}\n]}"),
                "layers[0].in: layer 'conv1' declares 3 input channels but the layer before gives 1");
    }

    @Test
    void aResidualWhoseBodyChangesTheShapeWithoutAProjection() {
        String body = "\"body\": [{\"type\": \"conv\", \"out\": 8, \"kernel\": 3, \"stride\": 2, \"padding\": 1}]";
        says(error("{\"layers\": [\n {\"type\": \"residual\", \"shortcut\": \"identity\", " + body + "},\n"
                + " \"flatten\", \"linear\"]}"), "net.json:2: layers[0]: layer 'res1': the residual body changes "
                + "[1, 1, 28, 28] to [1, 8, 14, 14], so it cannot be added to the identity");
        // auto: a 1×1 projection with stride 2 makes it fit
        Network net = NetworkBuilder.build(Description.parse("{\"layers\": [{\"type\": \"residual\", " + body + "},"
                + " \"flatten\", \"linear\"]}", "net.json"), GREY, 10);
        assertTrue(net.params().containsKey("res1.shortcut.conv.weight"), net.params().keySet().toString());
        assertEquals(10, net.classes());
    }

    @Test
    void blocksRepeatsAndFixedShapes() {
        says(error("{\"blocks\": {\"b\": {\"args\": {\"w\": null}, \"layers\": [{\"type\": \"conv\", \"out\": \"$w\"}]}},\n"
                + " \"layers\": [\n {\"type\": \"b\"}]}"), "net.json:3: layers[0]: block 'b' needs argument \"w\"");
        says(error("{\"input\": [3, 32, 32],\n \"layers\": [\"flatten\", \"linear\"]}"),
                "net.json:1: input: the description is for 3×32×32 images but the data is 1×28×28");
        says(error("{\"classes\": 5,\n \"layers\": [\"flatten\", \"linear\"]}"),
                "net.json:1: classes: the description has 5 classes but the data has 10");
        says(error("{\"layers\": [\"flatten\", {\"type\": \"linear\", \"out\": 7}]}"),
                "the network ends in 7 outputs but there are 10 classes");
        says(error("{\"layers\": [{\"type\": \"repeat\", \"times\": 2, \"layers\": [{\"type\": \"relu\", \"name\": \"r\"}]}]}"),
                "two layers here are named 'r'");
        Network net = NetworkBuilder.build(Description.parse("{\"blocks\": {\"cbr\": {\"args\": {\"w\": null},\n"
                + " \"layers\": [{\"type\": \"conv\", \"out\": \"$w\", \"padding\": \"same\"}, \"relu\"]}},\n"
                + " \"layers\": [{\"type\": \"repeat\", \"times\": 3, \"layers\": [{\"type\": \"cbr\", \"name\": \"s$i\", \"w\": 4}]},"
                + " \"flatten\", \"linear\"]}", "net.json"), GREY, 10);
        assertTrue(net.params().containsKey("s2.conv1.weight"), net.params().keySet().toString());
    }
}
