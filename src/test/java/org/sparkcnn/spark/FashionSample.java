package org.sparkcnn.spark;

import java.io.IOException;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.sparkcnn.data.Dataset;
import org.sparkcnn.data.IdxFiles;
import org.sparkcnn.data.IdxReader;
import org.sparkcnn.data.parquet.IdxImporter;

/** The first n Fashion-MNIST images of a split as a small Parquet dataset, for Spark tests. */
public final class FashionSample {
    private FashionSample() {
    }

    /** Writes {@code dir}/images.gz, labels.gz and the Parquet dataset {@code dir}/parquet; returns the latter. */
    public static String write(SparkSession spark, Path dir, String split, int n, int files) throws IOException {
        String prefix = split.equals("test") ? "t10k" : "train";
        java.nio.file.Files.createDirectories(dir);
        IdxReader.Idx images = IdxReader.read(Dataset.FASHION_DIR.resolve(prefix + "-images-idx3-ubyte.gz"), n);
        IdxReader.Idx labels = IdxReader.read(Dataset.FASHION_DIR.resolve(prefix + "-labels-idx1-ubyte.gz"), n);
        Path img = IdxFiles.write(dir.resolve("images.gz"), images.data, images.dims);
        Path lab = IdxFiles.write(dir.resolve("labels.gz"), labels.data, labels.dims);
        String out = dir.resolve("parquet").toString();
        IdxImporter.run(spark, img.toString(), lab.toString(), split, IdxImporter.FASHION_CLASSES, out, files, false);
        return out;
    }
}
