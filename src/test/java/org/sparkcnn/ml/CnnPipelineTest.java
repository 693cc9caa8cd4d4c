package org.sparkcnn.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.feature.SQLTransformer;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkcnn.data.BadRecordPolicy;
import org.sparkcnn.data.parquet.IdxImporter;
import org.sparkcnn.spark.BatchEvaluation;
import org.sparkcnn.spark.BatchScorer;
import org.sparkcnn.spark.FashionSample;
import org.sparkcnn.spark.SparkTestSessions;
import org.sparkcnn.train.ClassificationMetrics;

/**
 * The Spark ML stages as a user of MLlib uses them: a Pipeline holding CnnClassifier is fitted on
 * a Parquet dataset, its PipelineModel saved and loaded in a fresh session gives the very same
 * outputs, MulticlassClassificationEvaluator agrees with the evaluate job's metrics, and the
 * fitted model keeps its class names and one history line per epoch.
 */
class CnnPipelineTest {
    @TempDir
    Path dir;

    private static List<Row> outputs(Dataset<Row> predictions) {
        return predictions.orderBy("id").select("id", "rawPrediction", "probability", "prediction").collectAsList();
    }

    @Test
    void pipelineFitsSavesLoadsAndAgreesWithTheEvaluator() throws Exception {
        SparkSession spark = SparkTestSessions.local(2, Map.of());
        String trainPath, testPath, saved = dir.resolve("pipeline").toString();
        List<Row> before;
        double accuracy;
        try {
            trainPath = FashionSample.write(spark, dir.resolve("train"), "train", 600, 2);
            testPath = FashionSample.write(spark, dir.resolve("test"), "test", 200, 2);
            CnnClassifier cnn = new CnnClassifier().setImageCol("picture").setModel("lenet5").setEpochs(3)
                    .setBatchSize(32).setPartitions(2).setSeed(5).setLearningRate(0.05).setValidationFraction(0.1)
                    .setProgress(null);
            SQLTransformer rename = new SQLTransformer().setStatement("SELECT image AS picture, label, id FROM __THIS__");
            Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {rename, cnn});
            PipelineModel fitted = pipeline.fit(spark.read().parquet(trainPath));
            CnnClassificationModel model = (CnnClassificationModel) fitted.stages()[1];
            assertEquals(IdxImporter.FASHION_CLASSES, model.classNames());
            assertEquals(3, model.history().size(), String.join("\n", model.history()));
            assertTrue(model.history().get(2).contains("\"epoch\":3"), model.history().get(2));
            assertTrue(model.explainParams().contains("learningRate") || cnn.explainParams().contains("learningRate"));

            Dataset<Row> predictions = fitted.transform(spark.read().parquet(testPath));
            before = outputs(predictions);
            assertEquals(200, before.size());
            accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy").evaluate(predictions);
            System.out.println("CnnPipelineTest: accuracy " + accuracy + " after 3 epochs");
            // the rows' identity includes the origin, a temporary path, so the exact figure varies from run to run
            assertTrue(accuracy > 0.3, "three epochs on 540 images learn something (chance: 0.1): " + accuracy);

            // the evaluate job's pass on the same rows and model
            Dataset<Row> test = spark.read().parquet(testPath);
            BatchScorer scorer = BatchScorer.create(JavaSparkContext.fromSparkContext(spark.sparkContext()),
                    model.trained(), test.schema(), "image", "label", 64, new BadRecordPolicy(), 0);
            ClassificationMetrics m = BatchEvaluation.run(test, "label", scorer, 1);
            assertEquals(m.accuracy(), accuracy, 1e-12);
            double f1 = new MulticlassClassificationEvaluator().setMetricName("weightedRecall").evaluate(predictions);
            assertEquals(accuracy, f1, 1e-12);

            fitted.write().save(saved);
            assertThrows(Exception.class, () -> fitted.write().save(saved), "an existing path needs overwrite()");
            fitted.write().overwrite().save(saved);
        } finally {
            spark.stop();
        }
        SparkSession fresh = SparkTestSessions.local(2, Map.of());
        try {
            PipelineModel loaded = PipelineModel.load(saved);
            List<Row> after = outputs(loaded.transform(fresh.read().parquet(testPath)));
            assertEquals(before.size(), after.size());
            for (int i = 0; i < before.size(); i++) {
                assertEquals(before.get(i).getLong(0), after.get(i).getLong(0));
                assertArrayEquals(((Vector) before.get(i).get(1)).toArray(), ((Vector) after.get(i).get(1)).toArray(),
                        "row " + i + ": the same logits, bit for bit");
                assertEquals(before.get(i).getDouble(3), after.get(i).getDouble(3));
            }
            CnnClassificationModel model = (CnnClassificationModel) loaded.stages()[1];
            assertEquals("picture", model.getImageCol());
            assertEquals(3, model.history().size());
            assertEquals(IdxImporter.FASHION_CLASSES, model.classNames());
        } finally {
            fresh.stop();
        }
    }

    @Test
    void paramsAreTheTrainJobsKeys() {
        CnnClassifier c = new CnnClassifier();
        for (String key : org.sparkcnn.train.TrainConfig.SPARK_KEYS.keySet()) {
            if (!StageParams.NOT_PARAMS.contains(key)) {
                assertEquals(key, c.getParam(key).name());
                assertTrue(c.explainParam(c.getParam(key)).contains(org.sparkcnn.train.TrainConfig.SPARK_KEYS.get(key).doc));
            }
        }
        assertEquals(2, c.getEpochs());
        assertEquals(42L, c.getSeed());
        assertEquals("epoch", c.setSyncEvery(8).getSyncEvery().equals("8") ? "epoch" : "no");
        c.setOptimizer("nonsense");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, c::config);
        assertTrue(e.getMessage().contains("optimizer"), e.getMessage());
        CnnClassifier copy = c.copy(new org.apache.spark.ml.param.ParamMap());
        assertEquals("nonsense", copy.getOptimizer());
    }
}
