package org.sparkcnn.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeSet;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkcnn.io.JsonText;
import org.sparkcnn.io.ModelFile;
import org.sparkcnn.model.ModelZoo;
import org.sparkcnn.model.Network;
import org.sparkcnn.optim.Sgd;
import org.sparkcnn.registry.DataFingerprint;
import org.sparkcnn.registry.ModelRegistry;
import org.sparkcnn.registry.RegistryEntry;
import org.sparkcnn.registry.RegistryLock;

/**
 * Issue 15, item 4 (docs/reliability.md): generated damage to what a run keeps on disk, its
 * checkpoints, its final model and a model registry. Truncations at every section boundary and at
 * seeded random points, flipped bits in header, data and CRC, lying headers and manifests (their
 * CRCs recomputed, so only the structural checks can catch them), and files swapped between
 * checkpoints, runs and versions. Every one must be rejected by every reader that touches it, with
 * the damaged file named: {@code newest} and {@link RunFolder#plan} fall back to the previous good
 * checkpoint; readModel, {@link TrainedModel} (predict, evaluate, export, warm start) and the
 * registry (champion, {@code @N}, --list) fail; and no read changes a byte on disk. The files are
 * written by the real writers (lenet5 with SGD state), without Spark. io/ModelFileCorruptionTest
 * covers the model file format alone in more depth (sizes, allocation).
 */
