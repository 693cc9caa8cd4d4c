package org.sparkcnn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkcnn.model.ModelSpec;
import org.sparkcnn.model.Network;
import org.sparkcnn.optim.Sgd;

/**
 * Damaged model files of every kind, made from a real one: each must be rejected with one line
 * naming the file and the problem, allocating little more than the file's size, and leaving the
 * file as it was. Every case is read twice: from its path (length known: the header's shapes are
 * checked against the file's size before any tensor is allocated) and as a stream of unknown
 * length (arrays grow only as data arrives).
 */
class ModelFileCorruptionTest {
    /**
     * The allocation a rejected read may make: twice the file (the known-length path allocates the
     * tensors once, at most the file's size; a stream's arrays double as they grow, so at most twice
     * what arrived) plus 1 MiB for the fixed buffers (two of 64 KiB), the header's parse and the
     * first chunk of a tensor (256 KiB) on a stream.
     */
    static long bound(long fileLength) {
        return 4 * fileLength + (1 << 20);
    }

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    @TempDir
    static Path tmp;

    private static byte[] ok;
    private static int headerLength;
    /** Where each tensor's data starts, and the CRC after the last. */
    private static final List<Integer> starts = new ArrayList<>();

    /** A case: its bytes and what the message must say when read from a path, and from a stream. */
    private record Case(String label, byte[] bytes, String fromPath, String fromStream) {
    }

    private final List<Case> cases = new ArrayList<>();
    /** The largest allocation of a rejected read beyond 1 MiB, over the file's length: [from a path, from a stream]. */
    private final double[] worstRatio = new double[2];
    private long lastAllocation;

    @BeforeAll
    static void writeARealModel() throws IOException {
        Network net = ModelSpec.of("lenet5", new int[] {1, 28, 28}, 10).build(1);
        Sgd sgd = new Sgd(0.9, 0);
        SplittableRandom r = new SplittableRandom(5);
        net.paramList().forEach(p -> {
            for (int i = 0; i < p.grad.size(); i++) {
                p.grad.data[p.grad.offset + i] = (float) r.nextGaussian();
            }
        });
        sgd.step(net.paramList(), 0.1);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ModelFile.write(out, net, sgd, Map.of("epoch", "1"), List.of("T-shirt/top", "Trouser", "Pullover", "Dress",
                "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"), new float[] {0.286f}, new float[] {0.353f});
        ok = out.toByteArray();
        headerLength = ByteBuffer.wrap(ok).order(ByteOrder.LITTLE_ENDIAN).getInt(12);
        Map<?, ?> header = (Map<?, ?>) JsonText.parse(new String(ok, 16, headerLength, StandardCharsets.UTF_8), "header");
        int at = 16 + headerLength;
        for (Object t : (List<?>) header.get("tensors")) {
            starts.add(at);
            long n = 1;
            for (Object d : (List<?>) ((Map<?, ?>) t).get("shape")) {
                n *= ((Number) d).longValue();
            }
            at += 4 * n;
        }
        assertEquals(ok.length - 4, at, "the tensors end where the CRC starts");
        starts.add(at);
    }

    private void add(String label, byte[] bytes, String fromPath, String fromStream) {
        cases.add(new Case(label, bytes, fromPath, fromStream));
    }

    private void add(String label, byte[] bytes, String both) {
        add(label, bytes, both, both);
    }

