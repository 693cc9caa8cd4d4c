package org.sparkcnn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkcnn.data.Dataset;
import org.sparkcnn.data.IdxFiles;
import org.sparkcnn.data.IdxReader;
import org.sparkcnn.registry.ModelRegistry;
import org.sparkcnn.registry.RegistryLock;

/**
 * jobs/retrain.sh's main end to end in local mode, on 300 Fashion-MNIST training images and a
 * 100-image holdout: the first run publishes v000001; the same data again publishes nothing; a
 * run on mislabelled data warm-starts from the champion, drops on the holdout by more than the
 * margin and is kept as rejected with the reason; a run while another holds the lock is refused;
 * a run that fails (another network than the champion's) changes nothing; --list, and predict and
 * evaluate with registry:PATH and registry:PATH@N.
 */
class RetrainCliTest {
    @TempDir
    Path dir;

    private static final ObjectMapper JSON = new ObjectMapper();

    private String dataset(String name, String split, int n, boolean shiftLabels) throws Exception {
        String prefix = split.equals("test") ? "t10k" : "train";
        IdxReader.Idx images = IdxReader.read(Dataset.FASHION_DIR.resolve(prefix + "-images-idx3-ubyte.gz"), n);
        IdxReader.Idx labels = IdxReader.read(Dataset.FASHION_DIR.resolve(prefix + "-labels-idx1-ubyte.gz"), n);
        byte[] l = labels.data.clone();
        if (shiftLabels) { // every image labelled as the next class: training on it unlearns the holdout
            for (int i = 0; i < l.length; i++) {
                l[i] = (byte) ((l[i] + 1) % 10);
            }
        }
        Path idx = dir.resolve("idx-" + name);
        Files.createDirectories(idx);
        Path img = IdxFiles.write(idx.resolve("images.gz"), images.data, images.dims);
        Path lab = IdxFiles.write(idx.resolve("labels.gz"), l, labels.dims);
        String out = dir.resolve("data/" + name).toString();
        JobRuns.Result r = JobRuns.importer("idx", "--images", img.toString(), "--labels", lab.toString(), "--out", out,
                "--split", split, "--files", "2", "--master", "local[2]");
        assertEquals(0, r.code(), r.toString());
        return out;
    }

    private static JobRuns.Result retrain(String... args) {
        return JobRuns.inJvm(Retrain::run, args);
    }

    private List<JsonNode> list(String reg) throws Exception {
        JobRuns.Result r = retrain("--registry", reg, "--list");
        assertEquals(0, r.code(), r.toString());
        List<JsonNode> out = new ArrayList<>();
        for (String line : r.out().lines().toList()) {
            out.add(JSON.readTree(line));
        }
        return out;
    }

