package org.sparkcnn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkcnn.ml.CnnClassificationModel;
import org.sparkcnn.spark.SparkTestSessions;

/**
 * One model trained by the train job, used every way there is: the predict job, the Spark ML
 * model loaded from the run folder, and ONNX Runtime on the export job's file give the same
 * predictions for every test image (and probabilities within float rounding, 1e-4 for ONNX);
 * the evaluate job's accuracy is MulticlassClassificationEvaluator's on the ML model's output.
 */
class InferencePathsTest {
    @TempDir
    Path dir;

    @Test
    void trainPredictLoadExportAndEvaluateAgree() throws Exception {
        Path[] tr = JobRuns.fashionIdx(dir.resolve("idx"), "train", 256);
        Path[] te = JobRuns.fashionIdx(dir.resolve("idx"), "test", 120);
        String train = dir.resolve("data/train").toString(), test = dir.resolve("data/test").toString();
        String run = dir.resolve("run").toString(), pred = dir.resolve("pred").toString();
        String onnx = dir.resolve("model.onnx").toString(), eval = dir.resolve("eval.json").toString();
        for (String[] split : new String[][] {{tr[0].toString(), tr[1].toString(), train}, {te[0].toString(),
            te[1].toString(), test}}) {
            JobRuns.Result r = JobRuns.importer("idx", "--images", split[0], "--labels", split[1], "--out", split[2],
                    "--files", "2", "--master", "local[2]");
            assertEquals(0, r.code(), r.toString());
        }
        JobRuns.Result t = JobRuns.train("--set", "train=" + train, "--set", "output=" + run, "--set", "model=lenet5",
                "--set", "epochs=1", "--set", "batchSize=32", "--set", "partitions=2", "--set", "master=local[2]");
        assertEquals(0, t.code(), t.toString());
        JobRuns.Result p = JobRuns.inJvm(Predict::run, "--model", run, "--input", test, "--out", pred, "--top", "3",
                "--batch-size", "50", "--master", "local[2]");
        assertEquals(0, p.code(), p.toString());
        assertTrue(p.out().contains("predicted 120 images"), p.toString());
        JobRuns.Result e = JobRuns.inJvm(Evaluate::run, "--model", run, "--input", test, "--out", eval,
                "--master", "local[2]");
        assertEquals(0, e.code(), e.toString());
        JobRuns.Result x = JobRuns.inJvm(Export::run, "--model", run, "--out", onnx);
        assertEquals(0, x.code(), x.toString());

        SparkSession spark = SparkTestSessions.local(2, Map.of());
        try {
            Dataset<Row> images = spark.read().parquet(test);
            CnnClassificationModel loaded = CnnClassificationModel.load(run);
            assertEquals(1, loaded.history().size(), "the run's model carries its one epoch's metrics");
            Dataset<Row> ml = loaded.transform(images);
            double accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy").evaluate(ml);
            JsonNode report = new ObjectMapper().readTree(Files.readString(Path.of(eval)));
            assertEquals(accuracy, report.get("accuracy").asDouble(), 1e-12, "evaluate.sh and Spark's evaluator");
            assertEquals(120, report.get("images").asInt());

            Map<Long, Row> byId = new HashMap<>();
            for (Row r : ml.select("id", "prediction", "probability").collectAsList()) {
                byId.put(r.getLong(0), r);
            }
            List<Row> predicted = spark.read().parquet(pred).select("id", "prediction", "probability", "class",
                    "top_prediction").collectAsList();
            assertEquals(120, predicted.size());
            for (Row r : predicted) {
                Row m = byId.get(r.getLong(0));
                assertEquals((int) m.getDouble(1), r.getInt(1), "id " + r.getLong(0));
                assertEquals(r.getInt(1), (int) r.getList(4).get(0), "the best of the top 3 is the prediction");
                double[] probability = ((Vector) m.get(2)).toArray();
                List<Float> got = r.getList(2);
                for (int c = 0; c < probability.length; c++) {
                    assertEquals(probability[c], got.get(c), 1e-6, "id " + r.getLong(0) + " class " + c);
                }
            }

            // ONNX Runtime on the raw [0, 1] pixels, in id order
            List<Row> rows = images.orderBy("id").select("id", "image.data").collectAsList();
            float[] x01 = new float[rows.size() * 784];
            for (int i = 0; i < rows.size(); i++) {
                byte[] px = (byte[]) rows.get(i).get(1);
                for (int j = 0; j < 784; j++) {
                    x01[i * 784 + j] = (px[j] & 0xff) / 255f;
                }
            }
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            try (OrtSession session = env.createSession(onnx, new OrtSession.SessionOptions());
                 OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x01), new long[] {rows.size(), 1, 28, 28});
                 OrtSession.Result out = session.run(Map.of("input", in))) {
                float[][] probability = (float[][]) out.get("probability").get().getValue();
                for (int i = 0; i < rows.size(); i++) {
                    Row m = byId.get(rows.get(i).getLong(0));
                    double[] want = ((Vector) m.get(2)).toArray();
                    int best = 0;
                    for (int c = 0; c < want.length; c++) {
                        assertEquals(want[c], probability[i][c], 1e-4, "ONNX, id " + rows.get(i).getLong(0));
                        best = probability[i][c] > probability[i][best] ? c : best;
                    }
                    assertEquals((int) m.getDouble(1), best, "ONNX prediction, id " + rows.get(i).getLong(0));
                }
            }
        } finally {
            spark.stop();
        }
    }
}
