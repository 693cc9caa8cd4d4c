package org.sparkcnn.spark;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.lit;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.ml.feature.StringIndexer;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkcnn.data.parquet.DatasetInfo;
import org.sparkcnn.data.parquet.IdxImporter;
import org.sparkcnn.data.parquet.ParquetImageReader;
import org.sparkcnn.io.JsonText;
import org.sparkcnn.io.ModelFile;
import org.sparkcnn.train.TrainConfig;

/**
 * Training on DataFrames (the Spark ML stage's way in): {@link TrainingData#fromFrames} with other
 * column names, {@code fit} without a run folder, and the content-hash identity that makes the
 * result independent of how the input frame is partitioned.
 */
class TrainingDataTest {
    static SparkSession spark;
    static String train, test;
    @TempDir
    static Path data;

    @BeforeAll
    static void start() throws IOException {
        SparkSession writer = SparkTestSessions.local(2, Map.of());
        train = FashionSample.write(writer, data.resolve("train"), "train", 200, 2);
        test = FashionSample.write(writer, data.resolve("test"), "test", 60, 1);
        writer.stop();
        spark = SparkTestSessions.local(2, Map.of("spark.kryo.registrationRequired", "true",
                "spark.kryo.registrator", KryoClasses.class.getName() + "," + TestKryoClasses.class.getName()));
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** A Parquet dataset as an arbitrary DataFrame: image in 'img', label in 'y', a column of its own. */
    private static Dataset<Row> frame(String path) {
        return spark.read().parquet(path).withColumnRenamed("image", "img").withColumnRenamed("label", "y")
                .withColumn("extra", lit(1));
    }

    private static TrainConfig config() {
        TrainConfig c = TrainConfig.distributed();
        c.set("model", "lenet5", "test").set("batchSize", "16", "test").set("partitions", "2", "test");
        c.set("epochs", "2", "test").set("syncEvery", "3", "test");
        return c;
    }

    private static TrainingResult fit(TrainingData d) throws IOException {
        return new DistributedTrainer(config(), null).fit(spark, d, null);
    }

    @Test
    void framesTrainWithoutARunFolderKeepTheHistoryAndDoNotDependOnPartitioning() throws IOException {
        TrainingData d = TrainingData.fromFrames(frame(train), "img", "y", frame(test), 0, 42, null);
        assertEquals(IdxImporter.FASHION_CLASSES, d.classNames());
        assertArrayEquals(new int[] {1, 28, 28}, d.inputShape());
        assertNull(d.source());
        // the one pass over the frame sums what the import summed into _stats.json
        DatasetInfo stored = DatasetInfo.read(spark, train);
        assertArrayEquals(stored.mean, d.mean(), 1e-12);
        assertArrayEquals(stored.std, d.std(), 1e-12);

        TrainingResult r = fit(d);
        assertEquals(2, r.epochs());
        assertEquals(IdxImporter.FASHION_CLASSES, r.classNames());
        assertEquals(2, r.metricsLines().size());
        for (int i = 0; i < 2; i++) {
            Map<?, ?> m = (Map<?, ?>) JsonText.parse(r.metricsLines().get(i), "metrics");
            assertEquals(i + 1, ((Number) m.get("epoch")).intValue());
            double acc = ((Number) m.get("val_accuracy")).doubleValue();
            assertTrue(acc >= 0 && acc <= 1, "val_accuracy " + acc);
        }
        assertArrayEquals(stored.meanFor(1), r.mean());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        r.writeModel(bytes);
        ModelFile f = ModelFile.read(new ByteArrayInputStream(bytes.toByteArray()), "result");
        assertEquals("2", f.meta().get("epoch"));
        assertArrayEquals(r.network().parameterVector(), f.network().parameterVector());

        TrainingResult again = fit(TrainingData.fromFrames(frame(train), "img", "y", frame(test), 0, 42, null));
        assertArrayEquals(r.state(), again.state());
        assertEquals(r.metricsLines().get(1).replaceAll("\"(images_per_second|seconds|time|\\w+_seconds)\":[^,]*,", ""),
                again.metricsLines().get(1).replaceAll("\"(images_per_second|seconds|time|\\w+_seconds)\":[^,]*,", ""));
        TrainingResult repartitioned = fit(TrainingData.fromFrames(frame(train).repartition(3), "img", "y",
                frame(test).repartition(2), 0, 42, null));
        assertArrayEquals(r.state(), repartitioned.state());
    }

    @Test
    void aMissingOrWrongColumnIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainingData.fromFrames(frame(train), "picture", "y", null, 0, 42, null));
        assertTrue(e.getMessage().contains("no column 'picture'") && e.getMessage().contains("image column"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> TrainingData.fromFrames(frame(train), "extra", "y", null, 0, 42, null));
        assertTrue(e.getMessage().contains("'extra'") && e.getMessage().contains("not a struct"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> TrainingData.fromFrames(frame(train), "img", "y", null, 1, 42, null));
        assertTrue(e.getMessage().contains("validationFraction"), e.getMessage());
    }

    @Test
    void classNamesComeFromTheCallerTheLabelMetadataOrTheLabels() {
        // the label without metadata: "0" … the largest label
        Dataset<Row> plain = frame(train).withColumn("y", col("y").cast("double"));
        assertEquals(List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"),
                TrainingData.fromFrames(plain, "img", "y", null, 0, 42, null).classNames());
        List<String> given = List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j");
        assertEquals(given, TrainingData.fromFrames(plain, "img", "y", null, 0, 42, given).classNames());
        // StringIndexer's nominal attribute: its labels, most frequent first
        Column[] names = IdxImporter.FASHION_CLASSES.stream().map(n -> lit(n)).toArray(Column[]::new);
        Dataset<Row> named = plain.withColumn("name", element_at(array(names), col("y").cast("int").plus(1)));
        Dataset<Row> indexed = new StringIndexer().setInputCol("name").setOutputCol("idx").fit(named).transform(named);
        List<String> classes = TrainingData.fromFrames(indexed, "img", "idx", null, 0, 42, null).classNames();
        assertEquals(new HashSet<>(IdxImporter.FASHION_CLASSES), new HashSet<>(classes));
    }

    @Test
    void validationFractionSplitsTheSameRowsEveryTime() {
        TrainingData a = TrainingData.fromFrames(frame(train), "img", "y", null, 0.25, 7, null);
        TrainingData b = TrainingData.fromFrames(frame(train).repartition(3), "img", "y", null, 0.25, 7, null);
        Set<Long> va = rows(a.validation()), vb = rows(b.validation()), ta = rows(a.train());
        assertEquals(va, vb);
        assertTrue(va.size() > 20 && va.size() < 80, va.size() + " of 200 rows for validation");
        assertEquals(200, va.size() + ta.size());
        assertFalse(ta.removeAll(va));
        Set<Long> other = rows(TrainingData.fromFrames(frame(train), "img", "y", null, 0.25, 8, null).validation());
        assertFalse(va.equals(other));
    }

    private static Set<Long> rows(Dataset<Row> d) {
        return new HashSet<>(d.select(ParquetImageReader.ROW).as(org.apache.spark.sql.Encoders.LONG()).collectAsList());
    }
}
