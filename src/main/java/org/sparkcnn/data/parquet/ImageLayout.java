package org.sparkcnn.data.parquet;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.image.ImageSchema;
import org.apache.spark.sql.types.BinaryType$;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.MetadataBuilder;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StringType$;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The Parquet layout of a labelled image dataset (docs/data.md): Spark's own image struct, so
 * that {@code spark.read.format("image")} output and ours read alike, plus a class index.
 * <pre>
 *   image  struct&lt;origin string, height int, width int, nChannels int, mode int, data binary&gt;
 *   label  int     class index in [0, classes); the class names ride in this column's metadata
 *   id     long    position in the source (IDX item, or file order in a folder)
 *   split  string  e.g. "train" or "test"
 * </pre>
 * {@code data} holds raw pixels only (no PNG/JPEG bytes): row-major, channels interleaved, BGR for
 * colour, as Spark's image source writes them.
 */
public final class ImageLayout {
    public static final String IMAGE = "image", LABEL = "label", ID = "id", SPLIT = "split";
    /** Metadata key on the label column: the class names in index order. */
    public static final String CLASSES_KEY = "sparkcnn.classes";
    /** The file written beside the data with the same class names, for tools that do not read Spark metadata. */
    public static final String CLASSES_FILE = "_classes.json";
    /**
     * The file written beside the data with its row count, image shape and per-channel pixel
     * statistics (ImageStats); like _classes.json, Spark's readers skip it for its leading underscore.
     */
    public static final String STATS_FILE = "_stats.json";
    /** Row groups of ~8 MiB: thousands of small images per group, a few dozen large ones. */
    public static final long ROW_GROUP_BYTES = 8L << 20;
    public static final String COMPRESSION = "zstd";

    private ImageLayout() {
    }

    /** Spark's image struct (ImageSchema.columnSchema): origin, height, width, nChannels, mode, data. */
    public static StructType imageStruct() {
        return ImageSchema.columnSchema();
    }

    public static StructType schema(List<String> classes) {
        Metadata labelMeta = new MetadataBuilder().putStringArray(CLASSES_KEY, classes.toArray(new String[0])).build();
        return new StructType(new StructField[] {
            new StructField(IMAGE, imageStruct(), true, Metadata.empty()),
            new StructField(LABEL, DataTypes.IntegerType, true, labelMeta),
            new StructField(ID, DataTypes.LongType, false, Metadata.empty()),
            new StructField(SPLIT, DataTypes.StringType, true, Metadata.empty()),
        });
    }

    /** The class names stored on the label column, or null when there are none. */
    public static List<String> classes(StructType schema) {
        if (!List.of(schema.fieldNames()).contains(LABEL)) {
            return null;
        }
        Metadata m = schema.apply(LABEL).metadata();
        return m.contains(CLASSES_KEY) ? List.of(m.getStringArray(CLASSES_KEY)) : null;
    }

    /**
     * Checks the columns a reader needs before any work starts: an {@code image} struct with the
     * six fields of Spark's image schema (numeric fields any integer type) and a numeric
     * {@code label}. The error lists what was expected and what was found.
     */
    public static void validate(StructType found, String where) {
        validate(found, IMAGE, LABEL, where);
    }

    /**
     * As {@link #validate(StructType, String)} for columns of other names (Spark ML's imageCol and
     * labelCol); without a label column ({@code labelCol} null) only the image is checked, as
     * scoring new images needs.
     */
    public static void validate(StructType found, String imageCol, String labelCol, String where) {
        List<String> problems = new ArrayList<>();
        StructField image = field(found, imageCol);
        if (image == null) {
            problems.add("no column '" + imageCol + "'");
        } else if (!(image.dataType() instanceof StructType)) {
            problems.add("column '" + imageCol + "' is " + image.dataType().simpleString() + ", not a struct");
        } else {
            StructType s = (StructType) image.dataType();
            expect(s, imageCol, "origin", StringType$.MODULE$, problems);
            for (String f : new String[] {"height", "width", "nChannels", "mode"}) {
                expectInteger(s, imageCol, f, problems);
            }
            expect(s, imageCol, "data", BinaryType$.MODULE$, problems);
        }
        if (labelCol != null) {
            StructField label = field(found, labelCol);
            if (label == null) {
                problems.add("no column '" + labelCol + "'");
            } else if (!(label.dataType() instanceof NumericType)) {
                problems.add("column '" + labelCol + "' is " + label.dataType().simpleString() + ", not a number");
            }
        }
        if (!problems.isEmpty()) {
            String expected = imageCol + " " + imageStruct().simpleString() + (labelCol == null ? "" : ", " + labelCol + " int");
            throw new IllegalArgumentException(where + ": not " + (labelCol == null ? "an" : "a labelled") + " image dataset: "
                    + String.join("; ", problems) + ".\n  expected: " + expected + "\n  found:    " + found.simpleString());
        }
    }

    private static StructField field(StructType s, String name) {
        for (StructField f : s.fields()) {
            if (f.name().equals(name)) {
                return f;
            }
        }
        return null;
    }

    private static void expect(StructType s, String col, String name, DataType type, List<String> problems) {
        StructField f = field(s, name);
        if (f == null) {
            problems.add("no field '" + col + "." + name + "'");
        } else if (!f.dataType().equals(type)) {
            problems.add("field '" + col + "." + name + "' is " + f.dataType().simpleString() + ", not "
                    + type.simpleString());
        }
    }

    private static void expectInteger(StructType s, String col, String name, List<String> problems) {
        StructField f = field(s, name);
        if (f == null) {
            problems.add("no field '" + col + "." + name + "'");
        } else if (!(f.dataType().equals(DataTypes.IntegerType) || f.dataType().equals(DataTypes.LongType)
                || f.dataType().equals(DataTypes.ShortType) || f.dataType().equals(DataTypes.ByteType))) {
            problems.add("field '" + col + "." + name + "' is " + f.dataType().simpleString() + ", not int");
        }
    }
}
