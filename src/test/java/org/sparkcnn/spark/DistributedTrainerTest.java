package org.sparkcnn.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkcnn.data.Dataset;
import org.sparkcnn.data.MiniBatch;
import org.sparkcnn.data.MiniBatchStream;
import org.sparkcnn.data.parquet.ParquetImageReader;
import org.sparkcnn.io.JsonText;
import org.sparkcnn.model.ModelZoo;
import org.sparkcnn.model.Network;
import org.sparkcnn.optim.Sgd;
import org.sparkcnn.tensor.Tensor;
import org.sparkcnn.train.LocalTrainer;
import org.sparkcnn.train.TrainConfig;

/**
 * The distributed trainer in local mode with Kryo's registrationRequired: the oracle (rounds of
 * plain SGD equal single-node steps on the union batch), determinism, retries, resume, guards and
 * the run folder.
 */
class DistributedTrainerTest {
    /** local[2, 2]: two task threads, and a failed task is tried once more. */
    static final String MASTER = "local[2,2]";
    static SparkSession spark;
    static String train, test, three;
    @TempDir
    static Path data;
    @TempDir
    Path out;

    @BeforeAll
    static void start() throws IOException {
        // the importer ships Spark SQL rows with their schema: write the data before requiring registration
        SparkSession writer = SparkTestSessions.local(2, Map.of());
        train = FashionSample.write(writer, data.resolve("train"), "train", 300, 3);
        test = FashionSample.write(writer, data.resolve("test"), "test", 100, 1);
        three = FashionSample.write(writer, data.resolve("three"), "train", 3, 1);
        writer.stop();
        spark = SparkTestSessions.local(2, 2, Map.of("spark.kryo.registrationRequired", "true",
                "spark.kryo.registrator", KryoClasses.class.getName() + "," + TestKryoClasses.class.getName()));
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private TrainConfig config(String... settings) {
        TrainConfig c = TrainConfig.distributed();
        c.set("train", train, "test").set("validation", test, "test").set("output", out.resolve("run").toString(), "test");
        c.set("model", "lenet5", "test").set("batchSize", "16", "test").set("partitions", "2", "test");
        c.set("mean", "0.2860", "test").set("std", "0.3530", "test").set("epochs", "1", "test");
        for (String s : settings) {
            c.set(s, "test");
        }
        return c;
    }

    private static float[] fit(TrainConfig c, boolean resume, int failPartition, StringBuilder log) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            DistributedTrainer t = new DistributedTrainer(c.validate(), new PrintStream(bytes, true, StandardCharsets.UTF_8));
            t.failFirstAttemptOf(failPartition);
            RunFolder.Start start = RunFolder.plan(c.get("output"), resume ? RunFolder.Resume.YES : RunFolder.Resume.NO,
                    false, spark.sparkContext().hadoopConfiguration());
            return t.fit(spark, TrainingData.fromPaths(spark, c), start).state();
        } finally {
            if (log != null) {
                log.append(bytes.toString(StandardCharsets.UTF_8));
            }
        }
    }

    /** A run started on the datasets of {@code c}, for the tests that drive its rounds. */
    static TrainingRun run(TrainConfig c) {
        return TrainingRun.start(spark, c.validate(), TrainingData.fromPaths(spark, c), null);
    }

    /** The partitions' rows of an epoch, in training order (test data is small). */
    private static List<List<Row>> rowsOf(TrainingRun t, int epoch) {
        return t.epochFrame(epoch).javaRDD().glom().collect();
    }

    /**
     * syncEvery = 1, plain SGD: each round is one step on the union of the partitions' batches,
     * weighted by their sizes. Checked for 3 rounds against single-node steps.
     */
    @Test
    void roundsOfPlainSgdEqualSingleNodeStepsOnTheUnionBatch() {
        TrainConfig c = config("momentum=0", "syncEvery=1", "learningRate=0.05");
        try (TrainingRun t = run(c)) {
            List<List<Row>> parts = rowsOf(t, 0);
            Network single = ModelZoo.build("lenet5", 42);
            Sgd sgd = new Sgd(0, 0);
            List<MiniBatchStream> streams = new ArrayList<>();
            for (int p = 0; p < parts.size(); p++) {
                streams.add(new ParquetImageReader(parts.get(p).get(0).schema()).batches(parts.get(p).iterator(),
                        t.readerConfig(0, p)));
            }
            EpochStats stats = new EpochStats();
            for (int round = 0; round < 3; round++) {
                List<float[]> images = new ArrayList<>();
                List<Integer> labels = new ArrayList<>();
                for (MiniBatchStream s : streams) {
                    MiniBatch b = s.next();
                    assertEquals(16, b.size(), "every partition has a full batch in round " + round);
                    images.add(java.util.Arrays.copyOf(b.images.data, b.size() * 784));
                    for (int i = 0; i < b.size(); i++) {
                        labels.add(b.labels[i]);
                    }
                }
                Tensor union = new Tensor(labels.size(), 1, 28, 28);
                int o = 0;
                for (float[] im : images) {
                    System.arraycopy(im, 0, union.data, o, im.length);
                    o += im.length;
                }
                single.forwardLoss(union, labels.stream().mapToInt(Integer::intValue).toArray());
                single.backward();
                sgd.step(single.paramList(), 0.05);

                t.round(t.epochFrame(0), 0, round, stats);
                float[] want = single.parameterVector();
                float[] got = java.util.Arrays.copyOf(t.server().state(), want.length);
                double worst = 0;
                for (int i = 0; i < want.length; i++) {
                    worst = Math.max(worst, Math.abs(want[i] - got[i]));
                }
                // float rounding of per-partition deltas, their weighting and the mean: a few ulps of 0.1
                assertTrue(worst < 2e-6, "round " + round + ": largest difference " + worst);
                assertFalse(java.util.Arrays.equals(want, ModelZoo.build("lenet5", 42).parameterVector()));
            }
        }
    }

    /**
     * Uneven and empty partitions: 3 rows over 4 partitions in one batch each. The sample-weighted
     * mean of the partitions' steps is the step on all 3 rows; an unweighted mean would not be.
     */
    @Test
    void unevenAndEmptyPartitionsAreWeightedBySamples() {
        // a seed whose partitioning puts 2 rows in one partition and 1 in another (and none in two):
        // a mean that ignored sample counts would then differ from the step on all 3 rows
        long seed = 0;
        TrainingRun t = null;
        for (long s = 1; s <= 40 && t == null; s++) {
            TrainConfig c = config("train=" + three, "partitions=4", "momentum=0", "learningRate=0.1", "validation=",
                    "seed=" + s);
            TrainingRun candidate = run(c);
            if (java.util.Arrays.stream(candidate.partitionRows()).max().getAsLong() == 2) {
                t = candidate;
                seed = s;
            } else {
                candidate.close();
            }
        }
        assertTrue(t != null, "no seed in 1..40 partitions 3 rows as 2, 1, 0, 0");
        try (TrainingRun found = t) {
            long[] rows = t.partitionRows();
            assertEquals(3, java.util.Arrays.stream(rows).sum());
            assertTrue(java.util.Arrays.stream(rows).anyMatch(n -> n == 0), java.util.Arrays.toString(rows));
            List<List<Row>> parts = rowsOf(t, 0);
            Tensor union = new Tensor(3, 1, 28, 28);
            int[] labels = new int[3];
            int n = 0;
            for (int p = 0; p < parts.size(); p++) {
                if (parts.get(p).isEmpty()) {
                    continue;
                }
                MiniBatchStream s = new ParquetImageReader(parts.get(p).get(0).schema()).batches(parts.get(p).iterator(),
                        t.readerConfig(0, p));
                MiniBatch b = s.next();
                System.arraycopy(b.images.data, 0, union.data, n * 784, b.size() * 784);
                System.arraycopy(b.labels, 0, labels, n, b.size());
                n += b.size();
            }
            Network single = ModelZoo.build("lenet5", seed);
            single.forwardLoss(union, labels);
            single.backward();
            new Sgd(0, 0).step(single.paramList(), 0.1);
            EpochStats stats = t.trainEpoch(0);
            assertEquals(3, stats.samples);
            float[] want = single.parameterVector();
            float[] got = java.util.Arrays.copyOf(t.server().state(), want.length);
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], got[i], 2e-6, "parameter " + i);
            }
        }
    }

    /** Same seed, data and partitioning: bit-identical; a failed first attempt changes nothing. */
    @Test
    void sameSeedGivesBitIdenticalWeightsAndRetriesChangeNothing() throws IOException {
        TrainConfig c = config("syncEvery=3", "epochs=2", "validation=");
        float[] first = fit(c, false, -1, null);
        float[] again = fit(config("syncEvery=3", "epochs=2", "validation=", "output=" + out.resolve("b")), false, -1, null);
        assertArrayEquals(first, again);
        float[] retried = fit(config("syncEvery=3", "epochs=2", "validation=", "output=" + out.resolve("c")), false, 1, null);
        assertArrayEquals(first, retried);
        float[] otherSeed = fit(config("syncEvery=3", "epochs=2", "validation=", "seed=7", "output=" + out.resolve("d")),
                false, -1, null);
        assertFalse(java.util.Arrays.equals(first, otherSeed));
    }

    /**
     * The recipes' training settings (label smoothing, random erasing on top of crop and flip) reach
     * the partitions, each changes the weights, and the run stays bit-identical, retried or not.
     */
    @Test
    void recipeSettingsReachThePartitionsAndStayDeterministic() throws IOException {
        String[] recipe = {"syncEvery=3", "validation=", "labelSmoothing=0.1", "erasing=0.5", "cropPadding=2", "flip=true"};
        float[] first = fit(config(with(recipe, "output=" + out.resolve("recipe-a"))), false, -1, null);
        float[] retried = fit(config(with(recipe, "output=" + out.resolve("recipe-b"))), false, 0, null);
        assertArrayEquals(first, retried);
        float[] unsmoothed = fit(config(with(recipe, "output=" + out.resolve("recipe-c"), "labelSmoothing=0")), false, -1, null);
        float[] unerased = fit(config(with(recipe, "output=" + out.resolve("recipe-d"), "erasing=0")), false, -1, null);
        assertFalse(java.util.Arrays.equals(first, unsmoothed), "label smoothing changed nothing");
        assertFalse(java.util.Arrays.equals(first, unerased), "erasing changed nothing");
    }

    /**
     * Server momentum moves the weights, stays bit-identical under a retried task, and a run
     * stopped after epoch 1 and resumed ends where the uninterrupted run ends: the checkpoint
     * carries the velocity and the rate that last moved it (the warm-up of 15 steps still rises
     * across the resume after 10).
     */
    @Test
    void serverMomentumIsDeterministicAndResumesBitIdentically() throws IOException {
        String[] slowmo = {"serverMomentum=0.5", "syncEvery=3", "validation=", "schedule=constant", "warmupSteps=15",
            "epochs=3"};
        float[] straight = fit(config(with(slowmo, "output=" + out.resolve("slowmo-a"))), false, -1, null);
        float[] retried = fit(config(with(slowmo, "output=" + out.resolve("slowmo-b"))), false, 1, null);
        assertArrayEquals(straight, retried);
        float[] plain = fit(config(with(slowmo, "output=" + out.resolve("slowmo-c"), "serverMomentum=0")), false, -1, null);
        assertFalse(java.util.Arrays.equals(straight, plain), "server momentum changed nothing");
        String run = out.resolve("slowmo-resumed").toString();
        fit(config(with(slowmo, "output=" + run, "epochs=1")), false, -1, null);
        float[] resumed = fit(config(with(slowmo, "output=" + run)), true, -1, null);
        assertArrayEquals(straight, resumed);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> fit(config(with(slowmo,
                "output=" + run, "epochs=4", "serverMomentum=0.9")), true, -1, null));
        assertTrue(e.getMessage().contains("serverMomentum = 0.5"), e.getMessage());
    }

    private static String[] with(String[] base, String... more) {
        String[] all = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    /** Stopping after epoch 1 and resuming gives what an uninterrupted run gives; a corrupt newest checkpoint is skipped. */
    @Test
    void resumeContinuesBitIdentically() throws IOException {
        float[] straight = fit(config("epochs=3", "optimizer=adam", "learningRate=0.001", "validation=",
                "output=" + out.resolve("straight")), false, -1, null);
        String run = out.resolve("resumed").toString();
        fit(config("epochs=1", "optimizer=adam", "learningRate=0.001", "validation=", "output=" + run), false, -1, null);
        float[] resumed = fit(config("epochs=3", "optimizer=adam", "learningRate=0.001", "validation=", "output=" + run),
                true, -1, null);
        assertArrayEquals(straight, resumed);

        // damage the newest checkpoint: the run goes back to epoch 2's and still ends where it should
        Path newest = out.resolve("resumed/checkpoints/epoch-0003/state.bin");
        byte[] b = Files.readAllBytes(newest);
        b[b.length / 2] ^= 1;
        Files.write(newest, b);
        RunFolder.Start start = RunFolder.plan(run, RunFolder.Resume.YES, false, spark.sparkContext().hadoopConfiguration());
        assertEquals(1, start.skipped().size(), start.skipped().toString());
        assertTrue(start.skipped().get(0).matches("skipping checkpoint epoch-0003: .*corrupt.*"), start.skipped().get(0));
        StringBuilder log = new StringBuilder();
        float[] again = fit(config("epochs=3", "optimizer=adam", "learningRate=0.001", "validation=", "output=" + run),
                true, -1, log);
        assertTrue(log.toString().contains("resuming after epoch 2"), log.toString());
        assertArrayEquals(straight, again);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> fit(config("epochs=4",
                "optimizer=adam", "learningRate=0.001", "validation=", "seed=5", "output=" + run), true, -1, null));
        assertTrue(e.getMessage().contains("seed = 42") && e.getMessage().contains("seed = 5"), e.getMessage());
    }

    /** A diverging run stops with the epoch, round and partition; the checkpoint before it stays usable. */
    @Test
    void nonFiniteLossStopsTheJobAndKeepsTheLastCheckpoint() throws IOException {
        String run = out.resolve("diverge").toString();
        fit(config("epochs=1", "validation=", "output=" + run), false, -1, null);
        Exception e = assertThrows(Exception.class,
                () -> fit(config("epochs=2", "validation=", "learningRate=1e30", "output=" + run), true, -1, null));
        String msg = rootMessage(e);
        assertTrue(msg.matches("(?s)non-finite (loss|update).*epoch 2, round 1, partition \\d.*"), msg);
        assertTrue(Files.exists(out.resolve("diverge/checkpoints/epoch-0001/_MANIFEST.json")));
        assertFalse(Files.exists(out.resolve("diverge/checkpoints/epoch-0002")));
        CheckpointStore store = new CheckpointStore(run + "/checkpoints", spark.sparkContext().hadoopConfiguration());
        assertEquals(1, store.newest(m -> { }).orElseThrow().epoch());
    }

    /**
     * A NaN in one partition's gradient (an injected fault, docs/reliability.md section 5) stops the
     * job with one line naming the epoch, round and partition; the checkpoint before it stays the
     * newest and every saved file holds finite values only.
     */
    @Test
    void aNanGradientInOnePartitionStopsTheJobNamingEpochRoundAndPartition() throws IOException {
        String run = out.resolve("nan").toString();
        fit(config("epochs=1", "validation=", "syncEvery=2", "output=" + run), false, -1, null);
        int faults = 0;
        for (int partition = 0; partition < 2; partition++) {
            DistributedTrainer t = new DistributedTrainer(config("epochs=2", "validation=", "syncEvery=2", "output=" + run)
                    .validate(), null);
            t.inject("nan-gradient:2:3:" + partition);
            RunFolder.Start start = RunFolder.plan(run, RunFolder.Resume.YES, false, spark.sparkContext().hadoopConfiguration());
            Exception e = assertThrows(Exception.class, () -> t.fit(spark, TrainingData.fromPaths(spark,
                    config("epochs=2", "validation=", "syncEvery=2", "output=" + run)), start));
            faults++;
            String msg = rootMessage(e);
            assertTrue(msg.matches("non-finite (loss NaN|update) at epoch 2, round 3, partition " + partition + "[ ,(].*"), msg);
            assertFalse(msg.contains("\n"), msg);
            assertFalse(Files.exists(out.resolve("nan/checkpoints/epoch-0002")));
            CheckpointStore store = new CheckpointStore(run + "/checkpoints", spark.sparkContext().hadoopConfiguration());
            CheckpointStore.Checkpoint c = store.newest(m -> { }).orElseThrow();
            assertEquals(1, c.epoch());
            Network saved = c.file().network();
            for (float[] values : List.of(saved.parameterArray(), saved.bufferArray())) {
                for (float v : values) {
                    assertTrue(Float.isFinite(v));
                }
            }
        }
        assertEquals(2, faults);
    }

    /**
     * Pixels are bytes, so the only way to a non-finite input is a normalisation that overflows: it
     * is refused on the driver before the training set is even cached, naming the channel.
     */
    @Test
    void aNormalisationThatWouldOverflowAPixelIsRefusedBeforeAnyWork() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> run(config("std=1e-44")).close());
        assertTrue(e.getMessage().startsWith("reader configuration: mean[0] = 0.286 and std[0] = 9.8E-45 normalise pixel value 0"
                + " to -Infinity: every pixel must stay a finite number"), e.getMessage());
    }

    private static String rootMessage(Throwable e) {
        String msg = e.getMessage();
        for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
            if (t.getMessage() != null) {
                msg = t.getMessage();
            }
        }
        return msg;
    }

    /** The run folder: metrics.jsonl with the documented fields, checkpoints, the final model; evaluation as on one node. */
    @Test
    void runFolderHoldsMetricsCheckpointsAndModel() throws Exception {
        StringBuilder log = new StringBuilder();
        String run = out.resolve("full").toString();
        fit(config("epochs=2", "syncEvery=5", "output=" + run), false, -1, log);
        List<String> lines = Files.readAllLines(out.resolve("full/metrics.jsonl"));
        assertEquals(2, lines.size());
        for (int i = 0; i < 2; i++) {
            Map<?, ?> m = (Map<?, ?>) JsonText.parse(lines.get(i), "metrics");
            assertEquals(i + 1, ((Number) m.get("epoch")).intValue());
            for (String k : List.of("train_accuracy", "val_accuracy")) {
                double a = ((Number) m.get(k)).doubleValue();
                assertTrue(a >= 0 && a <= 1, k + " = " + a);
            }
            for (String k : List.of("train_loss", "val_loss", "images_per_second")) {
                assertTrue(((Number) m.get(k)).doubleValue() > 0, k);
            }
            assertEquals(10, ((List<?>) m.get("val_confusion")).size());
            assertTrue(((Number) m.get("learning_rate")).doubleValue() > 0 && ((Number) m.get("time")).doubleValue() > 1e9);
        }
        // the same figures as CSV and as TensorBoard scalars
        List<String> csv = Files.readAllLines(out.resolve("full/metrics.csv"));
        assertEquals(3, csv.size(), String.join("\n", csv));
        assertTrue(csv.get(0).startsWith("epoch,train_loss,train_accuracy,val_loss,val_accuracy"), csv.get(0));
        Map<String, Float> tb = MetricsViewsTest.read(Files.readAllBytes(out.resolve(
                "full/tensorboard/events.out.tfevents.sparkcnn")), new java.util.ArrayList<>(), new java.util.ArrayList<>());
        for (int i = 0; i < 2; i++) {
            Map<?, ?> m = (Map<?, ?>) JsonText.parse(lines.get(i), "metrics");
            assertEquals(((Number) m.get("val_accuracy")).floatValue(), tb.get("val_accuracy@" + (i + 1)));
            assertEquals(((Number) m.get("learning_rate")).floatValue(), tb.get("learning_rate@" + (i + 1)));
        }
        assertTrue(log.toString().contains("epoch 2/2  train_loss"), log.toString());
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> fit(config("epochs=2", "syncEvery=5", "output=" + run), false, -1, null));
        assertTrue(refused.getMessage().contains("already holds a run"), refused.getMessage());
        assertTrue(Files.isDirectory(out.resolve("full/checkpoints/epoch-0002")));
        Network model = CheckpointStore.readModel(run + "/model", spark.sparkContext().hadoopConfiguration()).network();

        // the distributed evaluation of the final model equals a single-node one on the same images
        Map<?, ?> last = (Map<?, ?>) JsonText.parse(lines.get(1), "metrics");
        Dataset d = Dataset.fromIdx(data.resolve("test/images.gz"), data.resolve("test/labels.gz"), -1, 0.2860f, 0.3530f, 10);
        LocalTrainer.Stats s = LocalTrainer.evaluate(model, d, 7);
        assertEquals(s.accuracy, ((Number) last.get("val_accuracy")).doubleValue(), 1e-12);
        assertEquals(s.loss, ((Number) last.get("val_loss")).doubleValue(), 1e-5);
    }

    private static List<Map<?, ?>> metricsOf(Path run) throws IOException {
        List<Map<?, ?>> out = new ArrayList<>();
        for (String l : Files.readAllLines(run.resolve("metrics.jsonl"))) {
            out.add((Map<?, ?>) org.sparkcnn.io.JsonText.parse(l, run + "/metrics.jsonl"));
        }
        return out;
    }

    private static int intOf(Map<?, ?> m, String k) {
        return ((Number) m.get(k)).intValue();
    }

    /**
     * minDelta 10 on val_loss: only epoch 1 improves (on +∞), so patience 1 stops after epoch 2 of 4;
     * restoreBest gives the model epoch 1's weights, which its kept checkpoint also holds.
     */
    @Test
    void earlyStoppingStopsAtTheRightEpochAndRestoresTheBestWeights() throws IOException {
        Path run = out.resolve("early");
        StringBuilder log = new StringBuilder();
        float[] state = fit(config("epochs=4", "earlyStopping=true", "patience=1", "minDelta=10", "restoreBest=true",
                "keepCheckpoints=1", "output=" + run), false, -1, log);
        List<Map<?, ?>> m = metricsOf(run);
        assertEquals(2, m.size());
        assertEquals("early", m.get(1).get("stopped"));
        assertEquals(1, intOf(m.get(1), "restored_epoch"));
        assertEquals(1, intOf(m.get(0), "best_epoch"));
        assertTrue(log.toString().contains("stopping early after epoch 2/4: val_loss has not improved for 1 epoch (patience 1);"
                + " best "), log.toString());
        assertEquals(1, log.toString().lines().filter(l -> l.startsWith("stopping early")).count());
        // kept: the last (2) and, for restoreBest, the best (1)
        assertTrue(Files.isDirectory(run.resolve("checkpoints/epoch-0001")) && Files.isDirectory(run.resolve(
                "checkpoints/epoch-0002")));
        var conf = spark.sparkContext().hadoopConfiguration();
        org.sparkcnn.io.ModelFile model = CheckpointStore.readModel(run + "/model", conf);
        assertEquals("1", model.meta().get("restoredEpoch"));
        assertEquals("early", model.meta().get("stopped"));
        CheckpointStore store = new CheckpointStore(run + "/checkpoints", conf);
        float[] best = store.read(1).orElseThrow().file().network().parameterVector();
        assertArrayEquals(best, model.network().parameterVector());
        assertArrayEquals(best, java.util.Arrays.copyOf(state, best.length));
        assertFalse(java.util.Arrays.equals(best, store.read(2).orElseThrow().file().network().parameterVector()));

        // a run that stopped early is finished: resuming trains nothing and keeps the model
        StringBuilder again = new StringBuilder();
        float[] resumed = fit(config("epochs=4", "earlyStopping=true", "patience=1", "minDelta=10", "restoreBest=true",
                "keepCheckpoints=1", "output=" + run), true, -1, again);
        assertTrue(again.toString().contains("nothing to train: the checkpoint is after epoch 2 of 4, where the run stopped"
                + " early"), again.toString());
        assertArrayEquals(state, resumed);
    }

    /** keepCheckpoints=1, keepBest=2: on disk stay the two best epochs by train_loss and the last. */
    @Test
    void keepBestKeepsTheBestCheckpointsByTheMonitorAndTheLast() throws IOException {
        Path run = out.resolve("best");
        fit(config("epochs=5", "validation=", "monitor=train_loss", "keepBest=2", "keepCheckpoints=1",
                "learningRate=0.2", "momentum=0.9", "output=" + run), false, -1, null);
        List<Map<?, ?>> m = metricsOf(run);
        List<Integer> byLoss = new ArrayList<>(List.of(1, 2, 3, 4, 5));
        byLoss.sort(java.util.Comparator.comparingDouble(e -> ((Number) m.get(e - 1).get("train_loss")).doubleValue()));
        java.util.Set<String> want = new java.util.TreeSet<>();
        for (int e : List.of(byLoss.get(0), byLoss.get(1), 5)) {
            want.add(CheckpointStore.name(e));
        }
        java.util.Set<String> got = new java.util.TreeSet<>();
        try (var dirs = Files.list(run.resolve("checkpoints"))) {
            dirs.forEach(d -> got.add(d.getFileName().toString()));
        }
        assertEquals(want, got, "train_loss by epoch: " + m.stream().map(x -> x.get("train_loss")).toList());
    }

    /**
     * The plateau schedule halves the rate every epoch that does not improve (minDelta 10: none
     * after the first) and early stopping ends the run after epoch 4; interrupted after epoch 2
     * (mid-patience, the rate already lowered) and resumed, the run ends bit for bit where the
     * uninterrupted one does, with the same metrics.
     */
    @Test
    void resumeMidPatienceEqualsTheUninterruptedRun() throws IOException {
        String[] settings = {"earlyStopping=true", "patience=3", "minDelta=10", "schedule=plateau", "plateauPatience=0",
                "plateauFactor=0.5", "monitor=train_loss", "validation=", "syncEvery=4", "optimizer=adam",
                "learningRate=0.002"};
        List<String> straightSettings = new ArrayList<>(List.of(settings));
        straightSettings.addAll(List.of("epochs=6", "output=" + out.resolve("plateau-straight")));
        StringBuilder log = new StringBuilder();
        float[] straight = fit(config(straightSettings.toArray(new String[0])), false, -1, log);
        List<Map<?, ?>> m = metricsOf(out.resolve("plateau-straight"));
        assertEquals(4, m.size(), log.toString());
        // a line's rate is that of its epoch: lowered after epoch 2, so from epoch 3 on
        assertEquals(0.002, ((Number) m.get(1).get("learning_rate")).doubleValue(), 1e-12);
        for (int e = 2; e < 4; e++) {
            assertEquals(((Number) m.get(e - 1).get("learning_rate")).doubleValue() / 2,
                    ((Number) m.get(e).get("learning_rate")).doubleValue(), 1e-12, "epoch " + (e + 1));
        }
        assertTrue(log.toString().contains("epoch 2: train_loss has not improved since epoch 1; learning rate reduced to 0.00100000"),
                log.toString());

        Path run = out.resolve("plateau-resumed");
        List<String> part = new ArrayList<>(List.of(settings));
        part.addAll(List.of("epochs=2", "output=" + run));
        fit(config(part.toArray(new String[0])), false, -1, null);
        part.set(part.size() - 2, "epochs=6");
        float[] resumed = fit(config(part.toArray(new String[0])), true, -1, null);
        assertArrayEquals(straight, resumed);
        List<Map<?, ?>> r = metricsOf(run);
        assertEquals(m.size(), r.size());
        for (int e = 0; e < m.size(); e++) {
            for (String k : List.of("train_loss", "learning_rate", "global_step", "best_epoch", "stopped")) {
                assertEquals(m.get(e).get(k), r.get(e).get(k), k + " at epoch " + (e + 1));
            }
        }
    }

    @Test
    void aValidationMonitorWithoutValidationDataFailsBeforeTraining() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> fit(config("validation=", "earlyStopping=true", "output=" + out.resolve("noval")), false, -1, null));
        assertTrue(e.getMessage().startsWith("monitor=val_loss (the default) needs validation data"), e.getMessage());
        assertFalse(Files.exists(out.resolve("noval")));
        // the trainer itself checks the data it is given (the ML stage validates no paths)
        TrainConfig c = config("validation=", "restoreBest=true", "monitor=val_accuracy", "output=" + out.resolve("noval"));
        e = assertThrows(IllegalArgumentException.class, () -> new DistributedTrainer(c, null).fit(spark,
                TrainingData.fromPaths(spark, c), null));
        assertTrue(e.getMessage().startsWith("monitor=val_accuracy needs validation data, and there is none"), e.getMessage());
    }
}
