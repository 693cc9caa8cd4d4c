package org.sparkcnn.spark;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.xxhash64;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.attribute.Attribute;
import org.apache.spark.ml.attribute.NominalAttribute;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.sparkcnn.data.parquet.DatasetInfo;
import org.sparkcnn.data.parquet.ImageLayout;
import org.sparkcnn.data.parquet.ParquetImageReader;
import org.sparkcnn.train.TrainConfig;

/**
 * What a run trains on: the training and validation rows in {@link ParquetImageReader}'s layout
 * ({@code image}, {@code label}, {@code _file}, {@code _row}), the class names and what the driver
 * knows of the training set (shape, per-channel mean and std). Built by {@link #fromPaths}
 * (jobs/train.sh: Parquet datasets) or {@link #fromFrames} (the Spark ML stage: DataFrames); both
 * run Spark work, which is why they are factories. Nothing here is partitioned or cached yet: that
 * is the run's ({@link TrainingRun#start}).
 *
 * <p>A row's identity (file, row) decides its partition and its place in every epoch. Parquet rows
 * have their file and row index; a DataFrame row has neither, so its {@code _file} is the image's
 * origin and its {@code _row} a hash of its content (the whole image struct and the label). Then
 * partitioning and order depend on the rows' content only, never on how the input was
 * partitioned; rows with equal content are interchangeable, so their ties do not matter.
 */
public final class TrainingData {
    private final Dataset<Row> train, validation;
    private final List<String> classNames;
    private final DatasetInfo info;
    private final String source;

    private TrainingData(Dataset<Row> train, Dataset<Row> validation, List<String> classNames, DatasetInfo info,
            String source) {
        this.train = train;
        this.validation = validation;
        this.classNames = List.copyOf(classNames);
        this.info = info;
        this.source = source;
    }

    /**
     * The Parquet datasets of the {@code train} and {@code validation} keys (docs/data.md), their
     * columns checked, the shape and statistics from the import's files; the validation set must
     * have the training set's classes.
     */
    public static TrainingData fromPaths(SparkSession spark, TrainConfig cfg) {
        String trainPath = cfg.get("train"), val = cfg.get("validation");
        if (trainPath.isEmpty()) {
            throw new IllegalArgumentException("train is not set: give it in the config file or with --set train=...");
        }
        requireDataset(spark, "train", trainPath);
        if (!val.isEmpty()) {
            requireDataset(spark, "validation", val);
        }
        DatasetInfo info;
        try {
            info = DatasetInfo.read(spark, "train", trainPath);
        } catch (IOException e) {
            throw new IllegalArgumentException("train = " + trainPath + ": cannot be read: " + e.getMessage(), e);
        }
        List<String> classNames = classNames("train", trainPath, info.classes);
        Dataset<Row> rows = ParquetImageReader.load(spark, trainPath);
        Dataset<Row> validation = val.isEmpty() ? null : ParquetImageReader.load(spark, val);
        List<String> valClasses = validation == null ? null
                : classNames("validation", val, ImageLayout.classes(validation.schema()));
        if (valClasses != null && !valClasses.equals(classNames)) {
            throw new IllegalArgumentException("validation = " + val + " has the classes " + valClasses + " but train = "
                    + trainPath + " has " + classNames);
        }
        return new TrainingData(rows, validation, classNames, info, trainPath);
    }

    /**
     * A DataFrame to train on: {@code imageCol} a Spark image struct (the fields of
     * {@link ImageLayout#imageStruct()}), {@code labelCol} a number (the class index). The
     * validation rows are {@code validationOrNull} (same columns), else, when
     * {@code validationFraction} (in [0, 1)) is above 0, that fraction of the rows, chosen by a
     * hash of (seed, row identity): the same rows every time. Class names are {@code classNamesOrNull},
     * else the label column's ({@link ImageLayout#CLASSES_KEY}, or Spark ML's nominal attribute as
     * StringIndexer writes it), else "0" … the largest label. Shape and mean/std come from one pass
     * over the training rows.
     */
    public static TrainingData fromFrames(Dataset<Row> train, String imageCol, String labelCol,
            Dataset<Row> validationOrNull, double validationFraction, long seed, List<String> classNamesOrNull) {
        if (!(validationFraction >= 0 && validationFraction < 1)) {
            throw new IllegalArgumentException("validationFraction = " + validationFraction + " is not in [0, 1)");
        }
        if (validationOrNull != null && validationFraction > 0) {
            throw new IllegalArgumentException("give a validation frame or a validationFraction above 0, not both");
        }
        String name = "training frame (image column '" + imageCol + "', label column '" + labelCol + "')";
        Dataset<Row> rows = readerRows(train, imageCol, labelCol, name);
        Dataset<Row> validation = validationOrNull == null ? null
                : readerRows(validationOrNull, imageCol, labelCol, "validation frame");
        if (validation == null && validationFraction > 0) {
            Column u = identity(lit(seed), lit("validation")).bitwiseAND(lit((1L << 53) - 1)).cast("double").divide(lit(9007199254740992.0));
            validation = rows.where(u.lt(lit(validationFraction)));
            rows = rows.where(u.geq(lit(validationFraction)));
        }
        List<String> classes = classNamesOrNull != null ? List.copyOf(classNamesOrNull)
                : labelClasses(train.schema().apply(labelCol));
        if (classes != null && validationOrNull != null) {
            List<String> valClasses = labelClasses(validationOrNull.schema().apply(labelCol));
            if (classNamesOrNull == null && valClasses != null && !valClasses.equals(classes)) {
                throw new IllegalArgumentException("the validation frame has the classes " + valClasses
                        + " but the training frame has " + classes);
            }
        }
        if (classes == null) {
            classes = numbered(rows, name);
        }
        if (classes.isEmpty()) {
            throw new IllegalArgumentException(name + ": no class names");
        }
        DatasetInfo info = DatasetInfo.ofFrame(rows, name, classes);
        return new TrainingData(rows, validation, classes, info, null);
    }

