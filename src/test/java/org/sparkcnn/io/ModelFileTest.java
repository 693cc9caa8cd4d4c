package org.sparkcnn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.sparkcnn.layer.Param;
import org.sparkcnn.model.ModelZoo;
import org.sparkcnn.model.Network;
import org.sparkcnn.optim.Adam;
import org.sparkcnn.optim.Optimizer;
import org.sparkcnn.optim.Sgd;

class ModelFileTest {
    private static final Supplier<Optimizer> SGD = () -> new Sgd(0.9, 0, 5e-4, true);
    private static final Supplier<Optimizer> ADAM = () -> new Adam(0.9, 0.999, 1e-8, 0.01, true);

    /** Random gradients from {@code seed}, the same for any network of the same model. */
    private static void grads(Network net, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        for (Param p : net.paramList()) {
            for (int i = 0; i < p.grad.size(); i++) {
                p.grad.data[p.grad.offset + i] = (float) r.nextGaussian();
            }
        }
    }

    private static void steps(Network net, Optimizer opt, long seed, int n) {
        for (int s = 0; s < n; s++) {
            grads(net, seed + s);
            opt.step(net.paramList(), 1e-2);
        }
    }

    /** A model with non-trivial buffers and optimiser state. */
    private static Network trained(String model, Optimizer opt) {
        Network net = ModelZoo.build(model, 7);
        SplittableRandom r = new SplittableRandom(3);
        net.buffers().values().forEach(b -> {
            for (int i = 0; i < b.value.size(); i++) {
                b.value.data[b.value.offset + i] = (float) r.nextDouble(0.5, 2);
            }
        });
        steps(net, opt, 100, 2);
        return net;
    }

