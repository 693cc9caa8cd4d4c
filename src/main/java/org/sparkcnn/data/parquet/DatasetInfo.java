package org.sparkcnn.data.parquet;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.when;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sparkcnn.data.InputException;

/**
 * What the driver knows of a dataset before any training: the images' channels, height and width,
 * the class names, the row count and the per-channel mean and standard deviation of its pixels
 * (scaled to [0, 1], in RGB(A) order). All come from {@value ImageLayout#STATS_FILE} when the
 * import wrote one (docs/data.md); for a dataset imported before that file existed, the shape and
 * count come from one query on the three int columns (no pixels are read) and mean/std are null.
 *
 * <p>Every usable image must have one shape: images of mixed sizes or channels are an
 * {@link InputException} naming the first row (in file and row order) whose shape differs from the
 * first row's, and the import option that gives them one. Rows without a usable image (Spark's
 * invalid-image rows) are left to the reader, which reports them as bad records.
 */
public final class DatasetInfo {
    private static final ObjectMapper JSON = new ObjectMapper();

    public final String path;
    /** The shape every image has (C×H×W). */
    public final int channels, height, width;
    /** Class names in label order (the label column's metadata, else _classes.json), or null when the dataset has none. */
    public final List<String> classes;
    /** Per channel, in RGB(A) order, of pixels scaled to [0, 1]; null for a dataset without _stats.json. */
    public final double[] mean, std;
    /** Every row, usable or not. */
    public final long rows;
    /** How errors name the dataset: "train = data/x", or its path. */
    private final String name;

    private DatasetInfo(String path, String name, int[] shape, List<String> classes, double[] mean, double[] std,
                        long rows) {
        this.path = path;
        this.name = name;
        this.channels = shape[0];
        this.height = shape[1];
        this.width = shape[2];
        this.classes = classes;
        this.mean = mean;
        this.std = std;
        this.rows = rows;
    }

    /** The dataset at {@code path}; errors begin with the path. */
    public static DatasetInfo read(SparkSession spark, String path) throws IOException {
        return read(spark, null, path);
    }

    /** The dataset at {@code path}, named in errors as {@code key = path} (the configuration key that gave it). */
    public static DatasetInfo read(SparkSession spark, String key, String path) throws IOException {
        String name = key == null ? path : key + " = " + path;
        Path dir = new Path(path);
        FileSystem fs = dir.getFileSystem(spark.sparkContext().hadoopConfiguration());
        Dataset<Row> df = ParquetImageReader.read(spark, path);
        ImageLayout.validate(df.schema(), name);
        List<String> classes = ImageLayout.classes(df.schema());
        if (classes == null) {
            JsonNode file = json(fs, new Path(dir, ImageLayout.CLASSES_FILE), name);
            classes = file == null ? null : strings(file, "classes", name + ": " + ImageLayout.CLASSES_FILE);
        }
        Path statsPath = new Path(dir, ImageLayout.STATS_FILE);
        JsonNode stats = json(fs, statsPath, name);
        if (stats == null) {
            long[] found = query(df, name, false);
            return new DatasetInfo(path, name, new int[] {(int) found[1], (int) found[2], (int) found[3]}, classes,
                    null, null, found[0]);
        }
        return fromStats(df, path, name, classes, stats, name + ": " + ImageLayout.STATS_FILE, false);
    }

    /**
     * A DataFrame to train on, in the reader's layout (image, label, {@code _file} = the image's
     * origin, {@code _row}), summed in one pass as an import sums what it wrote
     * ({@link ImageStats}): shape, rows, per-channel mean and std. Images of more than one shape
     * are an {@link InputException} naming the first odd image by its origin. {@code name} names
     * the frame in errors; {@code classes} may be null.
     */
    public static DatasetInfo ofFrame(Dataset<Row> rows, String name, List<String> classes) {
        JsonNode stats = ImageStats.of(rows, -1).json(JSON);
        return fromStats(rows, name, name, classes, stats, name, true);
    }

    /** The dataset described by {@code stats} (the content of _stats.json); a shape the images do not share is queried. */
    private static DatasetInfo fromStats(Dataset<Row> df, String path, String name, List<String> classes, JsonNode stats,
            String where, boolean frame) {
        int[] shape = {(int) integer(stats, ImageStats.CHANNELS, where, true),
            (int) integer(stats, ImageStats.HEIGHT, where, true), (int) integer(stats, ImageStats.WIDTH, where, true)};
        if (shape[0] < 1 || shape[1] < 1 || shape[2] < 1) { // not one shape: the query names the first odd row
            long[] found = query(df, name, frame);
            shape = new int[] {(int) found[1], (int) found[2], (int) found[3]};
        }
        return new DatasetInfo(path, name, shape, classes, doubles(stats, ImageStats.MEAN, shape[0], where),
                doubles(stats, ImageStats.STD, shape[0], where), integer(stats, ImageStats.ROWS, where, false));
    }

    /** "3×32×32". */
    public String shape() {
        return channels + "×" + height + "×" + width;
    }

    /**
     * The mean to subtract from each channel of a model input with {@code modelChannels} channels
     * (null without statistics): the dataset's own, or the R, G and B ones of an RGBA dataset read
     * by a 3-channel model (the reader drops alpha).
     */
    public float[] meanFor(int modelChannels) {
        return forModel(mean, modelChannels, false);
    }

    /** As {@link #meanFor}, the standard deviations; a channel that never varies gets 1 (it is only centred). */
    public float[] stdFor(int modelChannels) {
        return forModel(std, modelChannels, true);
    }

