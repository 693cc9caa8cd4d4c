package org.sparkcnn.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkcnn.io.ModelFile;
import org.sparkcnn.io.ModelFileException;
import org.sparkcnn.model.ModelZoo;
import org.sparkcnn.model.Network;
import org.sparkcnn.optim.Sgd;
import org.sparkcnn.spark.CheckpointStore.Checkpoint;
import org.sparkcnn.spark.CheckpointStore.IOWriter;

/** Checkpoints on Hadoop's local file system; damage is done behind the store's back with java.nio. */
class CheckpointStoreTest {
    @TempDir
    Path tmp;
    private final Configuration conf = new Configuration();
    private final List<String> reports = new ArrayList<>();

    /** A lenet5 checkpoint whose weights and metadata say which seed made it. */
    private static IOWriter model(int seed) {
        Network net = ModelZoo.build("lenet5", seed);
        Sgd sgd = new Sgd(0.9, 0);
        sgd.step(net.paramList(), 0.1);
        return out -> ModelFile.write(out, net, sgd, Map.of("seed", Integer.toString(seed)));
    }

    private Path checkpoints() {
        return tmp.resolve("checkpoints");
    }

    private Path epoch(int e) {
        return checkpoints().resolve(String.format("epoch-%04d", e));
    }

    private CheckpointStore store() throws IOException {
        return new CheckpointStore(checkpoints().toString(), conf);
    }

    private static List<String> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private int newestEpoch(CheckpointStore store) throws IOException {
        return store.newest(reports::add).orElseThrow().epoch();
    }

    private static void flipByte(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        b[b.length / 2] ^= 1;
        Files.write(file, b);
    }

    private String onlyReport() {
        assertEquals(1, reports.size(), reports.toString());
        return reports.remove(0);
    }

    @Test
    void savesEpochsAndFindsTheNewest() throws IOException {
        CheckpointStore store = store();
        for (int e = 1; e <= 3; e++) {
            String path = store.save(e, model(e));
            assertEquals("file:" + epoch(e), path);
        }
        assertEquals(List.of("epoch-0001", "epoch-0002", "epoch-0003"), list(checkpoints()));
        assertEquals(List.of("_MANIFEST.json", "state.bin"), list(epoch(3)), "no .crc sidecars, no leftovers");
        Checkpoint c = store.newest(reports::add).orElseThrow();
        assertEquals(3, c.epoch());
        assertEquals("3", c.file().meta().get("seed"));
        assertArrayEquals(ModelZoo.build("lenet5", 3).parameterVector(), c.file().network().parameterVector());
        assertEquals(List.of(), reports);
        // the same directory as a file: URI
        assertEquals(3, newestEpoch(new CheckpointStore(checkpoints().toUri().toString(), conf)));
    }

    @Test
    void incompleteOrCorruptNewerCheckpointsAreReportedAndSkipped() throws IOException {
        CheckpointStore store = store();
        for (int e = 1; e <= 3; e++) {
            store.save(e, model(e));
        }
        Files.delete(epoch(3).resolve("_MANIFEST.json"));
        Files.createDirectories(epoch(4)); // a crash right after creating a direct (object-store) write
        assertEquals(2, newestEpoch(store));
        assertEquals(2, reports.size(), reports.toString());
        assertTrue(reports.get(0).startsWith("skipping checkpoint epoch-0004: "), reports.get(0));
        String r = reports.get(1);
        assertTrue(r.startsWith("skipping checkpoint epoch-0003: file:") && r.contains("/epoch-0003: incomplete: its"
                + " manifest _MANIFEST.json is missing"), r);
        reports.clear();
        Files.delete(epoch(4));

        store.save(3, model(3)); // a rerun replaces the incomplete one
        assertEquals(3, newestEpoch(store));
        flipByte(epoch(3).resolve("state.bin"));
        assertEquals(2, newestEpoch(store));
        assertTrue(onlyReport().matches("skipping checkpoint epoch-0003: .*/epoch-0003: corrupt: the CRC32 of"
                + " state.bin is [0-9a-f]{8}, its _MANIFEST.json says [0-9a-f]{8}"));

        store.save(3, model(3));
        byte[] b = Files.readAllBytes(epoch(3).resolve("state.bin"));
        Files.write(epoch(3).resolve("state.bin"), Arrays.copyOf(b, 1000));
        assertEquals(2, newestEpoch(store));
        assertTrue(onlyReport().endsWith("incomplete or truncated: state.bin holds 1000 bytes, its _MANIFEST.json says "
                + b.length));

        store.save(3, out -> out.write("not a model".getBytes(StandardCharsets.UTF_8)));
        assertEquals(2, newestEpoch(store));
        assertTrue(onlyReport().contains("/epoch-0003/state.bin: not a sparkcnn model file"));

        store.save(3, model(3));
        Files.writeString(epoch(3).resolve("_MANIFEST.json"), "{\"format\":1,\"files\":[");
        assertEquals(2, newestEpoch(store));
        assertTrue(onlyReport().contains("/epoch-0003: corrupt manifest: _MANIFEST.json: line 1"));
    }

