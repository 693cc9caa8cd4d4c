package org.sparkcnn.data.parquet;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.sparkcnn.util.SplitMix;

/**
 * A dataset made larger: every row of a sparkcnn dataset written {@code copies} times, copy 0 as it
 * is and every other copy shifted by up to {@code shift} pixels each way (zero filled) and flipped
 * left-right half the time. Each copy's shift and flip are a SplitMix hash of (seed, id, copy), so
 * the output depends on nothing but the input and the seed. Ids become {@code id × copies + copy},
 * unique when the input's were. The copies are a union of per-copy maps over the input's
 * partitions, then coalesced to the requested files: no shuffle, and no more than one row in
 * memory per task. It is how the scale test makes a million images out of Fashion-MNIST
 * (docs/reliability.md).
 */
public final class AugmentImporter {
    private AugmentImporter() {
    }

    /** The settings' checks, which need no Spark. */
    public static void check(int copies, int shift) {
        if (copies < 1) {
            throw new IllegalArgumentException("--copies takes an integer >= 1, got " + copies);
        }
        if (shift < 0) {
            throw new IllegalArgumentException("--shift takes an integer >= 0, got " + shift);
        }
    }

    public static Map<String, Long> run(SparkSession spark, String input, int copies, int shift, long seed, String out,
            int files, boolean overwrite) throws IOException {
        check(copies, shift);
        DatasetWriter.checkOutput(spark.sparkContext().hadoopConfiguration(), out, overwrite);
        DatasetInfo info = DatasetInfo.read(spark, "--input", input);
        if (info.classes == null) {
            throw new IllegalArgumentException("--input = " + input + " names no classes (no label metadata, no "
                    + ImageLayout.CLASSES_FILE + "): import it with jobs/import.sh first");
        }
        JavaRDD<Row> rows = spark.read().parquet(input)
                .select(ImageLayout.IMAGE, ImageLayout.LABEL, ImageLayout.ID, ImageLayout.SPLIT).javaRDD();
        List<JavaRDD<Row>> parts = new ArrayList<>();
        for (int k = 0; k < copies; k++) {
            parts.add(rows.map(new Copy(k, copies, shift, seed)));
        }
        JavaRDD<Row> all = JavaSparkContext.fromSparkContext(spark.sparkContext()).union(parts.toArray(new JavaRDD[0]));
        return DatasetWriter.write(spark, all.getNumPartitions() > files ? all.coalesce(files) : all, info.classes, out,
                overwrite);
    }

    /** Copy {@code k} of a row. */
    static final class Copy implements Function<Row, Row> {
        private static final long serialVersionUID = 1L;
        private final int k, copies, shift;
        private final long seed;

        Copy(int k, int copies, int shift, long seed) {
            this.k = k;
            this.copies = copies;
            this.shift = shift;
            this.seed = seed;
        }

        @Override
        public Row call(Row row) {
            Row image = row.getStruct(0);
            long id = row.getLong(2);
            byte[] data = image.getAs("data");
            int h = ((Number) image.getAs("height")).intValue(), w = ((Number) image.getAs("width")).intValue();
            int c = ((Number) image.getAs("nChannels")).intValue();
            String origin = image.getAs("origin");
            if (k > 0 && h > 0 && w > 0 && c > 0 && data != null && data.length == (long) h * w * c) {
                long z = SplitMix.seedOf(seed, id, k);
                int span = 2 * shift + 1;
                int dy = (int) Math.floorMod(SplitMix.mix(z), span) - shift;
                int dx = (int) Math.floorMod(SplitMix.mix(z + 1), span) - shift;
                boolean flip = (SplitMix.mix(z + 2) & 1) == 1;
                data = moved(data, h, w, c, dy, dx, flip);
                origin = origin + "#copy" + k;
            }
            Row moved = RowFactory.create(origin, image.get(1), image.get(2), image.get(3), image.get(4), data);
            return RowFactory.create(moved, row.isNullAt(1) ? null : row.get(1), id * copies + k, row.get(3));
        }
    }

    /** The image shifted by (dy, dx), zero filled, after a left-right flip if asked; channels interleaved. */
    public static byte[] moved(byte[] src, int h, int w, int c, int dy, int dx, boolean flip) {
        byte[] dst = new byte[src.length];
        for (int y = 0; y < h; y++) {
            int sy = y - dy;
            if (sy < 0 || sy >= h) {
                continue;
            }
            for (int x = 0; x < w; x++) {
                int sx = flip ? w - 1 - (x - dx) : x - dx;
                if (sx >= 0 && sx < w) {
                    System.arraycopy(src, (sy * w + sx) * c, dst, (y * w + x) * c, c);
                }
            }
        }
        return dst;
    }
}
