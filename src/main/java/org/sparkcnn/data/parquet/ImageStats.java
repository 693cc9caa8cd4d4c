package org.sparkcnn.data.parquet;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Serializable;
import java.math.BigInteger;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.sparkcnn.data.ImageRecord;

/**
 * What an import wrote, summed in one pass over the written rows: the rows per split, the range of
 * image shapes, and per channel a histogram of the 256 byte values. Histograms and counts are
 * integers, so partial sums merge exactly in any order and grouping: mean and standard deviation
 * do not depend on partitioning or on the order in which Spark returns the partitions, and a
 * retried task (its result replaces the failed one's; no accumulator) cannot count twice. Stored
 * beside the data as {@value ImageLayout#STATS_FILE} (docs/data.md); {@link DatasetInfo} reads it.
 *
 * <p>Only rows with a usable image count towards shapes and pixels (1, 3 or 4 channels, positive
 * size, as many bytes as height × width × channels): the others, such as Spark's invalid-image
 * rows, are bad records for the reader. Images of 1, 3 and 4 channels are summed apart, since a
 * channel means something else in each; a dataset that mixes them has no per-channel statistics.
 */
final class ImageStats implements Serializable {
    private static final long serialVersionUID = 1L;
    static final int VERSION = 1;
    static final String ROWS = "rows", IMAGES = "images", CHANNELS = "channels", HEIGHT = "height", WIDTH = "width",
            ORDER = "channelOrder", PIXELS = "pixelsPerChannel", MEAN = "mean", STD = "std", SUM = "sum",
            SUM_OF_SQUARES = "sumOfSquares";

    long rows, images;
    int minChannels = Integer.MAX_VALUE, maxChannels, minHeight = Integer.MAX_VALUE, maxHeight,
            minWidth = Integer.MAX_VALUE, maxWidth;
    final TreeMap<String, Long> splits = new TreeMap<>();
    /** [c]: images of c channels, [k·256 + v] counts byte value v at interleaved offset k (BGR(A) order). */
    private final long[][] histograms = new long[5][];

    /**
     * The statistics of one partition's rows, read as {@code reader} reads them; {@code split} is
     * that column's index, or -1 for rows without one (a DataFrame to train on).
     */
    static ImageStats of(ParquetImageReader reader, int split, Iterator<Row> rows) {
        ImageStats s = new ImageStats();
        ImageRecord r = new ImageRecord();
        while (rows.hasNext()) {
            Row row = rows.next();
            s.add(reader.fill(row, r.clear()), split < 0 || row.isNullAt(split) ? "(none)" : row.getString(split));
        }
        return s;
    }

    /**
     * The statistics of {@code rows} (image and label columns, as {@link ParquetImageReader} reads
     * them) in one pass: mapPartitions, then an exact merge of the partitions' sums; {@code split}
     * is the split column's index, or -1.
     */
    static ImageStats of(org.apache.spark.sql.Dataset<Row> rows, int split) {
        ParquetImageReader reader = new ParquetImageReader(rows.schema());
        return rows.javaRDD().mapPartitions(it -> java.util.List.of(ImageStats.of(reader, split, it)).iterator())
                .fold(new ImageStats(), ImageStats::merge);
    }

    void add(ImageRecord r, String split) {
        rows++;
        splits.merge(split, 1L, Long::sum);
        int c = r.channels;
        if (!(c == 1 || c == 3 || c == 4) || r.height < 1 || r.width < 1 || r.data == null
                || r.data.length != (long) r.height * r.width * c) {
            return;
        }
        images++;
        minChannels = Math.min(minChannels, c);
        maxChannels = Math.max(maxChannels, c);
        minHeight = Math.min(minHeight, r.height);
        maxHeight = Math.max(maxHeight, r.height);
        minWidth = Math.min(minWidth, r.width);
        maxWidth = Math.max(maxWidth, r.width);
        if (histograms[c] == null) {
            histograms[c] = new long[c * 256];
        }
        long[] h = histograms[c];
        byte[] d = r.data;
        for (int i = 0; i < d.length; i += c) {
            for (int k = 0; k < c; k++) {
                h[(k << 8) + (d[i + k] & 0xff)]++;
            }
        }
    }