    @Test
    void leftoversOfACrashedSaveAreIgnoredAndCleanedByTheNextSave() throws IOException {
        CheckpointStore store = store();
        store.save(1, model(1));
        store.save(2, model(2));
        Path stale = checkpoints().resolve("_tmp-epoch-0003-deadbeef");
        Files.createDirectories(stale);
        for (String f : List.of("state.bin", "_MANIFEST.json")) {
            Files.copy(epoch(2).resolve(f), stale.resolve(f));
        }
        Files.createDirectories(checkpoints().resolve("_old-epoch-0001-cafe"));
        Files.createDirectories(checkpoints().resolve("epoch-3")); // not a name the store writes
        Files.writeString(checkpoints().resolve("epoch-0009"), "a file, not a checkpoint");
        assertEquals(2, newestEpoch(store));
        assertEquals(List.of(), reports);

        store.save(3, model(3));
        assertEquals(List.of("epoch-0001", "epoch-0002", "epoch-0003", "epoch-0009", "epoch-3"), list(checkpoints()));
    }

    @Test
    void replacingAnEpochHappensOnlyOnceTheNewOneIsComplete() throws IOException {
        CheckpointStore store = store();
        store.save(1, model(1));
        store.save(1, model(5));
        assertEquals("5", store.newest(reports::add).orElseThrow().file().meta().get("seed"));
        IOException e = assertThrows(IOException.class, () -> store.save(1, out -> {
            out.write(1);
            assertTrue(Files.exists(epoch(1).resolve("_MANIFEST.json")), "the old checkpoint is still in place");
            throw new IOException("disk full");
        }));
        assertEquals("disk full", e.getMessage());
        assertEquals("5", store.newest(reports::add).orElseThrow().file().meta().get("seed"));
        assertEquals(List.of("epoch-0001"), list(checkpoints()), "the failed write left nothing behind");
        assertEquals(List.of(), reports);
    }

    @Test
    void atomicFileSystemsWriteToATemporaryDirectoryObjectStoresInPlaceManifestLast() throws IOException {
        store().save(1, out -> {
            assertFalse(Files.exists(epoch(1)));
            assertEquals(1, list(checkpoints()).size());
            assertTrue(list(checkpoints()).get(0).startsWith("_tmp-epoch-0001-"), list(checkpoints()).toString());
            model(1).write(out);
        });
        CheckpointStore objectStore = new CheckpointStore(checkpoints().toString(), conf, false);
        objectStore.save(2, out -> {
            assertEquals(List.of("state.bin"), list(epoch(2)));
            model(2).write(out);
        });
        assertEquals(2, newestEpoch(objectStore));
        objectStore.save(2, model(7)); // an existing one is still replaced through a temporary directory
        assertEquals("7", objectStore.newest(reports::add).orElseThrow().file().meta().get("seed"));
        assertEquals(List.of("epoch-0001", "epoch-0002"), list(checkpoints()));
    }