    private static int int32(byte[] b, int at) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt(at);
    }

    private static byte[] putInt(byte[] b, int at, int v) {
        byte[] c = b.clone();
        ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN).putInt(at, v);
        return c;
    }

    private static byte[] flip(int bit) {
        byte[] b = ok.clone();
        b[bit / 8] ^= (byte) (1 << (bit % 8));
        return b;
    }

    /** The real file with its header rewritten and the CRC recomputed: only the other checks can catch it. */
    private static byte[] withHeader(UnaryOperator<String> edit) {
        String h = edit.apply(new String(ok, 16, headerLength, StandardCharsets.UTF_8));
        byte[] header = h.getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(ok.length - headerLength + header.length).order(ByteOrder.LITTLE_ENDIAN);
        out.put(ok, 0, 12).putInt(header.length).put(header).put(ok, 16 + headerLength, ok.length - 16 - headerLength);
        return withCrc(out.array());
    }

    private static byte[] withCrc(byte[] b) {
        CRC32 crc = new CRC32();
        crc.update(b, 0, b.length - 4);
        return putInt(b, b.length - 4, (int) crc.getValue());
    }

    /** A valid preamble (magic, version 2) and a header of {@code text}, then {@code data} and a correct CRC. */
    private static byte[] file(String text, int dataBytes) {
        byte[] header = text.getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(16 + header.length + dataBytes + 4).order(ByteOrder.LITTLE_ENDIAN);
        out.put(ModelFile.MAGIC).putInt(2).putInt(header.length).put(header);
        return withCrc(out.array());
    }

    private static final String CONV1 = "{\"name\":\"conv1.weight\",\"role\":\"param\",\"shape\":[6,1,5,5]}";

    private static UnaryOperator<String> conv1Shape(String shape) {
        return h -> {
            assertTrue(h.contains(CONV1), h);
            return h.replace(CONV1, CONV1.replace("[6,1,5,5]", shape));
        };
    }

    private static byte[] huge(String shape) {
        return withHeader(conv1Shape(shape));
    }

    private void truncations() {
        List<Integer> cuts = new ArrayList<>(List.of(0, 1, 4, 7, 8, 9, 11, 12, 14, 15, 16, 17, 16 + headerLength / 2,
                16 + headerLength - 1, 16 + headerLength, ok.length - 3, ok.length - 1));
        for (int s : starts) {
            cuts.addAll(List.of(s - 1, s, s + 1, s + 3));
        }
        SplittableRandom r = new SplittableRandom(12);
        for (int i = 0; i < 60; i++) {
            cuts.add(r.nextInt(ok.length));
        }
        for (int cut : cuts) {
            String fromStream = cut < 16 + headerLength ? "truncated: the file ends at byte " + cut : "truncated";
            String fromPath = cut < 16 ? fromStream : cut < 16 + headerLength + 4 ? "runs past the end: the file is "
                    + cut + " bytes" : "truncated, or shapes larger than the data";
            add("cut at " + cut, Arrays.copyOf(ok, cut), fromPath, fromStream);
        }
    }

    private void bitFlips() {
        for (int bit = 0; bit < 64; bit++) {
            add("magic bit " + bit, flip(bit), "not a sparkcnn model file: it starts with ");
        }
        for (int bit = 64; bit < 96; bit++) {
            add("version bit " + (bit - 64), flip(bit), "format version " + int32(flip(bit), 8) + " is not supported");
        }
        for (int bit = 96; bit < 128; bit++) {
            add("header length bit " + (bit - 96), flip(bit), null); // too long, too short, past the end: many messages
        }
        SplittableRandom r = new SplittableRandom(34);
        for (int i = 0; i < 120; i++) {
            add("header bit", flip(8 * 16 + r.nextInt(8 * headerLength)), null);
        }
        int data = 16 + headerLength;
        for (int i = 0; i < 120; i++) {
            add("data bit", flip(8 * data + r.nextInt(8 * (ok.length - 4 - data))), "CRC32 mismatch");
        }
        for (int i = 0; i < 32; i += 3) {
            add("CRC bit " + i, flip(8 * (ok.length - 4) + i), "CRC32 mismatch");
        }
    }

    private void lyingHeaders() {
        for (String shape : new String[] {"[2147483647]", "[65536,65536]"}) {
            add("shape " + shape, withHeader(conv1Shape(shape)), "has more elements than a Java array holds");
        }
        for (String shape : new String[] {"[2147483639]", "[46340,46340]", "[1000000,1000]", "[600000]", "[6,1,5,6]"}) {
            add("shape " + shape, huge(shape), "but its header's tensor shapes make it",
                    "truncated: the file ends at byte " + huge(shape).length + ", inside the data of tensor");
        }
        add("shape [6,1,5,4]", withHeader(conv1Shape("[6,1,5,4]")), "trailing garbage, or shapes smaller than the data",
                "120 bytes follow the CRC32");
        add("every shape huge", withHeader(h -> h.replaceAll("\"shape\":\\[[0-9,]*\\]", "\"shape\":[46340,46340]")),
                "but its header's tensor shapes make it", "truncated");
        for (int n : new int[] {1, 1000}) {
            add(n + " trailing bytes", Arrays.copyOf(ok, ok.length + n), "the file is " + (ok.length + n) + " bytes",
                    n + " bytes follow the CRC32");
        }
        for (int len : new int[] {ok.length, ok.length - 19, 16 << 20, 0x7fff_ffff, -1, 0, 1}) {
            String both = len >= 2 && len <= 16 << 20 ? null : "header length " + len + " is outside";
            // a stream reads a header that fits as far as it goes, and finds what it finds there
            add("header length " + len, putInt(ok, 12, len), both == null ? "runs past the end" : both,
                    both == null && len > ok.length ? "truncated" : both);
        }
        for (int v : new int[] {0, 3, 255, -1, 0x7fff_ffff, 0x0200_0000}) {
            add("version " + v, withCrc(putInt(ok, 8, v)), "format version " + v + " is not supported");
        }
        add("version 1 with a version 2 header", withCrc(putInt(ok, 8, 1)), "header: ");
        add("JSON nested 100000 deep", file("[".repeat(100_000) + "]".repeat(100_000), 0), "nested more than 16 deep");
        StringBuilder many = new StringBuilder("{\"format\":2,\"model\":\"m\",\"inputShape\":[1,1,1],\"classes\":1,"
                + "\"meta\":{},\"tensors\":[");
        for (int i = 0; i < 70_000; i++) {
            many.append(i == 0 ? "" : ",").append("{\"name\":\"t").append(i).append("\",\"role\":\"param\",\"shape\":[1]}");
        }
        add("70000 tensors", file(many.append("]}").toString(), 4 * 70_000), "JSON objects, while a model file has at most 16384 tensors");
        add("300000 dimensions", withHeader(h -> h.replace("\"inputShape\":[1,28,28]", "\"inputShape\":["
                + "1,".repeat(300_000) + "1]")), "more than 262144 JSON values");
        add("a 2 MiB description", withHeader(h -> h.replace("\"description\":\"", "\"description\":\""
                + "x".repeat(2 << 20))), "over the 1048576 a description may have");
        add("a header with a line break in a bad value", withHeader(h -> h.replace("\"classes\":10",
                "\"classes\":[\"a\\nb\",\"" + "y".repeat(10_000) + "\"]")), "\"classes\" must be an integer");
    }

    private void foreignFiles() throws IOException {
        ByteArrayOutputStream java = new ByteArrayOutputStream();
        try (ObjectOutputStream o = new ObjectOutputStream(java)) {
            HashMap<String, Object> m = new HashMap<>();
            m.put("conv1.weight", new float[150]);
            m.put("model", "lenet5");
            o.writeObject(m);
        }
        add("a Java-serialized HashMap", java.toByteArray(), "not a sparkcnn model file: it starts with \"\u00ac\u00ed\\u0000\\u0005");
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(zip)) {
            z.putNextEntry(new ZipEntry("model.bin"));
            z.write(ok);
            z.closeEntry();
        }
        add("a zip of the model", zip.toByteArray(), "not a sparkcnn model file: it starts with \"PK\\u0003\\u0004");
        add("an empty file", new byte[0], "truncated: the file ends at byte 0, inside the magic bytes");
        add("text", "{\"model\":\"lenet5\"}\n".getBytes(StandardCharsets.UTF_8), "not a sparkcnn model file");
        SplittableRandom r = new SplittableRandom(56);
        for (int n : new int[] {1, 7, 8, 15, 16, 19, 20, 100, 4096, 65_536, 1 << 20}) {
            byte[] b = new byte[n];
            r.nextBytes(b);
            add(n + " random bytes", b, n < 8 ? "truncated: the file ends at byte " + n : "not a sparkcnn model file");
            // past the magic and version: random header length and header
            byte[] deeper = b.clone();
            if (n >= 12) {
                System.arraycopy(ModelFile.MAGIC, 0, deeper, 0, 8);
                System.arraycopy(ok, 8, deeper, 8, 4);
                add(n + " random bytes after a valid magic and version", deeper, null);
            }
            if (n >= 100) { // and a header length that fits
                add(n + " random bytes after a valid preamble", putInt(deeper, 12, n / 2), null);
            }
        }
    }

    /** One line that starts with the source, says something, and not too much. */
    private static void assertMessage(ModelFileException e, String source, String expected, String label) {
        String m = e.getMessage();
        assertTrue(m.startsWith(source + ": "), label + ": " + m);
        assertEquals(source, e.source());
        assertFalse(m.contains("\n") || m.contains("\r"), label + ": not one line: " + m);
        String problem = m.substring(source.length() + 2);
        assertTrue(problem.length() >= 10 && problem.length() <= 500, label + ": " + problem.length() + " characters: " + m);
        if (expected != null) {
            assertTrue(m.contains(expected), label + ": '" + m + "' should contain '" + expected + "'");
        }
    }

    private interface Read {
        void run() throws IOException;
    }

    /** Runs the read, which must fail, and checks what it allocated. */
    private ModelFileException rejected(Read read, long length, String label) {
        return rejected(read, length, label, 0);
    }

    private ModelFileException rejected(Read read, long length, String label, int path) {
        long id = Thread.currentThread().getId();
        long before = THREADS.getThreadAllocatedBytes(id);
        ModelFileException e = null;
        try {
            read.run();
        } catch (ModelFileException x) {
            e = x;
        } catch (IOException | RuntimeException x) {
            throw new AssertionError(label + ": " + x + " instead of a ModelFileException", x);
        }
        long used = THREADS.getThreadAllocatedBytes(id) - before;
        if (e == null) {
            throw new AssertionError(label + ": accepted");
        }
        assertTrue(used <= bound(length), label + ": allocated " + used + " bytes for a file of " + length);
        lastAllocation = used;
        worstRatio[path] = Math.max(worstRatio[path], (used - (1 << 20)) / (double) Math.max(1, length));
        return e;
    }

    @Test
    void everyDamagedFileIsRejectedWithOneLineNamingItAllocatingLittleAndTouchingNothing() throws IOException {
        assertTrue(THREADS.isThreadAllocatedMemorySupported() && THREADS.isThreadAllocatedMemoryEnabled());
        Path good = Files.write(tmp.resolve("good.bin"), ok);
        ModelFile.read(good).network(); // warm: classes loaded, the real file reads
        ModelFile.read(new ByteArrayInputStream(ok), "good");
        truncations();
        bitFlips();
        lyingHeaders();
        foreignFiles();

        Path dir = Files.createDirectories(tmp.resolve("cases"));
        for (int i = 0; i < cases.size(); i++) {
            Case c = cases.get(i);
            String label = "case " + i + " (" + c.label + ")";
            Path p = Files.write(dir.resolve(String.format("case-%03d.bin", i)), c.bytes);
            ModelFileException e = rejected(() -> ModelFile.read(p), c.bytes.length, label + " from its path");
            assertMessage(e, p.toString(), c.fromPath, label + " from its path");
            assertArrayEquals(c.bytes, Files.readAllBytes(p), label + ": the file changed");
            try (Stream<Path> s = Files.list(dir)) {
                assertEquals(List.of(p), s.toList(), label + ": files appeared or vanished");
            }
            Files.delete(p);

            String stream = "stream-" + i;
            e = rejected(() -> ModelFile.read(new ByteArrayInputStream(c.bytes), stream), c.bytes.length,
                    label + " as a stream", 1);
            assertMessage(e, stream, c.fromStream, label + " as a stream");
        }
        assertArrayEquals(ok, Files.readAllBytes(good));
        assertTrue(cases.size() >= 400, cases.size() + " cases");
        System.out.printf("%d damaged files rejected twice each; the most a read allocated: %.2f × the file's length"
                + " + 1 MiB from a path, %.2f × + 1 MiB from a stream%n", cases.size(), worstRatio[0], worstRatio[1]);
    }

    @Test
    void theLengthCheckComesBeforeAnyTensorIsAllocated() throws IOException {
        // a header declaring a 8 GiB tensor in a file of a few hundred KiB: the path read stops at the header
        byte[] huge = withHeader(conv1Shape("[46340,46340]"));
        Path p = Files.write(tmp.resolve("huge.bin"), huge);
        ModelFileException e = rejected(() -> ModelFile.read(p), huge.length, "huge");
        assertEquals(String.format("%s: the file is %d bytes, but its header's tensor shapes make it %d (%d before the"
                + " data, %d of float32 data, 4 of CRC32): truncated, or shapes larger than the data", p, huge.length,
                huge.length - 600 + 4L * 46340 * 46340, 16 + huge.length - ok.length + headerLength,
                ok.length - 20 - headerLength - 600 + 4L * 46340 * 46340), e.getMessage());
        assertTrue(lastAllocation < huge.length / 2, lastAllocation + " bytes: the header's tensors were allocated");
        assertThrows(IllegalArgumentException.class, () -> ModelFile.read(new ByteArrayInputStream(ok), "x", -2));
        assertEquals(ModelFile.read(good()).model(), ModelFile.read(new ByteArrayInputStream(ok), "x", -1).model());
    }

    @Test
    void aDescriptionDeclaringAHugeNetworkIsRefusedBeforeItIsBuilt() throws IOException {
        // the file's tensors are lenet5's, its description a 784 × 1,000,000 linear layer (3 GiB of values)
        String description = "{\\\"name\\\": \\\"lenet5\\\", \\\"layers\\\": [{\\\"type\\\": \\\"flatten\\\"},"
                + " {\\\"type\\\": \\\"linear\\\", \\\"out\\\": 1000000}, {\\\"type\\\": \\\"linear\\\"}]}";
        byte[] bytes = withHeader(h -> h.replaceFirst("\"description\":\"(\\\\.|[^\"\\\\])*\"",
                java.util.regex.Matcher.quoteReplacement("\"description\":\"" + description + "\"")));
        Path p = Files.write(tmp.resolve("big-description.bin"), bytes);
        ModelFile f = ModelFile.read(p);
        assertTrue(f.about().description().contains("1000000"), f.about().description());
        ModelFileException e = rejected(f::network, bytes.length, "huge description");
        assertTrue(e.getMessage().startsWith(p + ": its network description does not build: tensor 'weight' of shape"
                + " [1000000, 784] takes more values than"), e.getMessage());
        assertTrue(lastAllocation < 4L * bytes.length, lastAllocation + " bytes allocated before the refusal");
    }

    private static Path good() throws IOException {
        return Files.write(tmp.resolve("good.bin"), ok);
    }
}