    /** Adds {@code o} into this; integer sums, so the result does not depend on the order of merging. */
    ImageStats merge(ImageStats o) {
        rows += o.rows;
        images += o.images;
        minChannels = Math.min(minChannels, o.minChannels);
        maxChannels = Math.max(maxChannels, o.maxChannels);
        minHeight = Math.min(minHeight, o.minHeight);
        maxHeight = Math.max(maxHeight, o.maxHeight);
        minWidth = Math.min(minWidth, o.minWidth);
        maxWidth = Math.max(maxWidth, o.maxWidth);
        o.splits.forEach((k, v) -> splits.merge(k, v, Long::sum));
        for (int c = 0; c < histograms.length; c++) {
            if (o.histograms[c] != null) {
                if (histograms[c] == null) {
                    histograms[c] = new long[o.histograms[c].length];
                }
                for (int i = 0; i < histograms[c].length; i++) {
                    histograms[c][i] += o.histograms[c][i];
                }
            }
        }
        return this;
    }

    /** Rows per split, in split order. */
    Map<String, Long> splits() {
        return new TreeMap<>(splits);
    }

    /** The file's content: the shape where all images share it, per-channel figures in RGB(A) order. */
    ObjectNode json(ObjectMapper mapper) {
        ObjectNode o = mapper.createObjectNode();
        o.put("version", VERSION);
        o.put(ROWS, rows);
        o.put(IMAGES, images);
        boolean oneChannelCount = images > 0 && minChannels == maxChannels;
        putOrNull(o, CHANNELS, oneChannelCount, minChannels);
        putOrNull(o, HEIGHT, images > 0 && minHeight == maxHeight, minHeight);
        putOrNull(o, WIDTH, images > 0 && minWidth == maxWidth, minWidth);
        if (!oneChannelCount) {
            for (String k : new String[] {ORDER, PIXELS, MEAN, STD, SUM, SUM_OF_SQUARES}) {
                o.putNull(k);
            }
            return o;
        }
        int c = minChannels;
        long[] h = histograms[c];
        int[] offsets = ImageRecord.rgbOffsets(c);
        long n = pixels(h);
        o.put(ORDER, c == 1 ? "grey" : c == 3 ? "RGB" : "RGBA");
        o.put(PIXELS, n);
        ArrayNode mean = o.putArray(MEAN), std = o.putArray(STD), sum = o.putArray(SUM), squares = o.putArray(SUM_OF_SQUARES);
        for (int k : offsets) {
            long s = 0, q = 0;
            for (int v = 1; v < 256; v++) {
                long count = h[(k << 8) + v];
                s = Math.addExact(s, count * v);
                q = Math.addExact(q, Math.multiplyExact(count, (long) v * v));
            }
            sum.add(s);
            squares.add(q);
            mean.add(s / 255.0 / n);
            // n·Σv² − (Σv)² exactly: the textbook E[v²] − E[v]² in doubles can cancel to noise
            BigInteger spread = BigInteger.valueOf(n).multiply(BigInteger.valueOf(q))
                    .subtract(BigInteger.valueOf(s).multiply(BigInteger.valueOf(s)));
            std.add(Math.sqrt(spread.doubleValue()) / n / 255.0);
        }
        return o;
    }

    /** Pixels per channel: the counts of channel 0's histogram. */
    private static long pixels(long[] h) {
        long n = 0;
        for (int v = 0; v < 256; v++) {
            n += h[v];
        }
        return n;
    }

    private static void putOrNull(ObjectNode o, String key, boolean known, int value) {
        if (known) {
            o.put(key, value);
        } else {
            o.putNull(key);
        }
    }

    /** Writes {@code dir}/_stats.json. */
    void write(FileSystem fs, Path dir) throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        try (OutputStream out = fs.create(new Path(dir, ImageLayout.STATS_FILE), false)) {
            out.write(mapper.writerWithDefaultPrettyPrinter().writeValueAsBytes(json(mapper)));
            out.write('\n');
        }
    }
}
