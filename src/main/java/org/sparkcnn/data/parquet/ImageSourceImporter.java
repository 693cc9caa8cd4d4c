package org.sparkcnn.data.parquet;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.monotonically_increasing_id;
import static org.apache.spark.sql.functions.split;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;

/**
 * Spark's own image data source ({@code spark.read.format("image")}) over a folder of class
 * sub-folders. Its {@code image} struct is already ours, so only the label (the index of the parent
 * folder's name among the sorted class names), id and split are added. Files Spark cannot decode
 * stay as its "invalid image" rows (no size, empty data), which the reader reports as bad records:
 * Spark 4.1's decoder catches every error, so the job never fails on them, and the import names
 * them in a warning instead.
 */
public final class ImageSourceImporter {
    private static final int SHOWN = 5;

    private ImageSourceImporter() {
    }

    /** The folder through Spark's image source, labelled: readable directly by ParquetImageReader. */
    public static Dataset<Row> labelled(SparkSession spark, String input, List<String> classes) {
        Dataset<Row> images = spark.read().format("image").option("dropInvalid", false)
                .option("recursiveFileLookup", "true").load(input);
        org.apache.spark.sql.Column name = element_at(split(col("image.origin"), "/"), -2);
        org.apache.spark.sql.Column label = lit(null).cast(DataTypes.IntegerType);
        for (int i = classes.size() - 1; i >= 0; i--) {
            label = org.apache.spark.sql.functions.when(name.equalTo(classes.get(i)), i).otherwise(label);
        }
        return images.withColumn(ImageLayout.LABEL, label);
    }

    /** The class sub-folder names of {@code input}, sorted. */
    public static List<String> classes(SparkSession spark, String input) throws IOException {
        org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path(input);
        org.apache.hadoop.fs.FileSystem fs = root.getFileSystem(spark.sparkContext().hadoopConfiguration());
        if (!fs.exists(root)) {
            throw new java.io.FileNotFoundException("image folder not found: " + input);
        }
        List<String> names = new ArrayList<>();
        for (org.apache.hadoop.fs.FileStatus s : fs.listStatus(root)) {
            String n = s.getPath().getName();
            if (s.isDirectory() && !n.startsWith(".") && !n.startsWith("_")) {
                names.add(n);
            }
        }
        names.sort(null);
        if (names.isEmpty()) {
            throw new IllegalArgumentException(input + " has no class sub-folders");
        }
        return names;
    }

    public static Map<String, Long> run(SparkSession spark, String input, String split, String out, int files,
                                        boolean overwrite) throws IOException {
        DatasetWriter.checkOutput(spark.sparkContext().hadoopConfiguration(), out, overwrite);
        List<String> classes = classes(spark, input);
        Dataset<Row> df = labelled(spark, input, classes)
                .withColumn(ImageLayout.ID, monotonically_increasing_id())
                .withColumn(ImageLayout.SPLIT, lit(split))
                .select(ImageLayout.IMAGE, ImageLayout.LABEL, ImageLayout.ID, ImageLayout.SPLIT)
                .coalesce(Math.max(1, files));
        Map<String, Long> written = DatasetWriter.write(spark, df.javaRDD(), classes, out, overwrite);
        warnInvalid(spark, out);
        return written;
    }

    /** Names on stderr (the first few of) the files written as Spark's invalid-image rows (height -1). */
    static void warnInvalid(SparkSession spark, String out) {
        Dataset<Row> invalid = spark.read().parquet(out).filter(col("image.height").equalTo(-1)).select("image.origin");
        long n = invalid.count();
        if (n > 0) {
            List<String> first = invalid.limit(SHOWN).as(Encoders.STRING()).collectAsList();
            System.err.println("warning: Spark's image source could not decode " + n + (n == 1 ? " file" : " files")
                    + ", written as invalid rows that the reader reports as bad records: " + String.join(", ", first)
                    + (n > SHOWN ? ", ..." : ""));
        }
    }
}
