package org.sparkcnn.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkcnn.io.ModelFile;
import org.sparkcnn.model.ModelSpec;
import org.sparkcnn.model.Network;
import org.sparkcnn.onnx.OnnxExporter;
import org.sparkcnn.spark.CheckpointStore;

/** jobs/export.sh's main: which paths it takes, what it refuses, and that it leaves nothing half-written. */
class ExportCliTest {
    static final List<String> CLASSES = List.of("a", "b", "c", "d", "e");
    static final float[] MEAN = {0.4f, 0.5f, 0.6f}, STD = {0.2f, 0.25f, 0.3f};

    @TempDir
    Path tmp;

    /** A run folder whose model/ the trainer could have written: resnet20 for 3×32×32, 5 classes. */
    private Network writeRun(Path run) throws IOException {
        Network net = ModelSpec.of("resnet20", new int[] {3, 32, 32}, 5).build(9);
        CheckpointStore.writeModel(run.resolve("model").toString(), new Configuration(),
                out -> ModelFile.write(out, net, null, Map.of(), CLASSES, MEAN, STD));
        return net;
    }

    private static JobRuns.Result export(String... args) {
        return JobRuns.inJvm(Export::run, args);
    }

    @Test
    void exportsARunFolderAModelFolderAndAModelFile() throws IOException, OrtException {
        Path run = tmp.resolve("run");
        Network net = writeRun(run);
        byte[] want = OnnxExporter.export(net, MEAN, STD, CLASSES).toByteArray();
        for (Path model : List.of(run, run.resolve("model"), run.resolve("model/model.bin"))) {
            Path out = tmp.resolve(model.getFileName() + ".onnx");
            JobRuns.Result r = export("--model", model.toString(), "--out", out.toString());
            assertEquals(0, r.code(), r.toString());
            assertTrue(r.out().startsWith("wrote " + out + ": resnet20 for [3, 32, 32] images"), r.out());
            assertArrayEquals(want, Files.readAllBytes(out), model.toString());
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession s = env.createSession(Files.readAllBytes(tmp.resolve("run.onnx")), new OrtSession.SessionOptions())) {
            assertEquals("[\"a\",\"b\",\"c\",\"d\",\"e\"]", s.getMetadata().getCustomMetadata().get("classNames"));
            assertEquals(List.of("logits", "probability"), List.copyOf(s.getOutputNames()));
        }
        assertEquals(List.of("model.bin.onnx", "model.onnx", "run", "run.onnx"), listing(tmp), "no temporary file left");
    }

    @Test
    void aMissingModelIsOneErrorWithExitCode2() {
        Path missing = tmp.resolve("nothing");
        JobRuns.Result r = export("--model", missing.toString(), "--out", tmp.resolve("x.onnx").toString());
        assertEquals(2, r.code(), r.toString());
        assertEquals(List.of("error: model " + missing + " does not exist"), r.errLines());
        JobRuns.Result empty = export("--model", tmp.toString(), "--out", tmp.resolve("x.onnx").toString());
        assertEquals(2, empty.code(), empty.toString());
        assertTrue(empty.err().contains("holds no model.bin, nor model/model.bin or data/model.bin"), empty.toString());
        assertTrue(Files.notExists(tmp.resolve("x.onnx")));
    }

    @Test
    void anExistingOutIsKeptUnlessOverwrite() throws IOException {
        Path run = tmp.resolve("run");
        writeRun(run);
        Path out = tmp.resolve("old.onnx");
        Files.writeString(out, "keep me");
        JobRuns.Result r = export("--model", run.toString(), "--out", out.toString());
        assertEquals(2, r.code(), r.toString());
        assertEquals(List.of("error: --out " + out + " exists: add --overwrite to replace it"), r.errLines());
        assertEquals("keep me", Files.readString(out));
        JobRuns.Result again = export("--model", run.toString(), "--out", out.toString(), "--overwrite");
        assertEquals(0, again.code(), again.toString());
        assertTrue(Files.size(out) > 1000);
    }

    @Test
    void refusesToWriteOverOrIntoTheModel() throws IOException {
        Path run = tmp.resolve("run");
        writeRun(run);
        Path bin = run.resolve("model/model.bin");
        byte[] before = Files.readAllBytes(bin);
        JobRuns.Result r = export("--model", run.toString(), "--out", bin.toString(), "--overwrite");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("lies inside the input --model"), r.toString());
        JobRuns.Result same = export("--model", bin.toString(), "--out", bin.toString(), "--overwrite");
        assertEquals(2, same.code(), same.toString());
        assertTrue(same.err().contains("is the input --model"), same.toString());
        assertArrayEquals(before, Files.readAllBytes(bin));
    }

    @Test
    void aFileWithoutNormalisationNeedsMeanAndStd() throws IOException {
        Network net = ModelSpec.of("lenet5", new int[] {1, 28, 28}, 10).build(2);
        Path bin = tmp.resolve("plain.bin");
        try (OutputStream out = Files.newOutputStream(bin)) {
            ModelFile.write(out, net, null, Map.of());
        }
        Path onnx = tmp.resolve("plain.onnx");
        JobRuns.Result r = export("--model", bin.toString(), "--out", onnx.toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("records no normalisation"), r.toString());
        JobRuns.Result given = export("--model", bin.toString(), "--out", onnx.toString(), "--mean", "0.286",
                "--std", "0.353");
        assertEquals(0, given.code(), given.toString());
        assertArrayEquals(OnnxExporter.export(net, new float[] {0.286f}, new float[] {0.353f}, null).toByteArray(),
                Files.readAllBytes(onnx));
    }

    private static List<String> listing(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