    private float[] forModel(double[] values, int modelChannels, boolean divisor) {
        if (values == null) {
            return null;
        }
        if (modelChannels != channels && !(channels == 4 && modelChannels == 3)) {
            throw new IllegalArgumentException(name + " holds " + shape() + " images but the model's input has "
                    + modelChannels + (modelChannels == 1 ? " channel" : " channels"));
        }
        float[] out = new float[modelChannels];
        for (int c = 0; c < modelChannels; c++) {
            out[c] = divisor && values[c] == 0 ? 1f : (float) values[c];
        }
        return out;
    }

    /**
     * {rows, channels, height, width} from the int columns, after checking that every usable image
     * has the first one's shape; "first" is in (file, row) order, so the named row is the same
     * whatever Spark's partitioning. A {@code frame} (rows of {@link ParquetImageReader}'s layout
     * made from a DataFrame) has no files: its {@code _file} is the image's origin and its
     * {@code _row} a hash of the content, and the error names the origin.
     */
    private static long[] query(Dataset<Row> df, String name, boolean frame) {
        Column c = col("image.nChannels"), h = col("image.height"), w = col("image.width");
        Column usable = c.isin(1, 3, 4).and(h.gt(0)).and(w.gt(0));
        Column at = struct(col(frame ? ParquetImageReader.FILE : "_metadata.file_path").as("file"),
                col(frame ? ParquetImageReader.ROW : "_metadata.row_index").as("row"), c.as("c"), h.as("h"), w.as("w"));
        Row totals = df.agg(count(lit(1)), min(when(usable, at))).first();
        if (totals.isNullAt(1)) {
            throw new InputException(name + " holds no images (" + totals.getLong(0) + " rows, none with a usable image)");
        }
        Row first = totals.getStruct(1);
        long[] shape = {totals.getLong(0), number(first, 2), number(first, 3), number(first, 4)};
        Row odd = df.where(usable.and(c.notEqual(lit(shape[1])).or(h.notEqual(lit(shape[2])))
                .or(w.notEqual(lit(shape[3]))))).agg(min(at)).first();
        if (!odd.isNullAt(0)) {
            Row o = odd.getStruct(0);
            if (frame) {
                throw new InputException(String.format(Locale.ROOT, "%s: the image %s is %d×%d×%d but the first image"
                        + " (by origin) is %d×%d×%d: every image must have one shape", name, o.getString(0), number(o, 2),
                        number(o, 3), number(o, 4), shape[1], shape[2], shape[3]));
            }
            boolean size = number(o, 3) != shape[2] || number(o, 4) != shape[3], depth = number(o, 2) != shape[1];
            String fix = !depth ? "--resize HxW to give every image one size"
                    : !size ? "--channels 1, 3 or 4 to give every image the same channels"
                    : "--resize HxW and --channels 1, 3 or 4 to give every image one shape";
            throw new InputException(String.format(Locale.ROOT, "%s: row %d of %s is %d×%d×%d but the first row is"
                    + " %d×%d×%d: import with %s", name, o.getLong(1), o.getString(0), number(o, 2), number(o, 3),
                    number(o, 4), shape[1], shape[2], shape[3], fix));
        }
        return shape;
    }

    private static long number(Row r, int i) {
        return ((Number) r.get(i)).longValue();
    }

    /** The parsed file, or null when there is none. */
    private static JsonNode json(FileSystem fs, Path file, String name) throws IOException {
        if (!fs.exists(file)) {
            return null;
        }
        try (InputStream in = fs.open(file)) {
            return JSON.readTree(in);
        } catch (JacksonException e) {
            throw new InputException(name + ": " + file.getName() + " is not valid JSON (" + e.getOriginalMessage() + ")", e);
        }
    }

    /** A whole number, or 0 for null when {@code nullable} (a shape the images do not share). */
    private static long integer(JsonNode o, String field, String where, boolean nullable) {
        JsonNode v = o.get(field);
        if (v != null && v.canConvertToLong() && v.isIntegralNumber() && v.asLong() >= 0) {
            return v.asLong();
        }
        if (nullable && v != null && v.isNull()) {
            return 0;
        }
        throw new InputException(where + ": field '" + field + "' is " + (v == null ? "missing" : v.toString())
                + ", not a whole number" + (nullable ? " or null" : ""));
    }

    /** {@code n} numbers, or null when the field is null (the images mix channel counts). */
    private static double[] doubles(JsonNode o, String field, int n, String where) {
        JsonNode v = o.get(field);
        if (v != null && v.isNull()) {
            return null;
        }
        if (v == null || !v.isArray() || v.size() != n) {
            throw new InputException(where + ": field '" + field + "' is " + (v == null ? "missing" : v.toString())
                    + ", not a list of " + n + " numbers (one per channel)");
        }
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = number(v, i, field, where);
        }
        return out;
    }

    private static double number(JsonNode array, int i, String field, String where) {
        if (!array.get(i).isNumber()) {
            throw new InputException(where + ": field '" + field + "' holds " + array.get(i) + ", not a number");
        }
        return array.get(i).asDouble();
    }

    private static List<String> strings(JsonNode o, String field, String where) {
        JsonNode v = o.get(field);
        if (v == null || !v.isArray()) {
            throw new InputException(where + ": field '" + field + "' is not a list of names");
        }
        List<String> out = new ArrayList<>();
        v.forEach(e -> out.add(e.asText()));
        return List.copyOf(out);
    }
}
