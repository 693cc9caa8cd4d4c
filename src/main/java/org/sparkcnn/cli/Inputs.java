package org.sparkcnn.cli;

import java.io.FileNotFoundException;
import java.io.IOException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sparkcnn.data.BadRecordPolicy;
import org.sparkcnn.data.parquet.FolderImporter;
import org.sparkcnn.data.parquet.ImageLayout;
import org.sparkcnn.data.parquet.ParquetImageReader;
import org.sparkcnn.spark.TrainedModel;

/** The images a scoring job reads: a Parquet dataset, or a folder of image files. */
final class Inputs {
    private Inputs() {
    }

    /** Whether {@code path} is a Parquet dataset: a .parquet file, or a folder holding one. */
    static boolean isParquet(FileSystem fs, Path p) throws IOException {
        if (fs.getFileStatus(p).isFile()) {
            return p.getName().endsWith(".parquet");
        }
        for (FileStatus f : fs.listStatus(p)) {
            if (f.isFile() && f.getPath().getName().endsWith(".parquet")) {
                return true;
            }
        }
        return false;
    }

    /**
     * The rows to score: the Parquet dataset as it is (an {@code image} struct required), or every
     * image of the folder decoded to the model's channels (and with {@code resize} its size).
     */
    static Dataset<Row> images(SparkSession spark, String input, TrainedModel model, boolean resize,
            BadRecordPolicy policy) throws IOException {
        Path p = new Path(input);
        FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
        if (!fs.exists(p)) {
            throw new FileNotFoundException("--input " + input + ": no such dataset or folder");
        }
        if (isParquet(fs, p)) {
            Dataset<Row> df = ParquetImageReader.read(spark, input);
            ImageLayout.validate(df.schema(), ImageLayout.IMAGE, null, input);
            // file and row of each image, so a bad record is named as the training reader names it
            return df.select(df.col("*"), df.col("_metadata.file_path").as(ParquetImageReader.FILE),
                    df.col("_metadata.row_index").as(ParquetImageReader.ROW));
        }
        int[] in = model.inputShape();
        FolderImporter.Convert convert = new FolderImporter.Convert(in[0], resize ? in[1] : 0, resize ? in[2] : 0);
        return FolderImporter.images(spark, input, convert, spark.sparkContext().defaultParallelism(),
                policy.onBadRecord == BadRecordPolicy.OnBadRecord.SKIP);
    }
}