    @Test
    void keepNewestDeletesOlderCompleteCheckpointsButNeverTheNewestValidOne() throws IOException {
        CheckpointStore store = store();
        for (int e = 1; e <= 4; e++) {
            store.save(e, model(e));
        }
        store.keepNewest(0);
        assertEquals(4, list(checkpoints()).size());
        store.keepNewest(2);
        assertEquals(List.of("epoch-0003", "epoch-0004"), list(checkpoints()));

        Files.createDirectories(epoch(1)); // incomplete: left alone
        store.save(5, model(5));
        flipByte(epoch(5).resolve("state.bin"));
        store.keepNewest(1);
        assertEquals(List.of("epoch-0001", "epoch-0004", "epoch-0005"), list(checkpoints()));
        assertEquals(4, newestEpoch(store));
        assertThrows(IllegalArgumentException.class, () -> store.keepNewest(-1));
    }

    @Test
    void missingOrEmptyDirectoryHasNoCheckpoint() throws IOException {
        assertTrue(store().newest(reports::add).isEmpty());
        Files.createDirectories(checkpoints());
        assertTrue(store().newest(reports::add).isEmpty());
        assertEquals(List.of(), reports);
    }

    @Test
    void aDirectoryThatCannotBeCreatedIsNamed() throws IOException {
        Path file = Files.writeString(tmp.resolve("plain-file"), "x");
        String dir = file.resolve("checkpoints").toString();
        IOException e = assertThrows(IOException.class, () -> new CheckpointStore(dir, conf).save(1, model(1)));
        assertTrue(e.getMessage().startsWith("cannot create directory file:" + dir), e.getMessage());
    }

    @Test
    void finalModelRoundTripsThroughItsManifest() throws IOException {
        String dir = tmp.resolve("run/model").toString();
        assertTrue(CheckpointStore.writeModel(dir, conf, model(4)).endsWith("/run/model"));
        assertEquals(List.of("_MANIFEST.json", "model.bin"), list(Path.of(dir)));
        ModelFile f = CheckpointStore.readModel(dir, conf);
        assertEquals("4", f.meta().get("seed"));
        assertArrayEquals(ModelZoo.build("lenet5", 4).parameterVector(), f.network().parameterVector());
        CheckpointStore.writeModel(dir, conf, model(6));
        assertEquals("6", CheckpointStore.readModel(dir, conf).meta().get("seed"));
        assertEquals(List.of("model"), list(tmp.resolve("run")));

        flipByte(Path.of(dir, "model.bin"));
        ModelFileException e = assertThrows(ModelFileException.class, () -> CheckpointStore.readModel(dir, conf));
        assertTrue(e.getMessage().contains("/run/model: corrupt: the CRC32 of model.bin"), e.getMessage());
        String none = tmp.resolve("nothing").toString();
        e = assertThrows(ModelFileException.class, () -> CheckpointStore.readModel(none, conf));
        assertEquals("file:" + none + ": no such directory", e.getMessage());
    }