    private static byte[] bytes(Network net, Optimizer opt, Map<String, String> meta) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ModelFile.write(out, net, opt, meta);
        return out.toByteArray();
    }

    private static ModelFile read(byte[] b) throws IOException {
        return ModelFile.read(new ByteArrayInputStream(b), "test.bin");
    }

    private static int[] bits(float[] a) {
        int[] r = new int[a.length];
        Arrays.setAll(r, i -> Float.floatToRawIntBits(a[i]));
        return r;
    }

    private static void assertSameState(Network a, Optimizer oa, Network b, Optimizer ob) {
        a.params().forEach((n, p) -> assertArrayEquals(bits(p.value.copy().data), bits(b.params().get(n).value.copy().data), n));
        a.buffers().forEach((n, x) -> assertArrayEquals(bits(x.value.copy().data), bits(b.buffers().get(n).value.copy().data),
                n));
        if (oa != null) {
            assertEquals(oa.steps(), ob.steps());
            assertEquals(oa.state().size(), ob.state().size());
            for (int i = 0; i < oa.state().size(); i++) {
                assertArrayEquals(bits(oa.state().get(i)), bits(ob.state().get(i)), "state " + i);
            }
        }
    }

    @Test
    void roundTripIsBitExactAndTrainingContinuesIdenticallyForEveryModel() throws IOException {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("epoch", "3");
        meta.put("note", "quote \" backslash \\ newline \n é");
        for (String model : ModelZoo.NAMES) {
            for (Supplier<Optimizer> kind : List.of(SGD, ADAM)) {
                Optimizer opt = kind.get();
                Network net = trained(model, opt);
                ModelFile f = read(bytes(net, opt, meta));
                assertEquals(model, f.model());
                assertArrayEquals(net.inputShape(), f.inputShape());
                assertEquals(10, f.classes());
                assertEquals(meta, f.meta());
                assertEquals(opt instanceof Sgd ? "sgd" : "adam", f.optimizerName());
                assertEquals(2, f.optimizerSteps());
                assertSameState(net, null, f.network(), null);

                Network copy = ModelZoo.build(model, 99);
                Optimizer copyOpt = kind.get();
                f.applyTo(copy, copyOpt);
                assertSameState(net, opt, copy, copyOpt);
                steps(net, opt, 500, 2);
                steps(copy, copyOpt, 500, 2);
                assertSameState(net, opt, copy, copyOpt);
            }
        }
    }

    @Test
    void layoutIsAsDocumented() throws IOException {
        Network net = ModelZoo.build("lenet5", 1);
        byte[] b = bytes(net, null, Map.of());
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals("SPARKCNN", new String(b, 0, 8, StandardCharsets.US_ASCII));
        assertEquals(2, bb.getInt(8));
        int h = bb.getInt(12);
        String header = new String(b, 16, h, StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{\"format\":2,\"model\":\"lenet5\",\"inputShape\":[1,28,28],\"classes\":10,"),
                header);
        assertTrue(header.contains("\n\"description\":\"// LeNet-5"), header);
        assertTrue(header.contains("{\"name\":\"conv1.weight\",\"role\":\"param\",\"shape\":[6,1,5,5]}"), header);
        assertFalse(header.contains("\"optimizer\""), header);
        assertEquals(net.params().get("conv1.weight").value.data[0], bb.getFloat(16 + h));
        assertEquals(16 + h + 4L * net.numParameters() + 4, b.length);
        CRC32 crc = new CRC32();
        crc.update(b, 0, b.length - 4);
        assertEquals((int) crc.getValue(), bb.getInt(b.length - 4));

        ModelFile f = read(b);
        assertFalse(f.hasOptimizerState());
        assertNull(f.optimizerName());
        assertEquals(0, f.optimizerSteps());
        ModelFileException e = assertThrows(ModelFileException.class, () -> f.applyTo(net, SGD.get()));
        assertEquals("test.bin: holds no optimizer state to restore", e.getMessage());
    }

    /**
     * A file written before the header went through Jackson (its JSON built by hand, escaping a line
     * break as \u000a) loads as it did, and the header Jackson writes for the same network differs
     * from it only in that escape.
     */
    @Test
    void filesWithTheEarlierHandWrittenHeaderStillLoad() throws IOException {
        byte[] old;
        try (var in = ModelFileTest.class.getResourceAsStream("/io/format2-hand-written-header.bin")) {
            old = in.readAllBytes();
        }
        ModelFile f = read(old);
        assertEquals("tiny", f.model());
        assertEquals(List.of("ant", "bee \"b\"", "c\u00e4t"), f.about().classNames());
        assertArrayEquals(new float[] {0.5f}, f.about().mean());
        assertEquals(Map.of("epoch", "1", "note", "quote \" and\nline"), f.meta());
        assertEquals("sgd", f.optimizerName());
        Network net = f.network();
        assertEquals(3, net.classes());
        Sgd sgd = new Sgd(0.9, 0);
        f.applyTo(net, sgd);
        ByteArrayOutputStream again = new ByteArrayOutputStream();
        ModelFile.write(again, net, sgd, new java.util.TreeMap<>(f.meta()), f.about().classNames(), f.about().mean(),
                f.about().std());
        byte[] b = again.toByteArray();
        assertEquals(header(old).replace("\\u000a", "\\n"), header(b));
        assertArrayEquals(Arrays.copyOfRange(old, 16 + header(old).getBytes(StandardCharsets.UTF_8).length, old.length - 4),
                Arrays.copyOfRange(b, 16 + header(b).getBytes(StandardCharsets.UTF_8).length, b.length - 4));
    }

    private static String header(byte[] file) {
        return new String(file, 16, ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getInt(12), StandardCharsets.UTF_8);
    }

    /** Files of format 1 (a zoo name, no description) still load: the name rebuilds the reference model. */
    @Test
    void formatOneFilesStillLoad() throws IOException {
        Network zoo = ModelZoo.build("resnet20", 3);
        Network undescribed = new Network("resnet20", zoo.root(), ModelZoo.MNIST); // as networks were before descriptions
        byte[] v2 = bytes(undescribed, null, Map.of("epoch", "2"));
        byte[] v1 = v2.clone();
        v1[8] = 1;
        v1 = withHeader(v1, h -> h.replace("\"format\":2", "\"format\":1"));
        ModelFile f = read(v1);
        assertNull(f.about().description());
        assertSameState(zoo, null, f.network(), null);
        assertEquals("2", f.meta().get("epoch"));
        byte[] unknown = withHeader(v1, h -> h.replace("\"resnet20\"", "\"vgg16\""));
        assertFails(unknown, "unknown model 'vgg16'");
        byte[] described = withHeader(v1, h -> h.replace("\"meta\":{", "\"description\":\"{}\",\"meta\":{"));
        assertFails(described, "the header has an unknown key \"description\"");
    }

    /** A file carries its network's description, class names and normalisation: it alone rebuilds the network. */
    @Test
    void aFileCarriesItsDescriptionClassNamesAndNormalisation() throws IOException {
        Network net = org.sparkcnn.model.ModelLibrary.build("vgg", new int[] {3, 32, 32}, 3, 5);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ModelFile.write(out, net, null, Map.of(), List.of("cat", "dog", "bird"), new float[] {0.5f, 0.4f, 0.3f},
                new float[] {0.25f, 0.2f, 0.1f});
        ModelFile f = read(out.toByteArray());
        assertEquals(List.of("cat", "dog", "bird"), f.about().classNames());
        assertArrayEquals(new float[] {0.5f, 0.4f, 0.3f}, f.about().mean());
        assertArrayEquals(new float[] {0.25f, 0.2f, 0.1f}, f.about().std());
        Network rebuilt = f.network();
        assertArrayEquals(new int[] {3, 32, 32}, rebuilt.inputShape());
        assertSameState(net, null, rebuilt, null);
        assertThrows(IllegalArgumentException.class, () -> ModelFile.write(new ByteArrayOutputStream(), net, null,
                Map.of(), List.of("cat"), null, null));
    }

    /** A checkpoint's server velocity comes back bit for bit, beside the optimiser state; a file without one has none. */
    @Test
    void theServerVelocityRoundTrips() throws IOException {
        Network net = trained("lenet5", SGD.get());
        float[] velocity = new float[net.numParameters()];
        SplittableRandom r = new SplittableRandom(11);
        for (int i = 0; i < velocity.length; i++) {
            velocity[i] = (float) r.nextGaussian();
        }
        Optimizer sgd = SGD.get();
        steps(net, sgd, 5, 1);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ModelFile.write(out, net, sgd, velocity, Map.of("k", "v"), null, null, null);
        ModelFile f = read(out.toByteArray());
        Network other = ModelZoo.build("lenet5", 1);
        assertArrayEquals(bits(velocity), bits(f.serverVelocity(other)));
        Optimizer restored = SGD.get();
        f.applyTo(other, restored);
        assertSameState(net, sgd, other, restored);
        assertNull(read(bytes(net, sgd, Map.of())).serverVelocity(other));
        // a velocity for another network is refused when writing and when reading
        assertThrows(IllegalArgumentException.class, () -> ModelFile.write(new ByteArrayOutputStream(), net, sgd,
                new float[3], Map.of(), null, null, null));
        ModelFileException e = assertThrows(ModelFileException.class, () -> f.serverVelocity(ModelZoo.build("convnet", 1)));
        assertTrue(e.getMessage().contains("server velocity"), e.getMessage());
    }

    /** The file with its header edited, length and CRC fixed up: only the edit is wrong. */
    private static byte[] withHeader(byte[] file, UnaryOperator<String> edit) {
        int h = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getInt(12);
        String header = new String(file, 16, h, StandardCharsets.UTF_8);
        String edited = edit.apply(header);
        assertFalse(edited.equals(header), "the edit changed nothing");
        return withHeaderBytes(file, edited.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] withHeaderBytes(byte[] file, byte[] header) {
        int h = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getInt(12);
        ByteBuffer out = ByteBuffer.allocate(file.length - h + header.length).order(ByteOrder.LITTLE_ENDIAN);
        out.put(file, 0, 12).putInt(header.length).put(header).put(file, 16 + h, file.length - 16 - h);
        return withCrc(out.array());
    }

    private static byte[] withCrc(byte[] b) {
        CRC32 crc = new CRC32();
        crc.update(b, 0, b.length - 4);
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length - 4, (int) crc.getValue());
        return b;
    }

    private static String failure(byte[] b) {
        ModelFileException e = assertThrows(ModelFileException.class, () -> read(b));
        assertTrue(e.getMessage().startsWith("test.bin: "), e.getMessage());
        assertEquals("test.bin", e.source());
        return e.getMessage();
    }

    private static void assertFails(byte[] b, String... parts) {
        String m = failure(b);
        for (String p : parts) {
            assertTrue(m.contains(p), "'" + m + "' should contain '" + p + "'");
        }
    }

    @Test
    void everyMalformedFileGetsItsOwnMessage() throws IOException {
        Optimizer sgd = SGD.get();
        byte[] ok = bytes(trained("lenet5", sgd), sgd, Map.of("k", "v"));
        read(ok);
        String conv1 = "{\"name\":\"conv1.weight\",\"role\":\"param\",\"shape\":[6,1,5,5]}";

        assertFails(new byte[0], "truncated: the file ends at byte 0, inside the magic bytes");
        byte[] magic = ok.clone();
        magic[0] = 'X';
        assertFails(magic, "not a sparkcnn model file: it starts with \"XPARKCNN\"");
        byte[] version = ok.clone();
        version[8] = 3;
        assertFails(version, "format version 3 is not supported (this build reads versions 1 to 2)");
        for (int bad : new int[] {-5, Integer.MAX_VALUE}) {
            byte[] len = ok.clone();
            ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).putInt(12, bad);
            assertFails(len, "header length " + bad + " is outside");
        }
        assertFails(Arrays.copyOf(ok, 100), "truncated: the file ends at byte 100, inside the header");

        assertFails(withHeader(ok, h -> "{\"format\":2,}"), "header: line 1, column 13: Unexpected character ('}'", "was expecting double-quote to start field name");
        assertFails(withHeaderBytes(ok, new byte[] {'{', '"', (byte) 0xff, '"', '}'}), "header is not valid UTF-8");
        assertFails(withHeader(ok, h -> h.replace(",\"classes\":10", "")), "header: the header has no \"classes\"");
        assertFails(withHeader(ok, h -> h.replace("\"meta\":{", "\"colour\":1,\"meta\":{")), "unknown key \"colour\"");
        assertFails(withHeader(ok, h -> h.replace("\"format\":2", "\"format\":1")), "\"format\" must be an integer in [2, 2]");
        ByteArrayOutputStream full = new ByteArrayOutputStream();
        ModelFile.write(full, ModelZoo.build("lenet5", 1), null, Map.of(), List.of("0", "1", "2", "3", "4", "5", "6", "7",
                "8", "9"), new float[] {0.3f}, new float[] {0.35f});
        byte[] withAbout = full.toByteArray();
        read(withAbout);
        assertFails(withHeader(withAbout, h -> h.replace("\"normalization\":{", "\"normalization\":{\"gamma\":1,")),
                "\"normalization\" has an unknown key \"gamma\"");
        assertFails(withHeader(withAbout, h -> h.replace("\"classNames\":[\"0\",", "\"classNames\":[")),
                "\"classNames\" must be a list of 10 names");
        assertFails(withHeader(withAbout, h -> h.replace("\"std\":[0.35]", "\"std\":[0.35,1]")),
                "\"normalization\".\"std\" must be a list of 1 numbers");
        assertFails(withHeader(ok, h -> h.replace("\"steps\":2", "\"steps\":-1")),
                "\"optimizer\".\"steps\" must be an integer in [0, ");
        assertFails(withHeader(ok, h -> h.replace("\"format\":2", "\"format\":1.5")), "\"format\" must be an integer");
        assertFails(withHeader(ok, h -> h.replace(conv1, conv1.replace("[6,1,5,5]", "[6,1,5,-5]"))),
                "\"tensors\"[0].\"shape\"[3] must be an integer in [1, 2147483647], got -5");
        assertFails(withHeader(ok, h -> h.replace(conv1, conv1.replace("[6,1,5,5]", "[65536,65536]"))),
                "\"tensors\"[0].\"shape\" has more elements than a Java array holds");
        assertFails(withHeader(ok, h -> h.replace("\"conv1.bias\"", "\"conv1.weight\"")),
                "two param tensors are named 'conv1.weight'");
        assertFails(withHeader(ok, h -> h.replace(conv1, conv1.replace("param", "weights"))), "\"tensors\"[0] ('conv1.weight') has role 'weights'");
        assertFails(withHeader(ok, h -> h.replace(",\n\"optimizer\":{\"name\":\"sgd\",\"steps\":2}", "")),
                "is optimizer state, but there is no \"optimizer\" section");

        // shapes that do not match the data: fewer elements leave bytes over, more run out of file
        assertFails(withHeader(ok, h -> h.replace(conv1, conv1.replace("[6,1,5,5]", "[6,1,5,4]"))),
                "120 bytes follow the CRC32", "shapes smaller than the data");
        assertFails(withHeader(ok, h -> h.replace(conv1, conv1.replace("[6,1,5,5]", "[6,1,5,6]"))),
                "truncated: the file ends at byte " + ok.length + ", inside the data of tensor",
                "its header's tensor shapes make it " + (ok.length + 120) + " bytes");
        assertFails(Arrays.copyOf(ok, ok.length - 100), "inside the data of tensor 'fc3.weight.momentum_buffer' [10, 84]");
        assertFails(Arrays.copyOf(ok, ok.length - 2), "inside the CRC32");

        byte[] flipped = ok.clone();
        flipped[ok.length / 2] ^= 0x10;
        assertFails(flipped, "CRC32 mismatch", "corrupt");
        byte[] trailing = Arrays.copyOf(ok, ok.length + 3);
        assertFails(trailing, "3 bytes follow the CRC32 that ends at byte " + ok.length);
    }

    @Test
    void applyingToAnotherModelOrShapeOrOptimizerFailsAndChangesNothing() throws IOException {
        Optimizer sgd = SGD.get();
        byte[] ok = bytes(trained("lenet5", sgd), sgd, Map.of());
        String conv1 = "{\"name\":\"conv1.weight\",\"role\":\"param\",\"shape\":[6,1,5,5]}";

        ModelFileException e = assertThrows(ModelFileException.class,
                () -> read(ok).applyTo(ModelZoo.build("resnet20", 1)));
        assertEquals("test.bin: holds model 'lenet5', not 'resnet20'", e.getMessage());

        Network net = ModelZoo.build("lenet5", 1);
        float[] before = net.parameterVector();
        e = assertThrows(ModelFileException.class,
                () -> read(withHeader(ok, h -> h.replace("\"conv1.weight\"", "\"conv9.weight\""))).applyTo(net));
        assertEquals("test.bin: param names do not match model 'lenet5': missing conv1.weight,"
                + " not in the model conv9.weight", e.getMessage());
        e = assertThrows(ModelFileException.class, () -> read(withHeader(ok,
                h -> h.replace(conv1, conv1.replace("[6,1,5,5]", "[6,1,25,1]")))).applyTo(net));
        assertEquals("test.bin: param 'conv1.weight' has shape [6, 1, 25, 1] in the file but [6, 1, 5, 5]"
                + " in model 'lenet5'", e.getMessage());
        e = assertThrows(ModelFileException.class, () -> read(withHeader(ok,
                h -> h.replace("conv1.bias.momentum_buffer", "conv1.bias.exp_avg"))).applyTo(net, SGD.get()));
        assertEquals("test.bin: optimizer tensor 1 is 'conv1.bias.exp_avg', model 'lenet5' expects"
                + " 'conv1.bias.momentum_buffer' there", e.getMessage());
        e = assertThrows(ModelFileException.class, () -> read(ok).applyTo(net, ADAM.get()));
        assertEquals("test.bin: holds sgd state, which cannot be restored into optimizer adam (Adam)", e.getMessage());
        assertArrayEquals(bits(before), bits(net.parameterVector()), "a failed apply changed the network");

        Optimizer plain = new Sgd(0, 0);
        plain.step(net.paramList(), 0.1);
        e = assertThrows(ModelFileException.class, () -> read(bytes(net, plain, Map.of())).applyTo(net, SGD.get()));
        assertTrue(e.getMessage().startsWith("test.bin: optimizer state does not fit this optimizer: SGD state:"),
                e.getMessage());
    }

    /** No model file ever holds a NaN or an infinity: in a parameter, a buffer, the optimiser's state or mean/std. */
    @Test
    void aNonFiniteValueIsRefusedBeforeAnyByteIsWritten() throws IOException {
        Optimizer adam = ADAM.get();
        Network net = trained("resnet20", adam);
        Param last = net.paramList().get(net.paramList().size() - 1);
        float[][] places = {last.value.data, net.buffers().values().iterator().next().value.data, adam.stateArray()};
        int[] at = {last.value.offset + last.value.size() - 1, net.buffers().values().iterator().next().value.offset,
            adam.stateArray().length - 1};
        String lastName = net.params().entrySet().stream().filter(x -> x.getValue() == last).findFirst().orElseThrow().getKey();
        String[] named = {"param " + lastName, "buffer " + net.buffers().keySet().iterator().next(), "optimizer "};
        int refused = 0;
        for (int k = 0; k < places.length; k++) {
            for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                float good = places[k][at[k]];
                places[k][at[k]] = bad;
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                ArithmeticException e = assertThrows(ArithmeticException.class, () -> ModelFile.write(out, net, adam, Map.of()));
                assertTrue(e.getMessage().startsWith("model 'resnet20': " + named[k]) && e.getMessage().contains(" is " + bad
                        + ": a model file never holds a non-finite value, nothing was written"), e.getMessage());
                assertEquals(0, out.size(), "nothing written");
                places[k][at[k]] = good;
                refused++;
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ArithmeticException e = assertThrows(ArithmeticException.class, () -> ModelFile.write(out, net, null, Map.of(),
                null, new float[] {Float.NaN}, new float[] {1f}));
        assertTrue(e.getMessage().contains("mean[0] is NaN"), e.getMessage());
        assertEquals(0, out.size());
        assertEquals(9, refused);
        ModelFile.write(out, net, adam, Map.of()); // the same model, finite again, is written
        assertTrue(out.size() > 0);
    }
}
