package org.sparkcnn.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.sparkcnn.block.Sequential;
import org.sparkcnn.data.Dataset;
import org.sparkcnn.data.IdxReader;
import org.sparkcnn.layer.AbstractLayer;
import org.sparkcnn.layer.Buffer;
import org.sparkcnn.layer.Flatten;
import org.sparkcnn.layer.Layer;
import org.sparkcnn.layer.Param;
import org.sparkcnn.model.ModelLibrary;
import org.sparkcnn.model.ModelSpec;
import org.sparkcnn.model.Network;
import org.sparkcnn.tensor.Tensor;

/**
 * Every export runs in ONNX Runtime and gives our logits and probabilities: all library networks
 * on grey 1×28×28 and colour 3×32×32 inputs, a description with every layer type the library does
 * not use (average pooling both ways, sigmoid, tanh, dilation, even kernels with "same" padding,
 * "full" padding, concat, a projection shortcut), and real Fashion-MNIST images.
 */
class OnnxExportTest {
    static final int[] GREY = {1, 28, 28}, COLOUR = {3, 32, 32};
    static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

    /** Every layer and block type the library networks leave out. */
    static final String MIXED = """
            {"name": "mixed", "layers": [
              {"type": "conv", "out": 6, "kernel": 4, "stride": 2, "padding": "same"},
              {"type": "batchnorm"}, "tanh",
              {"type": "avgpool", "kernel": 3, "stride": 1, "padding": 1, "countIncludePad": false},
              {"type": "conv", "out": 8, "kernel": [3, 2], "dilation": [2, 1], "padding": [1, 2, 0, 1]},
              "sigmoid",
              {"type": "avgpool", "kernel": 3, "stride": 2, "padding": 1},
              {"type": "concat", "branches": [
                [{"type": "conv", "out": 4, "kernel": 1}],
                [{"type": "conv", "out": 3, "kernel": 3, "padding": "full"}, "relu",
                 {"type": "maxpool", "kernel": 3, "stride": 1}],
                [{"type": "maxpool", "kernel": 3, "stride": 1, "padding": 1}]]},
              {"type": "residual", "shortcut": "projection", "body": [
                {"type": "conv", "out": 10, "kernel": 2, "padding": "same", "stride": 2}, {"type": "batchnorm"}]},
              {"type": "dropout", "p": 0.3},
              "flatten",
              {"type": "linear", "out": 12}, "relu",
              {"type": "linear"}
            ]}
            """;

    @Test
    void everyLibraryNetworkGivesOurOutputsInOnnxRuntime() throws OrtException {
        for (String name : ModelLibrary.NAMES) {
            for (int[] shape : List.of(GREY, COLOUR)) {
                Network net = ModelSpec.of(name, shape, 7).build(11);
                check(net, name + " " + java.util.Arrays.toString(shape), 5);
            }
        }
    }

    @Test
    void everyLayerTypeGivesOurOutputsInOnnxRuntime() throws OrtException {
        for (int[] shape : List.of(GREY, COLOUR, new int[] {2, 19, 23})) {
            Network net = new ModelSpec("mixed", "OnnxExportTest", MIXED, shape, 4).build(5);
            check(net, "mixed " + java.util.Arrays.toString(shape), 9);
        }
    }

    @Test
    void fashionMnistImagesGiveOurPredictions() throws OrtException, IOException {
        IdxReader.Idx images = IdxReader.read(Dataset.FASHION_DIR.resolve("t10k-images-idx3-ubyte.gz"), 16);
        float[] x = new float[images.data.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = (images.data[i] & 0xff) / 255f;
        }
        for (String name : List.of("lenet5", "resnet20", "inception")) {
            Network net = ModelSpec.of(name, GREY, 10).build(3);
            randomise(net, 3);
            float[] mean = {Dataset.FASHION_MEAN}, std = {Dataset.FASHION_STD};
            byte[] onnx = OnnxExporter.export(net, mean, std, null).toByteArray();
            compare(net, onnx, x, 16, mean, std, name + " on Fashion-MNIST");
        }
    }

    @Test
    void graphHasTheStatedInterface() {
        Network net = ModelSpec.of("lenet5", GREY, 10).build(1);
        OnnxMl.ModelProto m = OnnxExporter.export(net, new float[] {0.5f}, new float[] {0.25f}, null);
        assertEquals(OnnxExporter.OPSET, m.getOpsetImport(0).getVersion());
        assertEquals("input", m.getGraph().getInput(0).getName());
        assertEquals("N", m.getGraph().getInput(0).getType().getTensorType().getShape().getDim(0).getDimParam());
        assertEquals(List.of("logits", "probability"),
                m.getGraph().getOutputList().stream().map(OnnxMl.ValueInfoProto::getName).toList());
        assertTrue(m.getGraph().getInitializerList().stream().anyMatch(t -> t.getName().equals("conv1.weight")));
    }