    /** Every file under {@code root} (relative path to its bytes) and every directory (to null). */
    static Map<String, byte[]> snapshot(Path root) throws IOException {
        Map<String, byte[]> all = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            s.forEach(p -> {
                try {
                    all.put(root.relativize(p).toString(), Files.isDirectory(p) ? null : Files.readAllBytes(p));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
        return all;
    }

    static void assertUnchanged(Map<String, byte[]> before, Path root, String when) throws IOException {
        Map<String, byte[]> after = snapshot(root);
        assertEquals(before.keySet(), after.keySet(), when + ": files appeared or vanished");
        before.forEach((k, v) -> assertArrayEquals(v, after.get(k), when + ": " + k + " changed"));
    }

    /** A lenet5 model file whose header declares conv1 as 46340×46340 (8 GiB), its CRC correct. */
    private static byte[] hugeShape() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        model(1).write(out);
        byte[] ok = out.toByteArray();
        int h = ByteBuffer.wrap(ok).order(ByteOrder.LITTLE_ENDIAN).getInt(12);
        String text = new String(ok, 16, h, StandardCharsets.UTF_8);
        assertTrue(text.contains("[6,1,5,5]"));
        byte[] header = text.replaceFirst("\\[6,1,5,5\\]", "[46340,46340]").getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(ok.length - h + header.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(ok, 0, 12).putInt(header.length).put(header).put(ok, 16 + h, ok.length - 16 - h);
        CRC32 crc = new CRC32();
        crc.update(b.array(), 0, b.capacity() - 4);
        return b.putInt(b.capacity() - 4, (int) crc.getValue()).array();
    }

    @Test
    void aDamagedCheckpointOrModelIsNamedAndNothingOnDiskChanges() throws IOException {
        CheckpointStore store = store();
        store.save(1, model(1));
        store.save(2, model(2));
        Path modelDir = tmp.resolve("run/model");
        CheckpointStore.writeModel(modelDir.toString(), conf, model(3));
        Path state = epoch(2).resolve("state.bin"), bin = modelDir.resolve("model.bin");
        String qualifiedState = "file:" + state, qualifiedModel = "file:" + modelDir;

        // a flipped byte: the manifest's CRC32 catches it
        flipByte(state);
        flipByte(bin);
        Map<String, byte[]> before = snapshot(tmp);
        assertEquals(1, newestEpoch(store));
        assertTrue(onlyReport().startsWith("skipping checkpoint epoch-0002: file:" + epoch(2)
                + ": corrupt: the CRC32 of state.bin is "));
        ModelFileException e = assertThrows(ModelFileException.class, () -> CheckpointStore.readModel(
                modelDir.toString(), conf));
        assertTrue(e.getMessage().startsWith(qualifiedModel + ": corrupt: the CRC32 of model.bin is "), e.getMessage());
        assertUnchanged(before, tmp, "reading a corrupt checkpoint and model");

        // a file the manifest agrees with, whose header declares 8 GiB: the length check names the file
        store.save(2, out -> out.write(hugeShape()));
        CheckpointStore.writeModel(modelDir.toString(), conf, out -> out.write(hugeShape()));
        before = snapshot(tmp);
        assertEquals(1, newestEpoch(store));
        String r = onlyReport();
        assertTrue(r.startsWith("skipping checkpoint epoch-0002: " + qualifiedState + ": the file is "
                + Files.size(state) + " bytes, but its header's tensor shapes make it "), r);
        e = assertThrows(ModelFileException.class, () -> CheckpointStore.readModel(modelDir.toString(), conf));
        assertTrue(e.getMessage().startsWith(qualifiedModel + "/model.bin: the file is "), e.getMessage());
        assertEquals(qualifiedModel + "/model.bin", e.source());
        assertUnchanged(before, tmp, "reading a checkpoint and model with a lying header");

        // truncated behind the manifest's back
        Files.write(bin, Arrays.copyOf(Files.readAllBytes(bin), 100));
        before = snapshot(tmp);
        e = assertThrows(ModelFileException.class, () -> CheckpointStore.readModel(modelDir.toString(), conf));
        assertEquals(qualifiedModel + ": incomplete or truncated: model.bin holds 100 bytes, its _MANIFEST.json says "
                + hugeShape().length, e.getMessage());
        assertUnchanged(before, tmp, "reading a truncated model");
        assertEquals(List.of(), reports);
    }

    /** A checkpoint with a NaN is refused by the model file's writer: the store keeps the previous one as it was. */
    @Test
    void aNonFiniteCheckpointIsNeverSavedAndTheLastGoodOneStays() throws IOException {
        CheckpointStore store = store();
        store.save(1, model(1));
        Network net = ModelZoo.build("lenet5", 2);
        net.paramList().get(0).value.data[net.paramList().get(0).value.offset] = Float.NaN;
        ArithmeticException e = assertThrows(ArithmeticException.class,
                () -> store.save(2, out -> ModelFile.write(out, net, null, Map.of())));
        assertTrue(e.getMessage().contains("never holds a non-finite value"), e.getMessage());
        assertEquals(List.of("epoch-0001"), list(checkpoints()), "the refused write left nothing behind");
        assertEquals(1, newestEpoch(store));
        String model = tmp.resolve("model").toString();
        assertThrows(ArithmeticException.class, () -> CheckpointStore.writeModel(model, conf,
                out -> ModelFile.write(out, net, null, Map.of())));
        assertFalse(Files.exists(tmp.resolve("model")), "nor a final model");
        assertEquals(List.of(), reports);
    }
}