    @Test
    void publishesOnceRejectsAWorseCandidateWithTheReasonAndRefusesAConcurrentRun() throws Exception {
        String train = dataset("train", "train", 300, false), holdout = dataset("holdout", "test", 100, false);
        String wrong = dataset("wrong", "train", 300, true);
        Path conf = dir.resolve("retrain.properties");
        Files.writeString(conf, String.join("\n", "model = lenet5", "epochs = 3", "batchSize = 32", "partitions = 2",
                "master = local[2]", "learningRate = 0.05", "progressSeconds = 0", ""));
        String reg = dir.resolve("registry").toString();
        String[] base = {"--registry", reg, "--config", conf.toString(), "--holdout", holdout};

        JobRuns.Result first = retrain(concat(base, "--train", train));
        assertEquals(0, first.code(), first.toString());
        assertTrue(first.out().contains("training from scratch") && first.out().contains("published v000001 as the champion"),
                first.toString());

        JobRuns.Result again = retrain(concat(base, "--train", train));
        assertEquals(0, again.code(), again.toString());
        assertTrue(again.out().contains("nothing to do: v000001 (published) was trained on the same data"), again.toString());
        assertEquals(1, list(reg).size(), "the same data and configuration publish once");

        JobRuns.Result worse = retrain(concat(base, "--train", wrong, "--set", "learningRate=0.1", "--margin", "0.005"));
        assertEquals(0, worse.code(), worse.toString());
        assertTrue(worse.out().contains("warm start from the champion v000001"), worse.toString());
        assertTrue(worse.out().contains("rejected v000002, kept as a candidate: holdout accuracy")
                && worse.out().contains("below the champion v000001's") && worse.out().contains("the champion stays v000001"),
                worse.toString());

        List<JsonNode> versions = list(reg);
        assertEquals(2, versions.size(), versions.toString());
        JsonNode v1 = versions.get(0), v2 = versions.get(1);
        assertEquals("champion", v1.get("status").asText());
        assertEquals("rejected", v2.get("status").asText());
        assertTrue(v2.get("reason").asText().contains("more than the margin 0.0050"), v2.toString());
        assertTrue(v1.get("metric").asDouble() - v2.get("metric").asDouble() > 0.005, versions.toString());
        assertEquals(300, v1.get("fingerprint").get("rows").asLong());
        assertEquals(1, v2.get("warm_start").asInt());
        assertTrue(v1.get("reason").isNull());

        // another run holds the lock: refused with one line naming it, nothing changes
        Map<String, String> before = JobRuns.checksums(Path.of(reg));
        ModelRegistry registry = ModelRegistry.open(reg, new Configuration());
        try (RegistryLock held = registry.lock(60_000, "the other run", line -> { })) {
            JobRuns.Result refused = retrain(concat(base, "--train", train, "--force"));
            assertEquals(1, refused.code(), refused.toString());
            List<String> errors = refused.errLines().stream().filter(l -> l.startsWith("error: ")).toList();
            assertEquals(1, errors.size(), refused.toString());
            assertTrue(errors.get(0).contains("is locked by another retraining: pid " + ProcessHandle.current().pid()),
                    refused.toString());
            assertTrue(Files.exists(Path.of(reg, "_LOCK")));
            before.remove("_LOCK");
        }
        assertEquals(before, JobRuns.checksums(Path.of(reg)), "a refused run changes nothing");

        // a run that fails after it started (the champion is another network) changes nothing and frees the lock
        JobRuns.Result failed = retrain(concat(base, "--train", train, "--set", "model=convnet"));
        assertEquals(2, failed.code(), failed.toString());
        assertTrue(failed.err().contains("initModel = registry:") && failed.err().contains("another network"),
                failed.toString());
        assertEquals(before, JobRuns.checksums(Path.of(reg)), "a failed run leaves the champion and the versions");

        // the champion and a version by number, wherever a model is read
        String eval = dir.resolve("eval.json").toString();
        JobRuns.Result e = JobRuns.inJvm(Evaluate::run, "--model", "registry:" + reg, "--input", holdout, "--out", eval,
                "--master", "local[2]");
        assertEquals(0, e.code(), e.toString());
        assertEquals(v1.get("metric").asDouble(), JSON.readTree(Path.of(eval).toFile()).get("accuracy").asDouble(), 1e-12,
                "the champion is v000001, measured as retrain measured it");
        JobRuns.Result p = JobRuns.inJvm(Predict::run, "--model", "registry:" + reg + "@2", "--input", holdout, "--out",
                dir.resolve("pred").toString(), "--master", "local[2]");
        assertEquals(0, p.code(), p.toString());
        assertTrue(p.out().contains("predicted 100 images") && p.out().contains("v000002"), p.toString());
        JobRuns.Result none = JobRuns.inJvm(Predict::run, "--model", "registry:" + reg + "@9", "--input", holdout, "--out",
                dir.resolve("pred9").toString());
        assertEquals(2, none.code(), none.toString());
        assertTrue(none.err().contains("has no complete version 9"), none.toString());
        assertTrue(Files.notExists(Path.of(reg, "_LOCK")));
    }

    @Test
    void badCommandLinesFailWithOneLine() {
        JobRuns.Result help = retrain("--help");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("Usage: jobs/retrain.sh") && help.out().contains("--margin")
                && help.out().contains("Exit codes"), help.out());
        String reg = dir.resolve("reg").toString();
        JobRuns.Result missing = retrain("--registry", reg, "--config", "x.properties");
        assertEquals(2, missing.code(), missing.toString());
        assertTrue(missing.err().startsWith("error: missing option --train"), missing.toString());
        JobRuns.Result metric = retrain("--registry", reg, "--config", "x", "--train", "a", "--holdout", "b", "--metric", "auc");
        assertEquals(2, metric.code(), metric.toString());
        assertTrue(metric.err().contains("--metric takes one of accuracy"), metric.toString());
        JobRuns.Result empty = retrain("--registry", reg, "--list");
        assertEquals(0, empty.code(), empty.toString());
        assertEquals("", empty.out());
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
