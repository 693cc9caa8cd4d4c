package org.sparkcnn.spark;

import com.esotericsoftware.kryo.Kryo;
import org.apache.spark.serializer.KryoRegistrator;
import org.sparkcnn.data.BadRecordCounts;
import org.sparkcnn.train.Evaluation;

/**
 * Registers every class of ours that crosses the wire (broadcasts, task results, the tree
 * aggregation's shuffle), so Kryo writes a small id instead of the class name and a run with
 * {@code spark.kryo.registrationRequired=true} passes. Set by {@code spark.kryo.registrator}.
 */
public final class KryoClasses implements KryoRegistrator {
    @Override
    public void registerClasses(Kryo kryo) {
        kryo.register(RoundInput.class);
        kryo.register(OrderedSum.class);
        kryo.register(OrderedSum.Block.class);
        kryo.register(TrainSum.class);
        kryo.register(EvalSum.class);
        kryo.register(Evaluation.class);
        kryo.register(BadRecordCounts.class);
        // the final evaluation's task results (BatchEvaluation): counts and a few misclassified images
        kryo.register(BatchEvaluation.PartitionSum.class);
        kryo.register(BatchEvaluation.Misclassified.class);
        kryo.register(org.sparkcnn.train.ClassificationMetrics.class);
        kryo.register(byte[].class);
        kryo.register(java.util.ArrayList.class);
        kryo.register(float[].class);
        kryo.register(long[].class);
        // the pixel sums of a DataFrame to train on (TrainingData.fromFrames), as an import sums them
        kryo.register(long[][].class);
        kryo.register(java.util.TreeMap.class);
        // Spark's own classes our jobs make it ship (Parquet schema inference returns schemas as task
        // results, and broadcasts of the read plan carry them), and a package-private one of ours
        for (String name : SPARK_CLASSES) {
            try {
                kryo.register(Class.forName(name, false, Thread.currentThread().getContextClassLoader()));
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException("Kryo registration: " + name + " is not on the classpath (Spark version?)", e);
            }
        }
    }

    private static final String[] SPARK_CLASSES = {
        "org.sparkcnn.data.parquet.ImageStats",
        "org.apache.spark.sql.types.StructType",
        "org.apache.spark.sql.types.StructField",
        "[Lorg.apache.spark.sql.types.StructField;",
        "org.apache.spark.sql.types.Metadata",
        "org.apache.spark.sql.types.BinaryType$",
        "org.apache.spark.sql.types.IntegerType$",
        "org.apache.spark.sql.types.LongType$",
        "org.apache.spark.sql.types.DoubleType$",
        "org.apache.spark.sql.types.StringType",
    };
}
