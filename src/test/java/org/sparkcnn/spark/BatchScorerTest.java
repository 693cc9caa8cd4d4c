package org.sparkcnn.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkcnn.data.BadRecordPolicy;
import org.sparkcnn.data.parquet.IdxImporter;
import org.sparkcnn.data.parquet.ImageLayout;
import org.sparkcnn.model.ModelSpec;
import org.sparkcnn.model.Network;
import org.sparkcnn.tensor.Tensor;
import org.sparkcnn.train.ClassificationMetrics;

/**
 * Batch scoring on local[2]: every row gets the logits a plain forward pass of the same network
 * gives its image, in input order, across batch boundaries and partitions; bad rows fail naming
 * the row or, under skip, come out with their reason in place, never shifting the others.
 */
class BatchScorerTest {
    private static final int N = 50;
    private static final float[] MEAN = {0.3f}, STD = {0.35f};
    private static SparkSession spark;
    private static JavaSparkContext jsc;
    private static Dataset<Row> test;
    private static TrainedModel model;
    private static Network reference;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() throws Exception {
        spark = SparkTestSessions.local(2, Map.of());
        jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        test = spark.read().parquet(FashionSample.write(spark, dir.resolve("test"), "test", N, 3)).orderBy("id");
        reference = ModelSpec.of("lenet5", new int[] {1, 28, 28}, 10).build(7);
        model = TrainedModel.of(reference, IdxImporter.FASHION_CLASSES, MEAN, STD, Map.of("epoch", "1"));
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** The logits of a plain forward pass of the reference network over one image of the struct. */
    private static float[] expected(Row image) {
        byte[] px = (byte[]) image.get(5);
        Tensor x = new Tensor(1, 1, 28, 28);
        for (int i = 0; i < px.length; i++) {
            x.data[i] = ((px[i] & 0xff) / 255f - MEAN[0]) / STD[0];
        }
        return reference.forward(x, false).data.clone();
    }

    /** (id, logits or null, error or null) per row, through the scorer. */
    private static List<Row> score(Dataset<Row> rows, int batch, BadRecordPolicy policy) {
        BatchScorer scorer = BatchScorer.create(jsc, model, rows.schema(), ImageLayout.IMAGE, null, batch, policy, 1);
        int id = List.of(rows.schema().fieldNames()).indexOf("id");
        BatchScorer.Emit<Row> emit = (in, logits, bad) -> RowFactory.create(in.getLong(id),
                logits == null ? null : logits.clone(), bad == null ? null : bad.getMessage());
        org.apache.spark.sql.types.StructType schema = new org.apache.spark.sql.types.StructType()
                .add("id", "long").add("logits", "array<float>").add("error", "string");
        MapPartitionsFunction<Row, Row> f = it -> scorer.score(TaskContext.getPartitionId(), it, emit);
        return rows.mapPartitions(f, Encoders.row(schema)).collectAsList();
    }

    @Test
    void everyRowGetsItsOwnLogitsInInputOrder() {
        List<Row> images = test.collectAsList();
        for (int batch : new int[] {1, 7, 64}) {
            List<Row> out = score(test, batch, new BadRecordPolicy());
            assertEquals(N, out.size());
            for (int i = 0; i < N; i++) {
                assertEquals(images.get(i).getLong(images.get(i).fieldIndex("id")), out.get(i).getLong(0), "order");
                float[] want = expected(images.get(i).getStruct(0));
                List<Float> got = out.get(i).getList(1);
                for (int c = 0; c < 10; c++) {
                    assertEquals(want[c], got.get(c), 1e-5f, "row " + i + " class " + c + " batch " + batch);
                }
            }
        }
    }

    /** The test set with rows 3, 7 (a batch boundary at batch 4) and the last made bad: short data, no image. */
    private static Dataset<Row> withBadRows() {
        List<Row> rows = new ArrayList<>();
        List<Row> good = test.select("image", "label", "id").collectAsList();
        for (int i = 0; i < good.size(); i++) {
            Row r = good.get(i);
            Row img = r.getStruct(0);
            if (i == 3 || i == N - 1) {
                img = RowFactory.create(img.getString(0), 28, 28, 1, 0, new byte[100]);
            } else if (i == 7) {
                img = null;
            }
            rows.add(RowFactory.create(img, r.get(1), r.get(2)));
        }
        return spark.createDataFrame(rows, test.select("image", "label", "id").schema()).repartition(1);
    }

    @Test
    void badRowsKeepTheirPlaceUnderSkipAndFailTheTaskOtherwise() {
        BadRecordPolicy skip = new BadRecordPolicy();
        skip.onBadRecord = BadRecordPolicy.OnBadRecord.SKIP;
        skip.maxBadFraction = 0.5;
        List<Row> images = test.collectAsList();
        List<Row> out = score(withBadRows(), 4, skip);
        assertEquals(N, out.size());
        for (int i = 0; i < N; i++) {
            assertEquals(i, out.get(i).getLong(0));
            if (i == 3 || i == 7 || i == N - 1) {
                assertNull(out.get(i).get(1), "row " + i);
                assertTrue(out.get(i).getString(2).contains(i == 7 ? "image" : "image.data"), out.get(i).getString(2));
            } else {
                assertNull(out.get(i).get(2));
                List<Float> got = out.get(i).getList(1);
                assertEquals(expected(images.get(i).getStruct(0))[0], got.get(0), 1e-5f, "row " + i);
            }
        }
        Exception e = assertThrows(Exception.class, () -> score(withBadRows(), 4, new BadRecordPolicy()));
        String msg = e.getMessage();
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof org.sparkcnn.data.BadRecordException) {
                msg = t.getMessage();
            }
        }
        assertTrue(msg.startsWith("bad record in file"), msg);
        assertTrue(msg.contains("image.data") && msg.contains("SIZE_MISMATCH"), msg);
    }

    @Test
    void evaluationCountsWhatThePredictionsSay() {
        BatchScorer scorer = BatchScorer.create(jsc, model, test.schema(), ImageLayout.IMAGE, ImageLayout.LABEL, 16,
                new BadRecordPolicy(), 1);
        ClassificationMetrics m = BatchEvaluation.run(test, ImageLayout.LABEL, scorer, 3);
        ClassificationMetrics want = new ClassificationMetrics(10, 3);
        for (Row r : test.collectAsList()) {
            want.add(expected(r.getStruct(0)), r.getInt(r.fieldIndex("label")));
        }
        assertEquals(N, m.samples);
        assertEquals(want.correct, m.correct);
        assertEquals(want.topCorrect, m.topCorrect);
        assertEquals(want.lossSum, m.lossSum, 1e-4);
        assertTrue(java.util.Arrays.equals(want.confusion, m.confusion));
    }
}
