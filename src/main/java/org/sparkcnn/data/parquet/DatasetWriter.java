package org.sparkcnn.data.parquet;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.sparkcnn.fs.Folders;
import org.sparkcnn.io.JsonText;

/** Writes importer output in the ImageLayout: one Parquet file per RDD partition, class names and statistics beside. */
public final class DatasetWriter {
    private DatasetWriter() {
    }

    /** Refuses an existing output unless overwriting was asked for: nothing already saved is lost by accident. */
    public static void checkOutput(Configuration conf, String out, boolean overwrite) throws IOException {
        Path p = new Path(out);
        if (p.getFileSystem(conf).exists(p) && !overwrite) {
            throw new IllegalArgumentException("output " + out + " already exists (pass --overwrite to replace it)");
        }
    }

    /**
     * Writes the rows (ImageLayout.schema(classes)) as the dataset {@code out}, one file per
     * partition, with {@code out/_classes.json} and {@code out/_stats.json}; returns the rows written
     * per split. The dataset is written beside {@code out} under a hidden name, checked complete
     * (Spark's success marker, the classes file, every row read back by the pass that computes the
     * statistics), and only then put in place of an existing one, so a failed or interrupted import
     * leaves the previous dataset exactly as it was.
     */
    public static Map<String, Long> write(SparkSession spark, JavaRDD<Row> rows, List<String> classes, String out,
                                          boolean overwrite) throws IOException {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        checkOutput(conf, out, overwrite);
        Path target = new Path(out);
        FileSystem fs = target.getFileSystem(conf);
        target = fs.makeQualified(target);
        Path staged = Folders.staging(fs, target, "import");
        Map<String, Long> perSplit;
        try {
            spark.createDataFrame(rows, ImageLayout.schema(classes)).write().mode(SaveMode.ErrorIfExists)
                    .option("compression", ImageLayout.COMPRESSION)
                    .option("parquet.block.size", ImageLayout.ROW_GROUP_BYTES)
                    .parquet(staged.toString());
            try (OutputStream o = fs.create(new Path(staged, ImageLayout.CLASSES_FILE), false)) {
                ObjectNode file = JsonText.object();
                classes.forEach(file.putArray("classes")::add);
                String text = JsonText.write(file) + "\n";
                o.write(text.getBytes(StandardCharsets.UTF_8));
            }
            if (!fs.exists(new Path(staged, "_SUCCESS"))) {
                throw new IOException("the Spark job writing " + out + " ended without its success marker");
            }
            ImageStats stats = stats(spark, staged.toString());
            stats.write(fs, staged);
            perSplit = stats.splits();
            Folders.replace(fs, staged, target);
        } catch (Exception e) { // Spark's SparkException is checked, thrown from Scala undeclared
            try {
                fs.delete(staged, true);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        return perSplit;
    }

    /** The written dataset read back in one pass: mapPartitions, then an exact merge of the partitions' sums. */
    static ImageStats stats(SparkSession spark, String path) {
        org.apache.spark.sql.Dataset<Row> written = spark.read().parquet(path);
        int split = written.schema().fieldIndex(ImageLayout.SPLIT);
        spark.sparkContext().setJobDescription("sparkcnn: read back " + path + " and sum its pixels");
        try {
            return ImageStats.of(written, split);
        } finally {
            spark.sparkContext().setJobDescription(null);
        }
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