class CorruptionsTest {
    @TempDir
    static Path tmp;
    private static final Configuration CONF = new Configuration();
    /** Per kind of damage: {tried, rejected}, over the class; printed at the end for docs/reliability.md. */
    private static final Map<String, int[]> COUNTS = new LinkedHashMap<>();
    private static final List<String> CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
            "Shirt", "Sneaker", "Bag", "Ankle boot");
    private static final String MANIFEST = ManifestDir.MANIFEST;

    private final Random random = new Random(15);

    /** One damage: files to write over the pristine ones (null deletes), and what each failing reader must name. */
    private record Damage(String kind, String what, Map<Path, byte[]> files, String named) {
    }

    // ------------------------------------------------------------------ the files

    /** A lenet5 model file as the trainer writes it after {@code epoch} epochs; seeds make runs and epochs differ. */
    private static byte[] modelFile(int seed, int epoch, boolean withState) throws IOException {
        Network net = ModelZoo.build("lenet5", seed * 100L + epoch);
        Random r = new Random(seed * 100L + epoch);
        net.paramList().forEach(p -> {
            for (int i = 0; i < p.grad.size(); i++) {
                p.grad.data[p.grad.offset + i] = (float) r.nextGaussian();
            }
        });
        Sgd sgd = new Sgd(0.9, 0);
        sgd.step(net.paramList(), 0.1); // momentum buffers that are not all zero, as after training
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("epoch", Integer.toString(epoch));
        meta.put("partitions", "2");
        meta.put("config", "model=lenet5\nseed=" + seed + "\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ModelFile.write(out, net, withState ? sgd : null, meta, CLASSES, new float[] {0.286f}, new float[] {0.353f});
        return out.toByteArray();
    }

    private static int le(byte[] b, int at) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt(at);
    }

    /** Where a model file's parts start: magic, version, header length, header, each tensor, the CRC, and its end. */
    private static List<Integer> sections(byte[] f) {
        int h = le(f, 12);
        Map<?, ?> header = (Map<?, ?>) JsonText.parse(new String(f, 16, h, StandardCharsets.UTF_8), "header");
        List<Integer> at = new ArrayList<>(List.of(0, 8, 12, 16));
        int pos = 16 + h;
        for (Object t : (List<?>) header.get("tensors")) {
            at.add(pos);
            int n = 1;
            for (Object d : (List<?>) ((Map<?, ?>) t).get("shape")) {
                n *= ((Number) d).intValue();
            }
            pos += 4 * n;
        }
        at.add(pos);
        at.add(pos + 4);
        assertEquals(f.length, pos + 4, "the sections add up to the file");
        return at;
    }

    /** The manifest ManifestDir writes for {@code content} under {@code name}. */
    private static byte[] manifest(String name, byte[] content) {
        CRC32 crc = new CRC32();
        crc.update(content);
        return manifestText(name, content.length, crc.getValue(), crc32c(content));
    }

    private static long crc32c(byte[] content) {
        CRC32C c = new CRC32C();
        c.update(content);
        return c.getValue();
    }

    private static byte[] manifestText(String name, long length, long crc, long crc32c) {
        var m = JsonText.object().put("format", 1);
        m.putArray("files").addObject().put("name", name).put("length", length).put("crc32", crc).put("crc32c", crc32c);
        return (JsonText.write(m) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /** {@code f} with its trailing CRC32 recomputed, as a careful forger (or a bug in a writer) would. */
    private static byte[] recrc(byte[] f) {
        byte[] b = f.clone();
        CRC32 crc = new CRC32();
        crc.update(b, 0, b.length - 4);
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length - 4, (int) crc.getValue());
        return b;
    }

    /** {@code f} with another header (its length field updated) and a recomputed CRC. */
    private static byte[] withHeader(byte[] f, String header) {
        int h = le(f, 12);
        byte[] text = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(f.length - h + text.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(f, 0, 12).putInt(text.length).put(text).put(f, 16 + h, f.length - 16 - h);
        return recrc(b.array());
    }

    private static String header(byte[] f) {
        return new String(f, 16, le(f, 12), StandardCharsets.UTF_8);
    }

    private static byte[] flip(byte[] f, int at, int bit) {
        byte[] b = f.clone();
        b[at] ^= (byte) (1 << bit);
        return b;
    }

    private static byte[] put(byte[] f, int at, byte[] bytes) {
        byte[] b = f.clone();
        System.arraycopy(bytes, 0, b, at, bytes.length);
        return b;
    }

    private static byte[] leInt(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] read(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ------------------------------------------------------------------ damage to a model file with its manifest

    /**
     * Damage to {@code dir}/{@code name} (a model file) and its manifest: truncations, bit flips and
     * lying headers, each with the manifest as written (it catches them) and rewritten to match (so
     * the model file's own checks must), and a damaged or lying manifest.
     */
    private List<Damage> fileAndManifest(String target, Path dir, String name) {
        Path file = dir.resolve(name), man = dir.resolve(MANIFEST);
        byte[] f = read(file), m = read(man);
        assertArrayEquals(manifest(name, f), m, "the test writes manifests as ManifestDir does");
        List<Damage> out = new ArrayList<>();
        List<Integer> sections = sections(f);
        TreeSet<Integer> boundaries = new TreeSet<>();
        for (int s : sections) {
            for (int d = -1; d <= 1; d++) {
                if (s + d >= 0 && s + d < f.length) {
                    boundaries.add(s + d);
                }
            }
        }
        TreeSet<Integer> randomCuts = new TreeSet<>();
        while (randomCuts.size() < 25) {
            randomCuts.add(random.nextInt(f.length));
        }
        int headerEnd = sections.get(4), crcAt = f.length - 4;
        // every bit of the preamble's bytes once, then seeded positions in header, data and CRC
        List<int[]> headerFlips = new ArrayList<>(), dataFlips = new ArrayList<>(), crcFlips = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            headerFlips.add(new int[] {i, random.nextInt(8)});
        }
        while (headerFlips.size() < 40) {
            headerFlips.add(new int[] {16 + random.nextInt(headerEnd - 16), random.nextInt(8)});
        }
        while (dataFlips.size() < 40) {
            dataFlips.add(new int[] {headerEnd + random.nextInt(crcAt - headerEnd), random.nextInt(8)});
        }
        while (crcFlips.size() < 8) {
            crcFlips.add(new int[] {crcAt + random.nextInt(4), random.nextInt(8)});
        }
        for (boolean rewrite : new boolean[] {false, true}) {
            String how = rewrite ? " (manifest rewritten to match)" : " (manifest as written)";
            for (int cut : boundaries) {
                out.add(damage(target + ": " + name + " truncated at a section boundary" + how, "cut at " + cut, file,
                        Arrays.copyOf(f, cut), rewrite, name));
            }
            for (int cut : randomCuts) {
                out.add(damage(target + ": " + name + " truncated at a random point" + how, "cut at " + cut, file,
                        Arrays.copyOf(f, cut), rewrite, name));
            }
            for (var flips : List.of(headerFlips, dataFlips, crcFlips)) {
                String part = flips == headerFlips ? "preamble or header" : flips == dataFlips ? "tensor data" : "CRC";
                for (int[] x : flips) {
                    out.add(damage(target + ": " + name + " bit flipped in its " + part + how, "byte " + x[0] + " bit "
                            + x[1], file, flip(f, x[0], x[1]), rewrite, name));
                }
            }
        }
        // lying headers, their CRC and the manifest recomputed: the structure alone must give them away
        String h = header(f);
        Map<String, byte[]> lies = new LinkedHashMap<>();
        for (int d : new int[] {1, -1, 4, -4, 1000}) {
            lies.put("header length " + (d > 0 ? "+" : "") + d, recrc(put(f, 12, leInt(le(f, 12) + d))));
        }
        lies.put("header length 0", recrc(put(f, 12, leInt(0))));
        lies.put("header length the whole file", recrc(put(f, 12, leInt(f.length))));
        lies.put("header length 2^31-1", recrc(put(f, 12, leInt(Integer.MAX_VALUE))));
        lies.put("header length -1", recrc(put(f, 12, leInt(-1))));
        lies.put("magic SPARKCNM", recrc(put(f, 0, utf8("SPARKCNM"))));
        lies.put("magic sparkcnn", recrc(put(f, 0, utf8("sparkcnn"))));
        for (int v : new int[] {0, 1, 3, 99, -2}) {
            lies.put("version " + v, recrc(put(f, 8, leInt(v))));
        }
        lies.put("a shape with more values", withHeader(f, h.replaceFirst("\\[6,1,5,5\\]", "[6,1,5,6]")));
        lies.put("a shape with fewer values", withHeader(f, h.replaceFirst("\\[6,1,5,5\\]", "[6,1,5,4]")));
        lies.put("a bias with one more value", withHeader(f, h.replaceFirst("\\[6\\]", "[7]")));
        lies.put("a bias with one fewer value", withHeader(f, h.replaceFirst("\\[6\\]", "[5]")));
        lies.put("a shape of 2^31-1 values", withHeader(f, h.replaceFirst("\\[6,1,5,5\\]", "[2147483647]")));
        lies.put("a tensor fewer than the data", withHeader(f, h.replaceFirst(
                "\\{\"name\":\"conv1.bias\",\"role\":\"param\",\"shape\":\\[6\\]\\},\n", "")));
        lies.put("a tensor more than the data", withHeader(f, h.replaceFirst("\\{\"name\":\"conv1.bias\"",
                "{\"name\":\"conv1.extra\",\"role\":\"param\",\"shape\":[6]},\n{\"name\":\"conv1.bias\"")));
        lies.put("a tensor named twice", withHeader(f, h.replaceFirst("\"conv1.bias\"", "\"conv1.weight\"")));
        lies.put("11 classes for 10 class names", withHeader(f, h.replaceFirst("\"classes\":10", "\"classes\":11")));
        lies.put("a header that is not JSON", withHeader(f, h.replaceFirst("\"tensors\":\\[", "\"tensors\":[[")));
        lies.put("bytes after the CRC", recrc(Arrays.copyOf(f, f.length + 4)));
        lies.forEach((what, bytes) -> {
            assertTrue(!Arrays.equals(bytes, f), what + " changes the file");
            out.add(damage(target + ": lying " + name + " header (CRC and manifest recomputed)", what, file, bytes, true,
                    name));
        });
        // the manifest: truncated at every byte, flipped bits, lying fields, missing
        for (int cut = 0; cut < m.length - 1; cut++) { // without its final newline, the JSON is whole
            out.add(new Damage(target + ": " + MANIFEST + " truncated", "cut at " + cut, Map.of(man, Arrays.copyOf(m, cut)),
                    MANIFEST));
        }
        for (int i = 0; i < 24; i++) {
            int at = random.nextInt(m.length - 1), bit = random.nextInt(8); // the last byte is its newline
            out.add(new Damage(target + ": " + MANIFEST + " bit flipped", "byte " + at + " bit " + bit,
                    Map.of(man, flip(m, at, bit)), MANIFEST));
        }
        CRC32 crc = new CRC32();
        crc.update(f);
        long c = crc.getValue(), cc = crc32c(f);
        Map<String, byte[]> lying = new LinkedHashMap<>();
        for (long d : new long[] {1, -1, 4, -4}) {
            lying.put("length " + (d > 0 ? "+" : "") + d, manifestText(name, f.length + d, c, cc));
        }
        lying.put("length 0", manifestText(name, 0, c, cc));
        lying.put("length 2^53", manifestText(name, 1L << 53, c, cc));
        lying.put("length -1", manifestText(name, -1, c, cc));
        lying.put("CRC32 + 1", manifestText(name, f.length, (c + 1) & 0xffffffffL, cc));
        lying.put("CRC32 0", manifestText(name, f.length, 0, cc));
        lying.put("CRC32 2^32", manifestText(name, f.length, 1L << 32, cc));
        lying.put("CRC32C + 1", manifestText(name, f.length, c, (cc + 1) & 0xffffffffL));
        lying.put("CRC32C -1", manifestText(name, f.length, c, -1));
        lying.put("CRC32C a string", utf8(new String(m, StandardCharsets.UTF_8).replaceFirst("\"crc32c\":(\\d+)",
                "\"crc32c\":\"$1\"")));
        lying.put("another file's name", manifestText("other.bin", f.length, c, cc));
        lying.put("a path for a name", manifestText("../" + name, f.length, c, cc));
        lying.put("format 2", utf8(new String(m, StandardCharsets.UTF_8).replace("\"format\":1", "\"format\":2")));
        lying.put("format \"1\"", utf8(new String(m, StandardCharsets.UTF_8).replace("\"format\":1", "\"format\":\"1\"")));
        lying.put("no files", utf8("{\"format\":1,\"files\":[]}\n"));
        lying.put("a second, missing file", utf8(new String(m, StandardCharsets.UTF_8).replace("}]}",
                "},{\"name\":\"extra.bin\",\"length\":4,\"crc32\":0}]}")));
        lying.put("a duplicate key", utf8(new String(m, StandardCharsets.UTF_8).replace("{\"format\":1,",
                "{\"format\":1,\"format\":1,")));
        lying.put("an array", utf8("[]\n"));
        lying.forEach((what, bytes) -> out.add(new Damage(target + ": lying " + MANIFEST, what, Map.of(man, bytes),
                what.startsWith("length") || what.startsWith("CRC") ? name : MANIFEST)));
        Map<Path, byte[]> missing = new LinkedHashMap<>();
        missing.put(man, null);
        out.add(new Damage(target + ": " + MANIFEST + " missing", "deleted", missing, MANIFEST));
        Map<Path, byte[]> noFile = new LinkedHashMap<>();
        noFile.put(file, null);
        out.add(new Damage(target + ": " + name + " missing", "deleted", noFile, name));
        return out;
    }

    /** {@code file} replaced by {@code bytes}, the manifest kept or rewritten to match them. */
    private static Damage damage(String kind, String what, Path file, byte[] bytes, boolean rewriteManifest,
            String named) {
        Map<Path, byte[]> files = new LinkedHashMap<>();
        files.put(file, bytes);
        if (rewriteManifest) {
            files.put(file.resolveSibling(MANIFEST), manifest(file.getFileName().toString(), bytes));
        }
        return new Damage(kind, what, files, named);
    }

    private static Map<Path, byte[]> files(Object... pathsAndBytes) {
        Map<Path, byte[]> m = new LinkedHashMap<>();
        for (int i = 0; i < pathsAndBytes.length; i += 2) {
            m.put((Path) pathsAndBytes[i], (byte[]) pathsAndBytes[i + 1]);
        }
        return m;
    }

    // ------------------------------------------------------------------ applying damage, checking readers

    /** A reader of what was damaged: it must fail, naming the file, or (for a run) fall back. */
    @FunctionalInterface
    private interface Check {
        /** Null when the damage was rejected as it should be, else what went wrong. */
        String run(Damage d) throws Exception;
    }

    /** Applies each damage, runs the checks, checks that no read changed a byte, and restores the files. */
    private void apply(List<Damage> damages, Path root, List<Check> checks) throws IOException {
        List<String> accepted = new ArrayList<>();
        for (Damage d : damages) {
            Map<Path, byte[]> pristine = new LinkedHashMap<>();
            d.files().forEach((p, bytes) -> {
                pristine.put(p, Files.exists(p) ? read(p) : null);
            });
            for (var e : d.files().entrySet()) {
                if (e.getValue() == null) {
                    Files.deleteIfExists(e.getKey());
                } else {
                    Files.createDirectories(e.getKey().getParent());
                    Files.write(e.getKey(), e.getValue());
                }
            }
            var before = CheckpointStoreTest.snapshot(root);
            List<String> problems = new ArrayList<>();
            for (Check c : checks) {
                String problem;
                try {
                    problem = c.run(d);
                } catch (Exception e) {
                    problem = "threw " + e;
                }
                if (problem != null) {
                    problems.add(problem);
                }
            }
            CheckpointStoreTest.assertUnchanged(before, root, d.kind() + ", " + d.what());
            for (var e : pristine.entrySet()) {
                if (e.getValue() == null) {
                    Files.deleteIfExists(e.getKey());
                    try (var left = Files.list(e.getKey().getParent())) {
                        if (left.findAny().isEmpty()) {
                            Files.delete(e.getKey().getParent());
                        }
                    }
                } else {
                    Files.write(e.getKey(), e.getValue());
                }
            }
            int[] n = COUNTS.computeIfAbsent(d.kind(), k -> new int[2]);
            n[0]++;
            if (problems.isEmpty()) {
                n[1]++;
            } else {
                accepted.add(d.kind() + ", " + d.what() + ": " + String.join("; ", problems));
            }
        }
        assertEquals(List.of(), accepted, accepted.size() + " of " + damages.size() + " damaged files not rejected");
    }

    /** A check that {@code read} throws an IOException naming {@code where} and the damaged file. */
    private static Check fails(String reader, String where, Reader read) {
        return d -> {
            Object got;
            try {
                got = read.read();
            } catch (IOException e) {
                String m = e.getMessage();
                return m != null && m.contains(where) && m.contains(d.named()) && !m.contains("\n") ? null
                        : reader + " failed without naming " + where + " and " + d.named() + ": " + m;
            }
            return reader + " accepted it silently: " + got;
        };
    }

    @FunctionalInterface
    private interface Reader {
        Object read() throws IOException;
    }

    // ------------------------------------------------------------------ the tests

    @Test
    void aDamagedCheckpointIsSkippedNamingItAndTheRunResumesFromThePreviousGoodOne() throws IOException {
        Path run = tmp.resolve("run");
        CheckpointStore store = new CheckpointStore(run.resolve("checkpoints").toString(), CONF);
        for (int e = 1; e <= 3; e++) {
            byte[] bytes = modelFile(1, e, true);
            store.save(e, out -> out.write(bytes));
        }
        Path e1 = run.resolve("checkpoints/epoch-0001"), e2 = run.resolve("checkpoints/epoch-0002"),
                e3 = run.resolve("checkpoints/epoch-0003");
        String state = CheckpointStore.STATE;
        List<Damage> damages = new ArrayList<>(fileAndManifest("checkpoint", e3, state));
        byte[] s1 = read(e1.resolve(state)), s2 = read(e2.resolve(state)), m1 = read(e1.resolve(MANIFEST)),
                m2 = read(e2.resolve(MANIFEST)), other = modelFile(2, 3, true), model = modelFile(1, 3, false);
        String swap = "checkpoint: files swapped between checkpoints and runs";
        damages.add(new Damage(swap, "epoch 2's state.bin and manifest in epoch-0003",
                files(e3.resolve(state), s2, e3.resolve(MANIFEST), m2), state));
        damages.add(new Damage(swap, "epoch 1's state.bin and manifest in epoch-0003",
                files(e3.resolve(state), s1, e3.resolve(MANIFEST), m1), state));
        damages.add(new Damage(swap, "epoch 2's state.bin with epoch 3's manifest", files(e3.resolve(state), s2), state));
        damages.add(new Damage(swap, "epoch 2's manifest with epoch 3's state.bin", files(e3.resolve(MANIFEST), m2),
                state));
        damages.add(new Damage(swap, "another run's epoch-3 state.bin with this run's manifest",
                files(e3.resolve(state), other), state));
        damages.add(new Damage(swap, "the final model (no optimiser state) as state.bin",
                files(e3.resolve(state), model), state));
        damages.add(new Damage(swap, "the final model's folder (model.bin and manifest) as epoch-0003",
                files(e3.resolve(state), null, e3.resolve(CheckpointStore.MODEL), model, e3.resolve(MANIFEST),
                        manifest(CheckpointStore.MODEL, model)), state));
        apply(damages, run, List.of(
                resumesFrom(store, run, 2, List.of("epoch-0003")),
                fails("read(3)", "epoch-0003", () -> store.read(3))));

        // the two newest damaged: back to epoch 1, both named
        String two = "checkpoint: the two newest checkpoints damaged";
        List<Damage> both = List.of(
                new Damage(two, "epoch 3 truncated, epoch 2 bit-flipped", files(e3.resolve(state),
                        Arrays.copyOf(read(e3.resolve(state)), 1000), e2.resolve(state), flip(s2, s2.length / 2, 3)),
                        state),
                new Damage(two, "epoch 3's manifest gone, epoch 2's state.bin gone",
                        files(e3.resolve(MANIFEST), null, e2.resolve(state), null), "epoch-000"),
                new Damage(two, "epoch 2's content in epoch 3, epoch 1's in epoch 2", files(e3.resolve(state), s2,
                        e3.resolve(MANIFEST), m2, e2.resolve(state), s1, e2.resolve(MANIFEST), m1), state));
        apply(both, run, List.of(resumesFrom(store, run, 1, List.of("epoch-0003", "epoch-0002"))));

        // a manifest written before CRC32C was added still reads
        CRC32 crc = new CRC32();
        byte[] s3 = read(e3.resolve(state));
        crc.update(s3);
        var old = JsonText.object().put("format", 1);
        old.putArray("files").addObject().put("name", state).put("length", s3.length).put("crc32", crc.getValue());
        Files.write(e3.resolve(MANIFEST), utf8(JsonText.write(old) + "\n"));
        assertEquals(3, store.newest(line -> { }).orElseThrow().epoch());
    }

    /**
     * newest() and RunFolder.plan(--resume) both give epoch {@code epoch} (untouched: its state says
     * so) and one line for each of {@code skipped}, naming it and the damaged file.
     */
    private static Check resumesFrom(CheckpointStore store, Path run, int epoch, List<String> skipped) {
        return d -> {
            List<String> reports = new ArrayList<>();
            Optional<CheckpointStore.Checkpoint> c = store.newest(reports::add);
            RunFolder.Start start = RunFolder.plan(run.toString(), RunFolder.Resume.YES, false, CONF);
            for (var got : List.of(c, start.checkpoint())) {
                if (got.isEmpty() || got.get().epoch() != epoch || !Integer.toString(epoch).equals(got.get().file().meta()
                        .get("epoch"))) {
                    return "resumed from " + got.map(x -> "epoch " + x.epoch()).orElse("nothing") + ", not epoch " + epoch;
                }
            }
            for (var lines : List.of(reports, start.skipped())) {
                if (lines.size() != skipped.size()) {
                    return "skipped " + lines + ", expected " + skipped;
                }
                for (int i = 0; i < lines.size(); i++) {
                    String l = lines.get(i);
                    if (!l.startsWith("skipping checkpoint " + skipped.get(i) + ": ") || l.contains("\n")
                            || !l.contains(d.named())
                            || !(l.contains(CheckpointStore.STATE) || l.contains(MANIFEST))) {
                        return "skipped without naming the damaged file: " + l;
                    }
                }
            }
            return null;
        };
    }

    @Test
    void aDamagedFinalModelIsRefusedByEveryModelReaderNamingIt() throws IOException {
        Path run = tmp.resolve("modelrun"), dir = run.resolve("model");
        byte[] model = modelFile(1, 3, false);
        CheckpointStore.writeModel(dir.toString(), CONF, out -> out.write(model));
        String bin = CheckpointStore.MODEL;
        List<Damage> damages = new ArrayList<>(fileAndManifest("final model", dir, bin));
        byte[] other = modelFile(2, 3, false), state = modelFile(1, 3, true);
        String swap = "final model: files swapped between runs and checkpoints";
        damages.add(new Damage(swap, "another run's model.bin with this run's manifest", files(dir.resolve(bin), other),
                bin));
        damages.add(new Damage(swap, "another run's manifest with this run's model.bin",
                files(dir.resolve(MANIFEST), manifest(bin, other)), bin));
        damages.add(new Damage(swap, "the last checkpoint's state.bin as model.bin", files(dir.resolve(bin), state), bin));
        damages.add(new Damage(swap, "the last checkpoint's folder as model/", files(dir.resolve(bin), null,
                dir.resolve(CheckpointStore.STATE), state, dir.resolve(MANIFEST), manifest(CheckpointStore.STATE, state)),
                bin));
        List<Check> readers = List.of(
                fails("CheckpointStore.readModel", "model", () -> CheckpointStore.readModel(dir.toString(), CONF)),
                fails("TrainedModel.read(run folder)", "model", () -> TrainedModel.read(run.toString(), CONF)),
                fails("TrainedModel.read(model folder)", "model", () -> TrainedModel.read(dir.toString(), CONF)),
                // a model file read as a file has no manifest: its own checks must see damage to it
                d -> d.files().containsKey(dir.resolve(bin)) && d.files().get(dir.resolve(bin)) != null
                        && !d.kind().contains("swapped") ? fails("TrainedModel.readFile(model.bin)", "model", () ->
                        TrainedModel.readFile(dir.resolve(bin).toString(), CONF)).run(d) : null);
        apply(damages, run, readers);
    }

    @Test
    void aDamagedRegistryFileIsRefusedNamingItAndNeverServedAsTheChampion() throws Exception {
        Path reg = tmp.resolve("registry");
        ModelRegistry r = ModelRegistry.open(reg.toString(), CONF);
        try (RegistryLock lock = r.lock(60_000, "test", line -> { })) {
            for (int v = 1; v <= 3; v++) {
                Path data = tmp.resolve("data-" + v); // each version trained on new data
                Files.createDirectories(data);
                Files.writeString(data.resolve("part-0.parquet"), "rows of day " + v);
                DataFingerprint fp = DataFingerprint.of(r.fs(), new org.apache.hadoop.fs.Path(data.toString()),
                        DataFingerprint.Mode.METADATA, 300);
                ModelRegistry.Staged s = r.stage(lock);
                byte[] model = modelFile(v, 2, false);
                CheckpointStore.writeModel(new org.apache.hadoop.fs.Path(s.dir(), ModelRegistry.MODEL).toString(), CONF,
                        out -> out.write(model));
                r.write(s, ModelRegistry.CONFIG, utf8("model=lenet5\nseed=" + v + "\n"));
                r.write(s, ModelRegistry.METRICS, utf8("{\"accuracy\":0." + (80 + v) + "}\n"));
                r.write(s, ModelRegistry.TRAINING_METRICS, utf8("{\"epoch\":1,\"seed\":" + v + "}\n"));
                r.write(s, ModelRegistry.FINGERPRINT, utf8(JsonText.write(fp.json(JsonText.MAPPER)) + "\n"));
                boolean published = v < 3;
                r.commit(s, new RegistryEntry(v, published ? RegistryEntry.Status.PUBLISHED : RegistryEntry.Status.REJECTED,
                        "accuracy", 0.8 + v / 100.0, v == 1 ? null : v - 1, v == 1 ? null : 0.81, 0.005,
                        published ? null : "worse", fp.id(), "cfg", v == 1 ? null : v - 1, 1_700_000_000_000L + v), lock);
            }
        }
        assertEquals(2, r.championVersion().orElseThrow());
        Path v1 = reg.resolve("v000001"), v2 = reg.resolve("v000002"), champion = reg.resolve(ModelRegistry.CHAMPION);
        Path entry = v2.resolve(ModelRegistry.ENTRY);
        byte[] e = read(entry), p = read(champion);
        List<Damage> damages = new ArrayList<>();
        // entry.json: truncated at each line's start and end (one field a line) and at random points, bits flipped
        TreeSet<Integer> cuts = new TreeSet<>();
        for (int i = 0; i < e.length; i++) {
            if (e[i] == '\n') {
                for (int d = -1; d <= 1; d++) {
                    cuts.add(Math.max(0, Math.min(e.length - 1, i + d)));
                }
            }
        }
        cuts.add(0);
        while (cuts.size() < 75) {
            cuts.add(random.nextInt(e.length));
        }
        for (int cut : cuts) {
            damages.add(new Damage("registry: entry.json truncated", "cut at " + cut, files(entry, Arrays.copyOf(e, cut)),
                    "v000002/entry.json"));
        }
        for (int i = 0; i < 60; i++) {
            int at = random.nextInt(e.length - 1), bit = random.nextInt(8);
            damages.add(new Damage("registry: entry.json bit flipped", "byte " + at + " bit " + bit,
                    files(entry, flip(e, at, bit)), "v000002/entry.json"));
        }
        String text = new String(e, StandardCharsets.UTF_8);
        Map<String, String> lies = new LinkedHashMap<>();
        lies.put("its seal removed", text.replaceFirst(",\\s*\"crc32\"\\s*:\\s*\\d+", ""));
        lies.put("its seal + 1", text.replaceFirst("\"crc32\" : (\\d+)", "\"crc32\" : 1$1"));
        lies.put("its seal a string", text.replaceFirst("\"crc32\" : (\\d+)", "\"crc32\" : \"$1\""));
        lies.put("another metric", text.replaceFirst("\"metric\" : [0-9.]+", "\"metric\" : 0.5"));
        lies.put("an unknown key", text.replaceFirst("\\{", "{\"note\":1,"));
        lies.put("files not an object", text.replaceFirst("\"files\" : \\{[^}]*\\}", "\"files\" : []"));
        lies.put("a file more", text.replaceFirst("\"files\" : \\{", "\"files\" : {\"extra.txt\":0,"));
        lies.forEach((what, t) -> {
            assertTrue(!t.equals(text), what);
            damages.add(new Damage("registry: lying entry.json", what, files(entry, utf8(t)), "v000002/"));
        });
        damages.add(new Damage("registry: lying entry.json", "v000001's entry.json in v000002",
                files(entry, read(v1.resolve(ModelRegistry.ENTRY))), "v000002/entry.json"));
        // the version's other files, each damaged, deleted or swapped with v000001's
        for (String f : List.of(ModelRegistry.CONFIG, ModelRegistry.METRICS, ModelRegistry.TRAINING_METRICS,
                ModelRegistry.FINGERPRINT, ModelRegistry.MODEL + "/" + MANIFEST)) {
            Path file = v2.resolve(f);
            byte[] b = read(file);
            String kind = "registry: a version's " + (f.contains("/") ? f : "small") + " file damaged";
            damages.add(new Damage(kind, f + " truncated to half", files(file, Arrays.copyOf(b, b.length / 2)), f));
            damages.add(new Damage(kind, f + " emptied", files(file, new byte[0]), f));
            for (int i = 0; i < 2; i++) {
                int at = random.nextInt(b.length), bit = random.nextInt(8);
                damages.add(new Damage(kind, f + " byte " + at + " bit " + bit, files(file, flip(b, at, bit)), f));
            }
            damages.add(new Damage(kind, f + " deleted", files(file, null), f));
            damages.add(new Damage("registry: files swapped between versions", "v000001's " + f + " in v000002",
                    files(file, read(v1.resolve(f))), f));
        }
        damages.add(new Damage("registry: files swapped between versions", "v000001's model/ in v000002",
                files(v2.resolve("model/" + MANIFEST), read(v1.resolve("model/" + MANIFEST)), v2.resolve("model/model.bin"),
                        read(v1.resolve("model/model.bin"))), MANIFEST));
        // the model file: caught by its manifest when the model is read
        Path bin = v2.resolve("model/model.bin");
        byte[] m = read(bin);
        List<Damage> modelDamage = new ArrayList<>();
        String mk = "registry: the champion's model.bin damaged";
        modelDamage.add(new Damage(mk, "truncated to half", files(bin, Arrays.copyOf(m, m.length / 2)), "model.bin"));
        for (int i = 0; i < 6; i++) {
            int at = random.nextInt(m.length), bit = random.nextInt(8);
            modelDamage.add(new Damage(mk, "byte " + at + " bit " + bit, files(bin, flip(m, at, bit)), "model.bin"));
        }
        modelDamage.add(new Damage(mk, "v000001's model.bin in v000002", files(bin, read(v1.resolve("model/model.bin"))),
                "model.bin"));
        // the champion pointer
        List<Damage> pointer = new ArrayList<>();
        for (int cut = 0; cut < p.length - 1; cut++) {
            pointer.add(new Damage("registry: champion pointer truncated", "cut at " + cut,
                    files(champion, Arrays.copyOf(p, cut)), "champion"));
        }
        for (int i = 0; i < 40; i++) {
            int at = random.nextInt(p.length - 1), bit = random.nextInt(8);
            pointer.add(new Damage("registry: champion pointer bit flipped", "byte " + at + " bit " + bit,
                    files(champion, flip(p, at, bit)), "champion"));
        }
        Map<String, byte[]> sealed = new LinkedHashMap<>();
        for (int v : new int[] {3, 4, 9, 0, -1}) {
            sealed.put("names v" + v, pointerTo(v));
        }
        sealed.put("names v4, a folder without entry.json", pointerTo(4));
        sealed.forEach((what, bytes) -> {
            Map<Path, byte[]> fs = files(champion, bytes);
            if (what.contains("without")) {
                fs.put(reg.resolve("v000004/" + ModelRegistry.CONFIG), utf8("model=lenet5\n"));
            }
            pointer.add(new Damage("registry: lying champion pointer", what, fs, "champion"));
        });
        pointer.add(new Damage("registry: lying champion pointer", "an array", files(champion, utf8("[2]\n")), "champion"));
        pointer.add(new Damage("registry: lying champion pointer", "version a string",
                files(champion, utf8("{\"version\":\"2\"}\n")), "champion"));
        pointer.add(new Damage("registry: lying champion pointer", "an unknown key",
                files(champion, utf8("{\"version\":2,\"by\":\"me\"}\n")), "champion"));
        pointer.add(new Damage("registry: lying champion pointer", "its seal wrong", files(champion,
                utf8(new String(p, StandardCharsets.UTF_8).replaceFirst("\"crc32\":(\\d+)", "\"crc32\":1$1"))), "champion"));

        String reg0 = ModelRegistry.PREFIX + reg;
        Check champ = fails("registry:PATH (the champion)", "registry", () -> TrainedModel.read(reg0, CONF));
        Check at2 = fails("registry:PATH@2", "registry", () -> TrainedModel.read(reg0 + "@2", CONF));
        Check list = fails("--list", "registry", () -> ModelRegistry.open(reg.toString(), CONF).listing());
        Check retrain = fails("the champion retraining warm-starts from", "registry",
                () -> ModelRegistry.open(reg.toString(), CONF).champion());
        apply(damages, reg, List.of(champ, at2, list, retrain));
        apply(modelDamage, reg, List.of(champ, at2));
        apply(pointer, reg, List.of(champ, list, retrain));
        // old registries stay readable: an entry.json and a pointer written before seals
        var old = JsonText.object().put("version", 2);
        Files.write(champion, utf8(JsonText.write(old) + "\n"));
        var tree = (com.fasterxml.jackson.databind.node.ObjectNode) JsonText.MAPPER.readTree(e);
        tree.remove("crc32");
        tree.remove("files");
        Files.write(entry, utf8(JsonText.write(tree)));
        assertEquals(2, r.championVersion().orElseThrow());
        assertEquals(2, r.champion().orElseThrow().version());
        assertEquals(3, r.listing().size());
    }

    /** A sealed pointer, as the registry writes it, naming version {@code v}. */
    private static byte[] pointerTo(int v) {
        var n = JsonText.object().put("version", v);
        CRC32 crc = new CRC32();
        crc.update(utf8(JsonText.write(n)));
        return utf8(JsonText.write(n.put("crc32", crc.getValue())) + "\n");
    }

    @AfterAll
    static void printCounts() {
        int tried = 0, rejected = 0;
        System.out.println("damage kind | tried | rejected");
        for (var e : COUNTS.entrySet()) {
            System.out.println(e.getKey() + " | " + e.getValue()[0] + " | " + e.getValue()[1]);
            tried += e.getValue()[0];
            rejected += e.getValue()[1];
        }
        System.out.println("total | " + tried + " | " + rejected);
        assertTrue(tried >= 200, "at least 200 corruptions, tried " + tried);
    }
}
