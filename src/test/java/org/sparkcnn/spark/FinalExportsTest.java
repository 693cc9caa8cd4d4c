package org.sparkcnn.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkcnn.layer.Param;
import org.sparkcnn.model.Network;
import org.sparkcnn.reference.Npy;
import org.sparkcnn.train.TrainConfig;

/**
 * A finished run's exports (FinalExports), with Kryo's registrationRequired: evaluation.json is the
 * final model's evaluation on the validation set (the last epoch's figures, as evaluate.sh's JSON),
 * the misclassified sample holds the very pixels and labels of misclassified validation images,
 * filters.npy the model file's first convolution, run.json the run; without validation data only
 * the latter two.
 */
class FinalExportsTest {
    static SparkSession spark;
    static String train, test;
    @TempDir
    static Path data;
    @TempDir
    Path out;
    private static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void start() throws IOException {
        SparkSession writer = SparkTestSessions.local(2, Map.of());
        train = FashionSample.write(writer, data.resolve("train"), "train", 200, 2);
        test = FashionSample.write(writer, data.resolve("test"), "test", 150, 2);
        writer.stop();
        spark = SparkTestSessions.local(2, Map.of("spark.kryo.registrationRequired", "true",
                "spark.kryo.registrator", KryoClasses.class.getName() + "," + TestKryoClasses.class.getName()));
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private String fit(String validation, String run) throws IOException {
        TrainConfig c = TrainConfig.distributed();
        c.set("train", train, "test").set("validation", validation, "test").set("output", run, "test");
        c.set("model", "lenet5", "test").set("batchSize", "16", "test").set("partitions", "2", "test");
        c.set("epochs", "1", "test").set("evalBatchSize", "32", "test");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        new DistributedTrainer(c.validate(), new PrintStream(log, true, StandardCharsets.UTF_8)).fit(spark,
                TrainingData.fromPaths(spark, c), RunFolder.Start.fresh(run));
        return log.toString(StandardCharsets.UTF_8);
    }

    @Test
    void theFinalModelIsEvaluatedAndItsFiguresExported() throws IOException {
        Path run = out.resolve("run");
        String log = fit(test, run.toString());
        JsonNode eval = JSON.readTree(run.resolve(FinalExports.EVALUATION).toFile());
        List<String> lines = Files.readAllLines(run.resolve(MetricsLog.FILE));
        JsonNode last = JSON.readTree(lines.get(lines.size() - 1));
        assertEquals(150, eval.get("images").asInt());
        assertEquals(last.get("val_accuracy").asDouble(), eval.get("accuracy").asDouble(), 1e-12,
                "the final model is the last epoch's");
        assertEquals(last.get("val_loss").asDouble(), eval.get("loss").asDouble(), 1e-5);
        assertEquals(last.get("val_confusion"), eval.get("confusion").get("matrix"));
        assertEquals(run.resolve("model/model.bin").toString(), Path.of(eval.get("model").asText()).toString()
                .replace("file:", ""));
        assertEquals(test, eval.get("input").asText());
        assertEquals(10, eval.get("per_class").size());
        assertEquals("Trouser", eval.get("per_class").get(1).get("class").asText());
        for (String field : List.of("top_k_accuracy", "macro_avg", "weighted_avg", "images_per_second")) {
            assertTrue(eval.has(field), field);
        }
        assertTrue(log.contains("confusion matrix (rows: true class"), log);
        assertTrue(log.contains("     Trouser "), "the per-class table is in the log:\n" + log);

        // the misclassified sample: the very images, with their labels, in validation order
        long wrong = 150 - Math.round(eval.get("accuracy").asDouble() * 150);
        JsonNode mis = JSON.readTree(run.resolve(FinalExports.MISCLASSIFIED_JSON).toFile());
        int n = mis.get("images").size();
        assertEquals(Math.min(wrong, FinalExports.SAMPLES), n);
        assertTrue(n > 0, "an epoch on 200 images misclassifies some of 150");
        byte[] npy = Files.readAllBytes(run.resolve(FinalExports.MISCLASSIFIED));
        assertEquals(Npy.encode(new int[] {n, 28, 28, 1}, new byte[n * 784]).length, npy.length);
        String header = new String(npy, 10, 118, StandardCharsets.ISO_8859_1);
        assertTrue(header.startsWith("{'descr': '|u1', 'fortran_order': False, 'shape': (" + n + ", 28, 28, 1), }"), header);
        int dataStart = npy.length - n * 784;
        Map<String, Row> byOrigin = new HashMap<>();
        for (Row r : spark.read().parquet(test).select("image.origin", "image.data", "label").collectAsList()) {
            byOrigin.put(r.getString(0), r);
        }
        for (int i = 0; i < n; i++) {
            JsonNode m = mis.get("images").get(i);
            Row r = byOrigin.get(m.get("origin").asText());
            assertEquals(r.getInt(2), m.get("label").asInt(), m.toString());
            assertNotEquals(m.get("label").asInt(), m.get("predicted").asInt(), m.toString());
            double p = m.get("probability").asDouble();
            assertTrue(p >= 0.1 - 1e-6 && p <= 1, "the predicted class is the likeliest of 10: " + m);
            assertArrayEquals((byte[]) r.get(1), Arrays.copyOfRange(npy, dataStart + i * 784, dataStart + (i + 1) * 784),
                    "pixels of " + m);
        }

        assertFiltersAndRun(run, 1);
    }

    @Test
    void withoutValidationOnlyTheFiltersAndTheRunAreWritten() throws IOException {
        Path run = out.resolve("noval");
        fit("", run.toString());
        assertFalse(Files.exists(run.resolve(FinalExports.EVALUATION)));
        assertFalse(Files.exists(run.resolve(FinalExports.MISCLASSIFIED)));
        assertFiltersAndRun(run, 1);
    }

    /** filters.npy is the model file's first convolution; run.json names the model, epochs and partitions. */
    private static void assertFiltersAndRun(Path run, int epochs) throws IOException {
        Network net = TrainedModel.read(run.toString(), spark.sparkContext().hadoopConfiguration()).network();
        String name = net.params().keySet().iterator().next();
        assertTrue(name.endsWith("conv1.weight"), name);
        Param conv = net.params().get(name);
        Npy filters = Npy.read(run.resolve(FinalExports.FILTERS));
        assertArrayEquals(new int[] {6, 1, 5, 5}, filters.shape());
        assertArrayEquals(Arrays.copyOfRange(conv.value.data, conv.value.offset, conv.value.offset + 150), filters.floats);
        JsonNode r = JSON.readTree(run.resolve(FinalExports.RUN).toFile());
        assertEquals("lenet5", r.get("model").asText());
        assertEquals(net.numParameters(), r.get("parameters").asInt());
        assertEquals(epochs, r.get("epochs").asInt());
        assertEquals(2, r.get("partitions").asInt());
        assertEquals(name, r.get("filters").get("parameter").asText());
        assertEquals("16", r.get("config").get("batchSize").asText());
    }
}
