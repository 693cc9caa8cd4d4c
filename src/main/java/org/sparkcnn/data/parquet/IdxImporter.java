package org.sparkcnn.data.parquet;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.sparkcnn.data.IdxReader;
import org.sparkcnn.data.InputException;

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
        // both files read through once here, so a truncated or padded one fails before the job
        int[] imageDims = checked(images, conf, null);
        int[] maxLabel = {0};
        int[] labelDims = checked(labels, conf, (buffer, length) -> {
            for (int i = 0; i < length; i++) {
                maxLabel[0] = Math.max(maxLabel[0], buffer[i] & 0xff);
            }
        });
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
        List<String> names = classes != null ? classes : numbered(maxLabel[0] + 1);
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

    /** The file's dimensions, after {@link IdxReader#check} found its data as long as they say. */
    private static int[] checked(String file, Configuration conf, IdxReader.DataSink sink) throws IOException {
        Path p = new Path(file);
        FileSystem fs = p.getFileSystem(conf);
        if (!fs.exists(p)) {
            throw new java.io.FileNotFoundException("IDX file not found: " + file);
        }
        try (InputStream in = fs.open(p)) {
            return IdxReader.check(in, file, sink);
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
        private final String images, labels, split;
        private final int h, w;
        private final DataInputStream img, lab;
        private long next;
        private final long end;

        Items(String images, String labels, String split, int h, int w, long start, long end) throws IOException {
            this.images = images;
            this.labels = labels;
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
            try {
                d.skipNBytes(skip);
            } catch (java.io.EOFException e) {
                d.close();
                throw new InputException(file + ": ends before byte " + skip + " of its data (changed since the"
                        + " driver checked it?)", e);
            }
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
            byte[] px = new byte[h * w];
            int label;
            try {
                img.readFully(px);
            } catch (IOException e) {
                throw failed(images, e);
            }
            try {
                label = lab.readUnsignedByte();
            } catch (IOException e) {
                throw failed(labels, e);
            }
            long id = next++;
            Row image = RowFactory.create(images + "#" + id, h, w, 1, 0, px);
            return RowFactory.create(image, label, id, split);
        }

        /** Only a file changed since the driver checked it gets here (or a failing file system). */
        private InputException failed(String file, IOException e) {
            close();
            return new InputException(file + ": item " + next + ": " + InputException.reason(e), e);
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
