package org.sparkcnn.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReferenceRunnerTest {
    static Path cases() {
        try {
            return Path.of(ReferenceRunnerTest.class.getResource("/reference").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A writable copy of one shared case under {@code tmp}. */
    static Path copyCase(String name, Path tmp) throws IOException {
        Path src = cases().resolve(name);
        Path dst = tmp.resolve(name);
        Files.createDirectories(dst);
        try (Stream<Path> files = Files.list(src)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, dst.resolve(f.getFileName()));
            }
        }
        return dst;
    }

    static void editJson(Path dir, String from, String to) throws IOException {
        Path f = dir.resolve("case.json");
        String s = Files.readString(f);
        assertTrue(s.contains(from), "case.json of " + dir + " has no '" + from + "'");
        Files.writeString(f, s.replace(from, to));
    }

    static CaseResult run(Path dir) {
        return ReferenceRunner.run(dir, dir.getFileName().toString());
    }

    static void assertFails(CaseResult r, String... parts) {
        assertFalse(r.passed(), "expected a failure, got " + r.line());
        for (String p : parts) {
            assertTrue(r.message().contains(p), "'" + p + "' missing from: " + r.line());
        }
    }

    @Test
    void everySharedCasePasses() throws IOException {
        List<Path> found = ReferenceRunner.findCases(List.of(cases()));
        assertEquals(22, found.size(), "cases found: " + found);
        List<String> failures = new ArrayList<>();
        for (Path dir : found) {
            CaseResult r = run(dir);
            if (!r.passed()) {
                failures.add(r.line());
            }
        }
        assertTrue(failures.isEmpty(), failures.size() + " failing:\n" + String.join("\n", failures));
    }

    @Test
    void aValueBeyondToleranceFailsNamingTensorAndIndex(@TempDir Path tmp) throws IOException {
        Path dir = copyCase("conv2d_valid_3x3", tmp);
        // y is [2, 4, 5, 5]: flat 37 is [0, 1, 2, 2].
        Path y = dir.resolve("y.npy");
        byte[] b = Files.readAllBytes(y);
        int dataStart = 10 + ((b[8] & 0xff) | (b[9] & 0xff) << 8);
        ByteBuffer data = ByteBuffer.wrap(b, dataStart, b.length - dataStart).order(ByteOrder.LITTLE_ENDIAN);
        float want = data.getFloat(dataStart + 37 * 4);
        data.putFloat(dataStart + 37 * 4, want + 0.5f);
        Files.write(y, b);
        // The engine's own y may differ from the stored one in the last bit, so the error is 0.5 ± 1e-6.
        String message = run(dir).message();
        assertFails(run(dir), "y: 1 of 200 values", "flat index 37 [0, 1, 2, 2]", "want " + (want + 0.5f),
                "max abs error 0.");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("max abs error ([0-9.E-]+)").matcher(message);
        org.junit.jupiter.api.Assertions.assertTrue(m.find(), message);
        org.junit.jupiter.api.Assertions.assertEquals(0.5, Double.parseDouble(m.group(1)), 1e-5, message);
    }

    /**
     * Every float tensor of every case matters: perturbing it, input or expected, makes the case
     * fail. A tensor the runner loaded but never compared would survive this.
     */
    @Test
    void perturbingAnyTensorOfAnyCaseFails(@TempDir Path tmp) throws IOException {
        List<String> survived = new ArrayList<>();
        for (Path src : ReferenceRunner.findCases(List.of(cases()))) {
            Path dir = copyCase(src.getFileName().toString(), tmp);
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".npy")).sorted()::iterator) {
                    byte[] orig = Files.readAllBytes(f);
                    if (Npy.parse(orig, f.toString()).floats == null) {
                        continue;
                    }
                    byte[] b = orig.clone();
                    int at = 10 + ((b[8] & 0xff) | (b[9] & 0xff) << 8);
                    ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
                    // Every value, unevenly: one value may not matter (behind a ReLU) and a
                    // constant shift can cancel (softmax, batch norm).
                    for (int i = 0, o = at; o < b.length; i++, o += 4) {
                        buf.putFloat(o, buf.getFloat(o) + 1000f * (1 + i % 3));
                    }
                    Files.write(f, b);
                    if (run(dir).passed()) {
                        survived.add(dir.getFileName() + "/" + f.getFileName());
                    }
                    Files.write(f, orig);
                }
            }
        }
        assertTrue(survived.isEmpty(), "cases still pass with these files perturbed: " + survived);
    }

    @Test
    void aDifferenceWithinToleranceStillPasses(@TempDir Path tmp) throws IOException {
        Path dir = copyCase("relu", tmp);
        editJson(dir, "\"atol\": 0.0", "\"atol\": 0.5");
        assertTrue(run(dir).passed(), run(dir).line());
    }

    @Test
    void anUnknownOpFails(@TempDir Path tmp) throws IOException {
        Path dir = copyCase("relu", tmp);
        editJson(dir, "\"op\": \"relu\"", "\"op\": \"relu6\"");
        assertFails(run(dir), "unknown op 'relu6'");
    }

    @Test
    void anUnknownAttributeFails(@TempDir Path tmp) throws IOException {
        Path dir = copyCase("maxpool_2x2_s2", tmp);
        editJson(dir, "\"attrs\": {", "\"attrs\": {\"ceil_mode\": true, ");
        assertFails(run(dir), "unknown attribute 'ceil_mode' for op 'maxpool2d'");
        Path bn = copyCase("batchnorm2d_eval", tmp);
        editJson(bn, "\"momentum\"", "\"momemtum\"");
        assertFails(run(bn), "unknown attribute 'momemtum'");
    }

    @Test
    void aMissingNpyFileFailsNamingIt(@TempDir Path tmp) throws IOException {
        Path dir = copyCase("linear", tmp);
        Files.delete(dir.resolve("dbias.npy"));
        assertFails(run(dir), "tensor 'dbias'", "missing file dbias.npy");
    }

    @Test
    void anUnusedTensorFails(@TempDir Path tmp) throws IOException {
        Path dir = copyCase("relu", tmp);
        editJson(dir, "\"tensors\": {", "\"tensors\": {\"dweight\": {\"dtype\": \"float32\", \"file\": \"x.npy\","
                + " \"shape\": [2, 50]}, ");
        assertFails(run(dir), "unused tensor 'dweight'");
        // Without dy the expected dx cannot be produced: that is reported, not skipped.
        Path nody = copyCase("global_avgpool", tmp);
        editJson(nody, "\"dy\"", "\"dz\"");
        assertFails(run(nody), "unused tensor 'dx'", "unused tensor 'dz'");
    }

    @Test
    void aCompositeCaseMissingAParameterFails(@TempDir Path tmp) throws IOException {
        Path dir = copyCase("residual_block_identity", tmp);
        editJson(dir, "\"param.bn1.bias\"", "\"param.bn1.bais\"");
        assertFails(run(dir), "no parameter or buffer 'bn1.bais'");
    }

    @Test
    void malformedJsonAndMismatchedShapesFail(@TempDir Path tmp) throws IOException {
        Path dir = copyCase("relu", tmp);
        editJson(dir, "\"op\": \"relu\",", "\"op\": \"relu\",,");
        assertFails(run(dir), "malformed JSON", "case.json: line ");
        Path shape = copyCase("linear", tmp);
        editJson(shape, "\"shape\": [\n    6\n   ]", "\"shape\": [\n    7\n   ]");
        assertFails(run(shape), "case.json says shape [7]");
        Path pad = copyCase("conv2d_same_5x5", tmp);
        editJson(pad, "\"padding\": [\n   2,\n   2\n  ]", "\"padding\": [1, 1]");
        assertFails(run(pad), "attribute 'padding' [1, 1] disagrees with mode 'same'");
        Path none = tmp.resolve("empty");
        Files.createDirectories(none);
        Files.writeString(none.resolve("case.json.txt"), "{}");
        assertFails(ReferenceRunner.run(none, "empty"), "case.json: file not found");
    }

    @Test
    void theCommandPrintsOneLinePerCaseAndASummary(@TempDir Path tmp) throws IOException {
        copyCase("relu", tmp);
        Path bad = copyCase("linear", tmp);
        Files.delete(bad.resolve("y.npy"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = ReferenceCheck.run(java.util.List.of(tmp.toString()), print(out), print(err));
        String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(1, status);
        assertEquals(3, lines.length, String.join("\n", lines));
        assertTrue(lines[0].startsWith("FAIL linear: "), lines[0]);
        assertEquals("PASS relu", lines[1]);
        assertEquals("1 passed, 1 failed", lines[2]);

        assertEquals(0, ReferenceCheck.run(java.util.List.of(tmp.resolve("relu").toString()), print(out), print(err)));
        Path empty = tmp.resolve("nothing");
        Files.createDirectories(empty);
        assertEquals(2, ReferenceCheck.run(java.util.List.of(empty.toString()), print(out), print(err)));
        assertEquals(2, ReferenceCheck.run(java.util.List.of(tmp.resolve("absent").toString()), print(out), print(err)));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("no such directory"), err.toString());
    }

    static PrintStream print(ByteArrayOutputStream b) {
        try {
            return new PrintStream(b, true, StandardCharsets.UTF_8.name());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
