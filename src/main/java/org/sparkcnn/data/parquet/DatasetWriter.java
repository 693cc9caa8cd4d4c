package org.sparkcnn.data.parquet;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.sparkcnn.io.Json;

/** Writes importer output in the ImageLayout: one Parquet file per RDD partition, class names beside. */
public final class DatasetWriter {
    private DatasetWriter() {
    }

    /** Refuses an existing output unless overwriting was asked for: nothing already saved is lost by accident. */
    public static void checkOutput(SparkSession spark, String out, boolean overwrite) throws IOException {
        Path p = new Path(out);
        FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
        if (fs.exists(p) && !overwrite) {
            throw new IllegalArgumentException("output " + out + " already exists (pass --overwrite to replace it)");
        }
    }

    /**
     * Writes the rows (ImageLayout.schema(classes)) to {@code out}, one file per partition, and
     * {@code out/_classes.json}; returns the rows written per split, read back from the output.
     */
    public static Map<String, Long> write(SparkSession spark, JavaRDD<Row> rows, List<String> classes, String out,
                                          boolean overwrite) throws IOException {
        checkOutput(spark, out, overwrite);
        Path outPath = new Path(out);
        FileSystem outFs = outPath.getFileSystem(spark.sparkContext().hadoopConfiguration());
        boolean existed = outFs.exists(outPath);
        Dataset<Row> df = spark.createDataFrame(rows, ImageLayout.schema(classes));
        try {
            df.write().mode(overwrite ? SaveMode.Overwrite : SaveMode.ErrorIfExists)
                    .option("compression", ImageLayout.COMPRESSION)
                    .option("parquet.block.size", ImageLayout.ROW_GROUP_BYTES)
                    .parquet(out);
        } catch (Exception e) { // Spark's SparkException is checked, thrown from Scala undeclared
            if (!existed) { // only what this failed job created: a rerun then starts clean
                outFs.delete(outPath, true);
            }
            throw e;
        }
        Path json = new Path(out, ImageLayout.CLASSES_FILE);
        FileSystem fs = json.getFileSystem(spark.sparkContext().hadoopConfiguration());
        try (OutputStream o = fs.create(json, true)) {
            String text = "{\"classes\": [" + classes.stream().map(Json::quote).collect(Collectors.joining(", "))
                    + "]}\n";
            o.write(text.getBytes(StandardCharsets.UTF_8));
        }
        Map<String, Long> perSplit = new TreeMap<>();
        for (Row r : spark.read().parquet(out).groupBy(ImageLayout.SPLIT).count().collectAsList()) {
            perSplit.put(r.isNullAt(0) ? "(none)" : r.getString(0), r.getLong(1));
        }
        return perSplit;
    }

    /** "train 60000 rows, test 10000 rows". */
    public static String describe(Map<String, Long> perSplit) {
        if (perSplit.isEmpty()) {
            return "0 rows";
        }
        return perSplit.entrySet().stream().map(e -> e.getKey() + " " + e.getValue() + " rows")
                .collect(Collectors.joining(", "));
    }
}
