package org.sparkcnn.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkcnn.train.TrainConfig;

/**
 * Training on executors in separate JVMs (local-cluster: a master and two workers, each executor
 * its own process) gives the very weights of local mode with the same partitioning: serialisation,
 * classpath, broadcast and the ordered aggregation are exercised for real.
 */
class ClusterTrainingTest {
    @TempDir
    Path dir;

    private float[] train(SparkSession spark, String train, String test, String output) throws IOException {
        TrainConfig c = TrainConfig.distributed();
        c.set("train", train, "test").set("validation", test, "test").set("output", output, "test");
        c.set("model", "lenet5", "test").set("batchSize", "16", "test").set("partitions", "2", "test");
        c.set("syncEvery", "4", "test").set("epochs", "2", "test").set("optimizer", "adam", "test");
        c.set("learningRate", "0.002", "test").set("mean", "0.2860", "test").set("std", "0.3530", "test");
        RunFolder.Start start = RunFolder.plan(output, RunFolder.Resume.NO, false, spark.sparkContext().hadoopConfiguration());
        return new DistributedTrainer(c.validate(), null).fit(spark, TrainingData.fromPaths(spark, c), start).state();
    }

    @Test
    void separateExecutorJvmsGiveTheWeightsOfLocalMode() throws IOException {
        SparkSession writer = SparkTestSessions.local(2, Map.of());
        String train = FashionSample.write(writer, dir.resolve("train"), "train", 240, 2);
        String test = FashionSample.write(writer, dir.resolve("test"), "test", 60, 1);
        writer.stop();

        Map<String, String> kryo = Map.of("spark.kryo.registrationRequired", "true",
                "spark.kryo.registrator", KryoClasses.class.getName());
        SparkSession cluster = SparkTestSessions.localCluster(2, 1, 1024, kryo);
        float[] onCluster;
        try {
            onCluster = train(cluster, train, test, dir.resolve("cluster").toString());
        } finally {
            cluster.stop();
        }
        SparkSession local = SparkTestSessions.local(2, kryo);
        float[] inProcess;
        try {
            inProcess = train(local, train, test, dir.resolve("local").toString());
        } finally {
            local.stop();
        }
        assertArrayEquals(inProcess, onCluster);
        float[] init = org.sparkcnn.model.ModelZoo.build("lenet5", 42).parameterVector();
        assertFalse(java.util.Arrays.equals(java.util.Arrays.copyOf(inProcess, init.length), init));
    }
}