    /**
     * The frame's image and label as the reader's rows: image, label, _file (the origin, "" when
     * null) and _row (a hash of the content), after checking the columns.
     */
    private static Dataset<Row> readerRows(Dataset<Row> frame, String imageCol, String labelCol, String name) {
        List<String> columns = Arrays.asList(frame.columns());
        for (String c : new String[] {imageCol, labelCol}) {
            if (!columns.contains(c)) {
                throw new IllegalArgumentException(name + ": no column '" + c + "' (the " + (c.equals(imageCol) ? "image"
                        : "label") + " column); the frame has " + columns);
            }
        }
        Dataset<Row> renamed = frame.select(col(imageCol).as(ImageLayout.IMAGE), col(labelCol).as(ImageLayout.LABEL));
        ImageLayout.validate(renamed.schema(), name + ", its columns renamed to image and label");
        return renamed.select(col(ImageLayout.IMAGE), col(ImageLayout.LABEL),
                coalesce(col(ImageLayout.IMAGE + ".origin"), lit("")).as(ParquetImageReader.FILE),
                xxhash64(col(ImageLayout.IMAGE), col(ImageLayout.LABEL)).as(ParquetImageReader.ROW));
    }

    /**
     * A 64-bit hash of {@code salt} and each row's content (pixels, sizes, mode, label), the rows'
     * identity for partitioning, shuffling and validation splits. Not where the row came from, so
     * the same images give the same run wherever they are stored or however they are imported
     * again; identical rows are interchangeable, so ties between them cannot change a result.
     */
    static Column identity(Column... salt) {
        Column[] parts = java.util.Arrays.copyOf(salt, salt.length + 6);
        String[] content = {".data", ".height", ".width", ".nChannels", ".mode"};
        for (int i = 0; i < content.length; i++) {
            parts[salt.length + i] = col(ImageLayout.IMAGE + content[i]);
        }
        parts[salt.length + 5] = col(ImageLayout.LABEL);
        return xxhash64(parts);
    }

    /** The class names a label column's metadata holds: ours, or Spark ML's nominal attribute; else null. */
    static List<String> labelClasses(StructField label) {
        if (label.metadata().contains(ImageLayout.CLASSES_KEY)) {
            return List.of(label.metadata().getStringArray(ImageLayout.CLASSES_KEY));
        }
        Attribute a = Attribute.fromStructField(label);
        if (a instanceof NominalAttribute && ((NominalAttribute) a).values().isDefined()) {
            return List.of(((NominalAttribute) a).values().get());
        }
        return null;
    }

    /** "0" … the largest label, from one aggregation. */
    private static List<String> numbered(Dataset<Row> rows, String name) {
        Row m = rows.agg(max(col(ImageLayout.LABEL))).first();
        if (m.isNullAt(0)) {
            throw new IllegalArgumentException(name + " has no labelled rows");
        }
        double most = ((Number) m.get(0)).doubleValue();
        if (most < 0 || most != Math.rint(most) || most >= Integer.MAX_VALUE) {
            throw new IllegalArgumentException(name + ": the largest label is " + most + ", not a class index");
        }
        List<String> names = new ArrayList<>();
        for (int i = 0; i <= (int) most; i++) {
            names.add(Integer.toString(i));
        }
        return names;
    }

    private static void requireDataset(SparkSession spark, String key, String path) {
        try {
            org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(path);
            if (!p.getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(p)) {
                throw new IllegalArgumentException(key + " = " + path + ": no such dataset (Parquet in the layout of "
                        + "docs/data.md; Fashion-MNIST: jobs/import.sh fashion-mnist --out data/fashion-mnist)");
            }
        } catch (IOException e) {
            throw new IllegalArgumentException(key + " = " + path + ": cannot be read: " + e.getMessage(), e);
        }
    }

    /** The class names a dataset carries (docs/data.md), which must be there. */
    private static List<String> classNames(String key, String path, List<String> classes) {
        if (classes == null || classes.isEmpty()) {
            throw new IllegalArgumentException(key + " = " + path + " has no class names (label metadata or _classes.json):"
                    + " import it with jobs/import.sh (docs/data.md)");
        }
        return classes;
    }

    /** The training rows: image, label, _file, _row. */
    public Dataset<Row> train() {
        return train;
    }

    /** The validation rows in the same layout, or null when there are none. */
    public Dataset<Row> validation() {
        return validation;
    }

    public List<String> classNames() {
        return classNames;
    }

    /** The images' channels, height and width. */
    public int[] inputShape() {
        return new int[] {info.channels, info.height, info.width};
    }

    /** The training set's per-channel mean of pixels in [0, 1] (RGB(A) order), or null when unknown. */
    public double[] mean() {
        return info.mean == null ? null : info.mean.clone();
    }

    /** As {@link #mean()}, the standard deviations. */
    public double[] std() {
        return info.std == null ? null : info.std.clone();
    }

    /** Rows of the training set (bad ones included). */
    public long rows() {
        return info.rows;
    }

    /** The training set's shape and statistics, for the run. */
    DatasetInfo info() {
        return info;
    }

    /** The training set's path (what a resumed run must train on again), or null for a DataFrame. */
    public String source() {
        return source;
    }
}