    @Test
    void anUnknownLayerIsOneErrorNamingItsPath() {
        Layer odd = new AbstractLayer("odd") {
            @Override
            public int[] outputShape(int[] in) {
                return in.clone();
            }

            @Override
            protected Tensor forwardImpl(Tensor x, boolean training) {
                return x;
            }

            @Override
            protected Tensor backwardImpl(Tensor dy) {
                return dy;
            }

            @Override
            protected String signature() {
                return "Odd";
            }
        };
        Network net = new Network("oddnet", new Sequential("", new Sequential("head", new Flatten("flat"), odd)), GREY);
        OnnxExportException e = assertThrows(OnnxExportException.class,
                () -> OnnxExporter.export(net, new float[] {0}, new float[] {1}, null));
        assertTrue(e.getMessage().startsWith("layer 'head.odd' (Odd): no ONNX export"), e.getMessage());
    }

    @Test
    void normalisationMustFitTheChannels() {
        Network net = ModelSpec.of("lenet5", COLOUR, 10).build(1);
        OnnxExportException e = assertThrows(OnnxExportException.class,
                () -> OnnxExporter.export(net, new float[] {0}, new float[] {1}, null));
        assertTrue(e.getMessage().contains("3 channel(s)"), e.getMessage());
    }

    // ---------------------------------------------------------------- helpers

    /** Random weights and batch-norm state (init's 0/1 statistics and unit scales would hide mistakes). */
    static void randomise(Network net, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        for (Map.Entry<String, Param> e : net.params().entrySet()) {
            Tensor t = e.getValue().value;
            boolean bn = e.getKey().endsWith(".weight") && t.rank() == 1;
            for (int i = t.offset; i < t.offset + t.size(); i++) {
                if (bn) {
                    t.data[i] = (float) r.nextDouble(0.6, 1.4);
                } else if (t.rank() == 1) {
                    t.data[i] = (float) r.nextDouble(-0.2, 0.2);
                }
            }
        }
        for (Map.Entry<String, Buffer> e : net.buffers().entrySet()) {
            Tensor t = e.getValue().value;
            boolean var = e.getKey().endsWith("running_var");
            for (int i = t.offset; i < t.offset + t.size(); i++) {
                t.data[i] = (float) (var ? r.nextDouble(0.3, 2.0) : r.nextDouble(-0.3, 0.3));
            }
        }
    }

    /** Exports with random statistics and non-trivial normalisation; compares batches of 3 and {@code other}. */
    static void check(Network net, String what, int other) throws OrtException {
        randomise(net, what.hashCode());
        int c = net.inputShape()[0];
        float[] mean = new float[c], std = new float[c];
        for (int i = 0; i < c; i++) {
            mean[i] = 0.3f + 0.1f * i;
            std[i] = 0.2f + 0.05f * i;
        }
        byte[] onnx = OnnxExporter.export(net, mean, std, null).toByteArray();
        SplittableRandom r = new SplittableRandom(what.hashCode() + 1L);
        for (int n : new int[] {3, other}) {
            float[] x = new float[n * size(net.inputShape())];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) r.nextDouble();
            }
            compare(net, onnx, x, n, mean, std, what + ", batch " + n);
        }
    }

    static int size(int[] s) {
        int n = 1;
        for (int d : s) {
            n *= d;
        }
        return n;
    }

    /** ONNX Runtime on [0, 1] pixels {@code x} against {@code Network.forward} on them normalised as the reader does. */
    static void compare(Network net, byte[] onnx, float[] x, int n, float[] mean, float[] std, String what)
            throws OrtException {
        int[] s = net.inputShape();
        int plane = s[1] * s[2];
        float[] normalised = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            int ch = (i / plane) % s[0];
            normalised[i] = (x[i] - mean[ch]) / std[ch];
        }
        Tensor logits = net.forward(new Tensor(normalised, n, s[0], s[1], s[2]), false);
        int k = net.classes();
        float[][] want = new float[n][k], wantP = new float[n][k];
        for (int i = 0; i < n; i++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int j = 0; j < k; j++) {
                want[i][j] = logits.data[logits.offset + i * k + j];
                max = Math.max(max, want[i][j]);
            }
            for (int j = 0; j < k; j++) {
                sum += Math.exp(want[i][j] - max);
            }
            for (int j = 0; j < k; j++) {
                wantP[i][j] = (float) (Math.exp(want[i][j] - max) / sum);
            }
        }
        try (OrtSession session = ENV.createSession(onnx, new OrtSession.SessionOptions());
             OnnxTensor in = OnnxTensor.createTensor(ENV, FloatBuffer.wrap(x), new long[] {n, s[0], s[1], s[2]});
             OrtSession.Result r = session.run(Map.of("input", in))) {
            float[][] got = (float[][]) r.get("logits").get().getValue();
            float[][] gotP = (float[][]) r.get("probability").get().getValue();
            assertEquals(n, got.length, what);
            for (int i = 0; i < n; i++) {
                assertEquals(k, got[i].length, what);
                for (int j = 0; j < k; j++) {
                    double tol = 1e-4 * Math.max(1, Math.abs(want[i][j]));
                    assertEquals(want[i][j], got[i][j], tol, what + ": logits[" + i + "][" + j + "]");
                    assertEquals(wantP[i][j], gotP[i][j], 1e-4, what + ": probability[" + i + "][" + j + "]");
                }
            }
            assertArrayEquals(new long[] {n, k}, ((OnnxTensor) r.get("logits").get()).getInfo().getShape(), what);
        }
    }
}
