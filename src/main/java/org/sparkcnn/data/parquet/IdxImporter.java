package org.sparkcnn.data.parquet;

import java.io.DataInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.sparkcnn.data.IdxReader;

/**
 * IDX image and label files (MNIST, Fashion-MNIST; gzipped or not, on any Hadoop file system) to the
 * ImageLayout, as a Spark job: file f of N holds items [f·n/N, (f+1)·n/N), and its task streams
 * exactly those items from the source files (skipping the ones before), so nothing is collected.
 */
public final class IdxImporter {
    /** Fashion-MNIST's class names, in label order. */
    public static final List<String> FASHION_CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    private IdxImporter() {
    }

    /**
     * Imports one images/labels pair. {@code classes} null: "0", "1", … up to the largest label.
     * Returns the rows written per split.
     */
    public static Map<String, Long> run(SparkSession spark, String images, String labels, String split,
                                        List<String> classes, String out, int files, boolean overwrite)
            throws IOException {
        DatasetWriter.checkOutput(spark.sparkContext().hadoopConfiguration(), out, overwrite);
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        int[] imageDims = header(images, conf);
        int[] labelDims = header(labels, conf);
        if (imageDims.length != 3) {
            throw new IOException(images + ": expected images of rank 3 [N, H, W], got rank " + imageDims.length);
        }
        if (labelDims.length != 1) {
            throw new IOException(labels + ": expected labels of rank 1 [N], got rank " + labelDims.length);
        }
        if (imageDims[0] != labelDims[0]) {
            throw new IOException(images + " holds " + imageDims[0] + " images but " + labels + " holds "
                    + labelDims[0] + " labels");
        }
        List<String> names = classes != null ? classes : numbered(maxLabel(labels, labelDims, conf) + 1);
        int n = imageDims[0], h = imageDims[1], w = imageDims[2];
        int parts = Math.max(1, Math.min(files, Math.max(1, n)));
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<Integer> ids = IntStream.range(0, parts).boxed().collect(Collectors.toList());
        JavaRDD<Row> rows = jsc.parallelize(ids, parts).mapPartitions(it -> {
            int f = it.next();
            long start = (long) n * f / parts, end = (long) n * (f + 1) / parts;
            return new Items(images, labels, split, h, w, start, end);
        });
        return DatasetWriter.write(spark, rows, names, out, overwrite);
    }

    private static int[] header(String file, Configuration conf) throws IOException {
        Path p = new Path(file);
        if (!p.getFileSystem(conf).exists(p)) {
            throw new java.io.FileNotFoundException("IDX file not found: " + file);
        }
        try (DataInputStream d = IdxReader.open(p.getFileSystem(conf).open(p))) {
            return IdxReader.header(d, file);
        }
    }

    private static int maxLabel(String file, int[] dims, Configuration conf) throws IOException {
        Path p = new Path(file);
        try (DataInputStream d = IdxReader.open(p.getFileSystem(conf).open(p))) {
            IdxReader.header(d, file);
            byte[] all = new byte[dims[0]];
            IdxReader.readItems(d, all, file, dims);
            int max = 0;
            for (byte b : all) {
                max = Math.max(max, b & 0xff);
            }
            return max;
        }
    }

    static List<String> numbered(int count) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            names.add(Integer.toString(i));
        }
        return names;
    }

    /** The rows of items [start, end), read lazily from both files. */
    private static final class Items implements Iterator<Row> {
        private final String images, split;
        private final int h, w;
        private final DataInputStream img, lab;
        private long next;
        private final long end;

        Items(String images, String labels, String split, int h, int w, long start, long end) throws IOException {
            this.images = images;
            this.split = split;
            this.h = h;
            this.w = w;
            this.next = start;
            this.end = end;
            Configuration conf = new Configuration();
            img = openAt(images, conf, start * h * w);
            lab = openAt(labels, conf, start);
        }

        private static DataInputStream openAt(String file, Configuration conf, long skip) throws IOException {
            Path p = new Path(file);
            DataInputStream d = IdxReader.open(p.getFileSystem(conf).open(p));
            IdxReader.header(d, file);
            d.skipNBytes(skip);
            return d;
        }

        @Override
        public boolean hasNext() {
            if (next < end) {
                return true;
            }
            close();
            return false;
        }

        @Override
        public Row next() {
            if (next >= end) {
                throw new NoSuchElementException();
            }
            try {
                byte[] px = new byte[h * w];
                img.readFully(px);
                int label = lab.readUnsignedByte();
                long id = next++;
                Row image = RowFactory.create(images + "#" + id, h, w, 1, 0, px);
                return RowFactory.create(image, label, id, split);
            } catch (IOException e) {
                close();
                throw new IllegalStateException(images + ": item " + next + ": " + e.getMessage(), e);
            }
        }

        private void close() {
            try {
                img.close();
                lab.close();
            } catch (IOException ignored) {
                // read-only streams: nothing to lose
            }
        }
    }
}
