package org.sparkcnn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.sparkcnn.registry.ModelRegistry;
import org.sparkcnn.registry.RegistryEntry;
import org.sparkcnn.spark.MetricsViewsTest;
import org.sparkcnn.spark.TrainedModel;

/**
 * Driver restart (docs/reliability.md, section 3): jobs/train.sh and jobs/retrain.sh run as users
 * run them, in processes of their own (plain java, local mode), and their driver JVM is SIGKILLed
 * at the pause points of util/Faults. A training run killed right after checkpoint 2 and again
 * while it writes checkpoint 3, then resumed, leaves the bits of the uninterrupted run; a
 * retraining killed before, during and after publishing always leaves a whole champion, and the
 * next run goes on (the dead run's lock is no obstacle).
 */
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class DriverRestartTest {
    private static final Path ROOT = Path.of("").toAbsolutePath();
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The fields of a metrics line that measure wall-clock time: the only ones that may differ. */
    private static final Set<String> WALL_CLOCK = Set.of("images_per_second", "seconds", "train_seconds", "sync_seconds",
            "eval_seconds", "time");
    /** A run's files that are not its results: Spark's log, named after the run's start. */
    private static final Set<String> NOT_RESULTS = Set.of("logs");

    @TempDir
    static Path dir;
    static String train, holdout, conf;
    /** Figures for docs/reliability.md. */
    static long modelFiles, tensorBits;

    @BeforeAll
    static void datasets() throws IOException {
        // Maven has just compiled target/classes: tell jobs/lib.sh, so the scripts do not start a nested build
        assertTrue(Files.isRegularFile(ROOT.resolve("target/classpath.txt")), "run through Maven: mvn test");
        Files.write(ROOT.resolve("target/classes/.built"), new byte[0]);
        train = dataset("train", 192);
        holdout = dataset("test", 64);
        // LeNet-5 with a batch norm, so that buffers (its running statistics) are compared too
        Path model = Files.writeString(dir.resolve("lenet-bn.json"), String.join("\n", "{", "  \"name\": \"lenet-bn\",",
                "  \"layers\": [", "    {\"type\": \"conv\", \"out\": 6, \"kernel\": 5, \"padding\": \"same\"},",
                "    {\"type\": \"batchnorm\"}, \"relu\", {\"type\": \"maxpool\", \"kernel\": 2},",
                "    {\"type\": \"conv\", \"out\": 16, \"kernel\": 5}, \"relu\", {\"type\": \"maxpool\", \"kernel\": 2},",
                "    \"flatten\", {\"type\": \"linear\", \"out\": 32}, \"relu\", {\"type\": \"linear\"}", "  ]", "}", ""));
        conf = Files.writeString(dir.resolve("train.properties"), String.join("\n", "model = " + model,
                "train = " + train, "validation = " + holdout, "output = run", "epochs = 3", "batchSize = 32",
                "optimizer = adam", "learningRate = 0.002", "partitions = 2", "master = local[2]", "seed = 42",
                "progressSeconds = 0", "")).toString();
    }

    private static String dataset(String split, int n) throws IOException {
        Path[] idx = JobRuns.fashionIdx(dir.resolve("idx-" + split), split, n);
        String out = dir.resolve("data/" + split).toString();
        JobRuns.Result r = JobRuns.importer("idx", "--images", idx[0].toString(), "--labels", idx[1].toString(), "--out",
                out, "--split", split, "--files", "2", "--master", "local[2]");
        assertEquals(0, r.code(), r.toString());
        return out;
    }

    // ------------------------------------------------------------------ jobs/train.sh

    @Test
    void aTrainingDriverKilledAfterACheckpointAndWhileWritingTheNextResumesToTheBitsOfTheUninterruptedRun()
            throws Exception {
        Path straight = Files.createDirectories(dir.resolve("straight")), killed = Files.createDirectories(dir.resolve("killed"));
        JobScriptsTest.Run s = script(straight, Map.of(), "train.sh", "--config", conf);
        assertEquals(0, s.code(), s.toString());

        // 1: killed right after checkpoint 2 is complete, before metrics.jsonl has its line
        killAt(killed, "checkpoint-saved-2", "train.sh", "--config", conf);
        Path checkpoints = killed.resolve("run/checkpoints");
        assertEquals(List.of("epoch-0001", "epoch-0002"), list(checkpoints));
        assertEquals(1, Files.readAllLines(killed.resolve("run/metrics.jsonl")).size());

        // 2: resumed, and killed while it writes checkpoint 3: its file is whole, its manifest not yet written
        JobScriptsTest.Run second = killAt(killed, "checkpoint-writing-3", "train.sh", "--config", conf, "--resume");
        assertFalse(String.join("\n", second.err()).contains("differed"), "metrics.jsonl only lagged: " + second);
        List<String> left = list(checkpoints);
        assertEquals(3, left.size(), left.toString());
        assertEquals(List.of("epoch-0001", "epoch-0002"), left.subList(1, 3), left.toString());
        assertTrue(left.get(0).startsWith("_tmp-epoch-0003-"), left.toString());
        assertEquals(List.of("state.bin"), list(checkpoints.resolve(left.get(0))));
        assertEquals(2, Files.readAllLines(killed.resolve("run/metrics.jsonl")).size(), "caught up from checkpoint 2");

        // 3: resumed without faults: from checkpoint 2 again (the unfinished one is not trusted) to the end
        JobScriptsTest.Run r = script(killed, Map.of(), "train.sh", "--config", conf, "--resume");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().stream().anyMatch(l -> l.startsWith("resuming after epoch 2 from ") && l.endsWith("/epoch-0002")),
                r.toString());
        assertEquals(List.of(), r.err().stream().filter(l -> !l.startsWith("WARNING: Using incubator modules")).toList(),
                "no warning: nothing was set aside\n" + r);

        Map<String, Long> differing = compareRuns(straight.resolve("run"), killed.resolve("run"));
        assertEquals(Map.of(), differing, "bits differing between the uninterrupted and the killed run");
        System.out.printf("driver restart, jobs/train.sh: 2 kills; model files compared %d (%s and model), %d tensor bits"
                + " compared, %d differing%n", modelFiles, checkpointsOf(killed.resolve("run")), tensorBits,
                differing.values().stream().mapToLong(Long::longValue).sum());
    }

    /**
     * Every result file of two runs, compared: the same names; model files (checkpoints with the
     * Adam moments and steps, and the final model) with the same tensor bits and headers; the
     * metrics in every form (metrics.jsonl, metrics.csv, the TensorBoard events) and evaluation.json
     * equal but for the wall-clock fields; every other file byte for byte. Returns the bits
     * differing per file, counted in the tensor data of the model files and in whole other files.
     */
    private static Map<String, Long> compareRuns(Path a, Path b) throws Exception {
        Map<String, String> sa = results(a), sb = results(b);
        assertEquals(sa.keySet(), sb.keySet(), "the runs left other files");
        Map<String, Long> differing = new TreeMap<>();
        for (String f : sa.keySet()) {
            Path x = a.resolve(f), y = b.resolve(f);
            long bits = 0;
            if (f.endsWith(".bin")) {
                bits = compareModelFiles(x, y);
            } else if (f.equals("metrics.jsonl")) {
                compareMetrics(Files.readAllLines(x), Files.readAllLines(y), f);
            } else if (f.equals("metrics.csv")) {
                compareCsv(Files.readAllLines(x), Files.readAllLines(y));
            } else if (f.startsWith("tensorboard/")) {
                Map<String, Float> tx = MetricsViewsTest.read(Files.readAllBytes(x), new ArrayList<>(), new ArrayList<>());
                Map<String, Float> ty = MetricsViewsTest.read(Files.readAllBytes(y), new ArrayList<>(), new ArrayList<>());
                tx.keySet().removeIf(DriverRestartTest::wallClockScalar);
                ty.keySet().removeIf(DriverRestartTest::wallClockScalar);
                assertEquals(tx, ty, f + " but for the wall times and " + WALL_CLOCK);
            } else if (f.equals("evaluation.json")) {
                ObjectNode ex = (ObjectNode) JSON.readTree(x.toFile()), ey = (ObjectNode) JSON.readTree(y.toFile());
                ex.remove(WALL_CLOCK);
                ey.remove(WALL_CLOCK);
                assertEquals(ex, ey, f + " but for " + WALL_CLOCK);
            } else if (!f.endsWith("_MANIFEST.json")) { // a manifest holds the CRC of a header with the times: its file is compared
                bits = differingBits(Files.readAllBytes(x), Files.readAllBytes(y));
            }
            if (bits != 0) {
                differing.put(f, bits);
            }
        }
        return differing;
    }

    private static boolean wallClockScalar(String tagAtStep) {
        return WALL_CLOCK.contains(tagAtStep.substring(0, tagAtStep.lastIndexOf('@')));
    }

    /** metrics.csv: the same columns and rows, but for the wall-clock columns. */
    private static void compareCsv(List<String> a, List<String> b) {
        assertEquals(a.size(), b.size(), "metrics.csv rows");
        List<String> columns = List.of(a.get(0).split(",", -1));
        assertEquals(a.get(0), b.get(0), "metrics.csv columns");
        for (int r = 1; r < a.size(); r++) {
            String[] x = a.get(r).split(",", -1), y = b.get(r).split(",", -1);
            for (int c = 0; c < columns.size(); c++) {
                if (!WALL_CLOCK.contains(columns.get(c))) {
                    assertEquals(x[c], y[c], "metrics.csv row " + r + ", " + columns.get(c));
                }
            }
        }
    }

    private static Map<String, String> results(Path run) throws IOException {
        Map<String, String> sums = new TreeMap<>(JobRuns.checksums(run));
        sums.keySet().removeIf(f -> NOT_RESULTS.contains(f.split("/")[0]));
        return sums;
    }

    private static List<String> checkpointsOf(Path run) throws IOException {
        return list(run.resolve("checkpoints"));
    }

    /** Bits differing in the tensor data (0 asserted by the caller); the headers must be equal but for the metrics' times. */
    private static long compareModelFiles(Path a, Path b) throws IOException {
        byte[] x = Files.readAllBytes(a), y = Files.readAllBytes(b);
        int hx = ByteBuffer.wrap(x, 12, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        int hy = ByteBuffer.wrap(y, 12, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        ObjectNode headX = (ObjectNode) JSON.readTree(new String(x, 16, hx, StandardCharsets.UTF_8));
        ObjectNode headY = (ObjectNode) JSON.readTree(new String(y, 16, hy, StandardCharsets.UTF_8));
        String metricsX = headX.with("meta").path("metrics").asText(null), metricsY = headY.with("meta").path("metrics")
                .asText(null);
        if (metricsX != null || metricsY != null) {
            assertTrue(metricsX != null && metricsY != null, a + ": metrics in one header only");
            compareMetrics(metricsX.lines().toList(), metricsY.lines().toList(), a + " (its metrics)");
            headX.with("meta").remove("metrics");
            headY.with("meta").remove("metrics");
        }
        assertEquals(headX, headY, "the headers of " + a + " and " + b + " (tensors, optimizer steps, epoch, config)");
        if (headX.has("optimizer")) {
            assertEquals("adam", headX.get("optimizer").get("name").asText(), a.toString());
            assertTrue(headX.get("optimizer").get("steps").asLong() > 0, a.toString());
        }
        long tensorBytes = x.length - 16 - hx - 4;
        assertEquals(tensorBytes, y.length - 16 - hy - 4, "tensor data of " + a + " and " + b);
        modelFiles++;
        tensorBits += 8 * tensorBytes;
        long bits = 0;
        for (int i = 0; i < tensorBytes; i++) {
            bits += Integer.bitCount((x[16 + hx + i] ^ y[16 + hy + i]) & 0xff);
        }
        return bits;
    }

    private static long differingBits(byte[] x, byte[] y) {
        long bits = 8L * Math.abs(x.length - y.length);
        for (int i = 0; i < Math.min(x.length, y.length); i++) {
            bits += Integer.bitCount((x[i] ^ y[i]) & 0xff);
        }
        return bits;
    }

    /** Lines equal field by field but for the wall-clock ones, which must be there in both. */
    private static void compareMetrics(List<String> a, List<String> b, String what) throws IOException {
        assertEquals(a.size(), b.size(), what + ": lines");
        for (int i = 0; i < a.size(); i++) {
            ObjectNode x = (ObjectNode) JSON.readTree(a.get(i)), y = (ObjectNode) JSON.readTree(b.get(i));
            Set<String> fields = new TreeSet<>();
            x.fieldNames().forEachRemaining(fields::add);
            Set<String> other = new TreeSet<>();
            y.fieldNames().forEachRemaining(other::add);
            assertEquals(fields, other, what + " line " + (i + 1) + ": fields");
            assertTrue(fields.containsAll(WALL_CLOCK), what + ": " + fields);
            x.remove(WALL_CLOCK);
            y.remove(WALL_CLOCK);
            assertEquals(x, y, what + " line " + (i + 1) + " but for " + WALL_CLOCK);
        }
    }

    // ------------------------------------------------------------------ jobs/retrain.sh

    @Test
    void aRetrainingKilledBeforeDuringAndAfterPublishingAlwaysLeavesAWholeChampionAndTheNextRunGoesOn()
            throws Exception {
        Path work = Files.createDirectories(dir.resolve("retrain"));
        String reg = work.resolve("registry").toString();
        Path retrainConf = Files.writeString(work.resolve("retrain.properties"), Files.readString(Path.of(conf))
                .replace("epochs = 3", "epochs = 1"));
        // --margin 1: every candidate is published, so that each kill finds its point
        String[] args = {"--registry", reg, "--config", retrainConf.toString(), "--train", train, "--holdout", holdout,
            "--margin", "1"};
        JobScriptsTest.Run first = script(work, Map.of(), "retrain.sh", args);
        assertEquals(0, first.code(), first.toString());
        assertChampion(reg, 1);

        // before publishing: the version written under its hidden name, not yet renamed into place
        killAt(work, "retrain-staged", "retrain.sh", with(args, "--force"));
        assertChampion(reg, 1);
        assertTrue(list(Path.of(reg)).stream().anyMatch(n -> n.startsWith(".v000002.stage-")), list(Path.of(reg)).toString());
        assertTrue(list(Path.of(reg)).contains(ModelRegistry.LOCK), "the dead run's lock is left");

        // during: v000002 complete and in place, the champion pointer not yet moved to it
        JobScriptsTest.Run during = killAt(work, "registry-pointer-pending", "retrain.sh", with(args, "--force"));
        assertTrue(String.join("\n", during.err()).contains("removed the stale registry lock"), during.toString());
        assertTrue(String.join("\n", during.err()).contains("left by a run that failed while writing it"), during.toString());
        assertChampion(reg, 1);
        assertEquals(RegistryEntry.Status.PUBLISHED, registry(reg).entry(2).orElseThrow().status());

        // after: v000003 published and the champion, the run killed holding the lock
        JobScriptsTest.Run after = killAt(work, "retrain-published", "retrain.sh", with(args, "--force"));
        assertTrue(String.join("\n", after.err()).contains("removed the stale registry lock"), after.toString());
        assertTrue(String.join("\n", after.err()).contains("moved the champion pointer to v000002"), after.toString());
        assertChampion(reg, 3);

        // the next scheduled run: the dead run's lock is removed, and this data was trained already
        JobScriptsTest.Run next = script(work, Map.of(), "retrain.sh", args);
        assertEquals(0, next.code(), next.toString());
        assertTrue(String.join("\n", next.err()).contains("removed the stale registry lock"), next.toString());
        assertTrue(String.join("\n", next.out()).contains("nothing to do: v000003"), next.toString());
        assertChampion(reg, 3);
        assertEquals(List.of(1, 2, 3), registry(reg).versions().stream().map(RegistryEntry::version).toList());
        assertFalse(list(Path.of(reg)).contains(ModelRegistry.LOCK), "the lock is released");
        assertFalse(list(Path.of(reg)).stream().anyMatch(n -> n.startsWith(".")), list(Path.of(reg)).toString());
        System.out.println("driver restart, jobs/retrain.sh: 3 kills (before, during, after publishing), the"
                + " champion checked whole and loadable 5 times, 3 locks of killed runs removed as stale");
    }

    private static ModelRegistry registry(String reg) throws IOException {
        return ModelRegistry.open(reg, new Configuration());
    }

    /** The champion is {@code version}, complete, and loads as a model (its manifest and CRCs checked). */
    private static void assertChampion(String reg, int version) throws IOException {
        ModelRegistry r = registry(reg);
        assertEquals(version, r.championVersion().orElseThrow());
        assertEquals(RegistryEntry.Status.PUBLISHED, r.champion().orElseThrow().status());
        TrainedModel m = TrainedModel.read(ModelRegistry.PREFIX + reg + "@champion", new Configuration());
        assertEquals(10, m.classNames().size());
    }

    private static String[] with(String[] args, String... more) {
        return Stream.concat(Stream.of(args), Stream.of(more)).toArray(String[]::new);
    }

    // ------------------------------------------------------------------ processes

    private static JobScriptsTest.Run script(Path cwd, Map<String, String> env, String name, String... args)
            throws IOException, InterruptedException {
        return Submits.script(cwd, ROOT, true, withLocalDirs(cwd, env), name, args);
    }

    /** Spark's scratch folders under the test's folder: a killed driver cannot remove its own. */
    private static Map<String, String> withLocalDirs(Path cwd, Map<String, String> env) throws IOException {
        Map<String, String> all = new TreeMap<>(env);
        all.put("SPARK_LOCAL_DIRS", Files.createDirectories(cwd.resolve("spark-local")).toString());
        return all;
    }

    /**
     * Starts the script with {@code pause:POINT}, waits for the marker, SIGKILLs the driver JVM
     * (the script's java process, found among its descendants) and returns what the run printed.
     */
    private static JobScriptsTest.Run killAt(Path cwd, String point, String name, String... args) throws Exception {
        Path markers = Files.createDirectories(cwd.resolve("markers-" + point));
        Path out = Files.createTempFile(cwd, "out", ".txt"), err = Files.createTempFile(cwd, "err", ".txt");
        Process p = Submits.start(cwd, ROOT, true, withLocalDirs(cwd, Map.of("SPARKCNN_FAULTS", "pause:" + point,
                "SPARKCNN_FAULT_MARKERS", markers.toString())), out, err, name, args);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(8);
        while (!Files.exists(markers.resolve(point))) {
            if (p.waitFor(100, TimeUnit.MILLISECONDS)) {
                fail(name + " ended before it reached " + point + ": " + Submits.finished(p, out, err));
            }
            if (System.nanoTime() > deadline) {
                p.destroyForcibly();
                fail(name + " did not reach " + point + " in 8 minutes");
            }
        }
        List<ProcessHandle> drivers = new ArrayList<>();
        Stream.concat(Stream.of(p.toHandle()), p.descendants()).filter(h -> h.info().command()
                .map(c -> c.endsWith("/java")).orElse(false)).forEach(drivers::add);
        assertEquals(1, drivers.size(), "the driver JVM among the script's processes");
        assertTrue(drivers.get(0).destroyForcibly(), "SIGKILL");
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the killed script did not end");
        JobScriptsTest.Run r = Submits.finished(p, out, err);
        assertEquals(128 + 9, r.code(), "killed by SIGKILL: " + r);
        return r;
    }

    private static List<String> list(Path folder) throws IOException {
        try (Stream<Path> s = Files.list(folder)) {
            return s.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }
}
