package org.sparkcnn.data.parquet;

import static org.apache.spark.sql.functions.col;

import java.io.Serializable;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.sparkcnn.data.ImageRecord;
import org.sparkcnn.data.MiniBatchStream;
import org.sparkcnn.data.ReaderConfig;

/**
 * Reads a labelled image dataset (ImageLayout) in executors: {@link #load} checks the columns on the
 * driver and adds each row's file and row index; {@link #records} turns a partition's rows into
 * {@link ImageRecord}s one at a time (nothing is collected), ready for a {@link MiniBatchStream}.
 */
public final class ParquetImageReader implements Serializable {
    private static final long serialVersionUID = 1L;
    public static final String FILE = "_file", ROW = "_row";

    private final int image, label, file, row;
    private final int origin, height, width, channels, mode, data;

    /** For rows of {@code schema}: an image struct, a label, and optionally _file and _row. */
    public ParquetImageReader(StructType schema) {
        this(schema, ImageLayout.IMAGE, ImageLayout.LABEL);
    }

    /**
     * For rows of {@code schema} with the image struct in column {@code imageCol} and the label in
     * {@code labelCol}, or no label when it is null (scoring: every record then lacks one).
     */
    public ParquetImageReader(StructType schema, String imageCol, String labelCol) {
        ImageLayout.validate(schema, imageCol, labelCol, "dataset");
        List<String> names = List.of(schema.fieldNames());
        image = names.indexOf(imageCol);
        label = labelCol == null ? -1 : names.indexOf(labelCol);
        file = names.indexOf(FILE);
        row = names.indexOf(ROW);
        List<String> fields = List.of(((StructType) schema.apply(imageCol).dataType()).fieldNames());
        origin = fields.indexOf("origin");
        height = fields.indexOf("height");
        width = fields.indexOf("width");
        channels = fields.indexOf("nChannels");
        mode = fields.indexOf("mode");
        data = fields.indexOf("data");
    }

    /**
     * The Parquet dataset at {@code path} as rows of image, label, _file and _row (the file and the
     * row index within it, from Spark's _metadata columns), after checking its columns.
     */
    public static Dataset<Row> load(SparkSession spark, String path) {
        Dataset<Row> df = read(spark, path);
        ImageLayout.validate(df.schema(), path);
        return df.select(col(ImageLayout.IMAGE), col(ImageLayout.LABEL), col("_metadata.file_path").as(FILE),
                col("_metadata.row_index").as(ROW));
    }

    /**
     * The Parquet files at {@code path} with the union of their columns (mergeSchema): Spark would
     * otherwise take the columns of whichever file it lists first, so a file lacking a column could
     * hide that column from every file, or its rows read as nulls, depending on the listing order.
     * Merged, the rows of such a file read as nulls there and are bad records naming their file.
     */
    public static Dataset<Row> read(SparkSession spark, String path) {
        return spark.read().option("mergeSchema", "true").parquet(path);
    }

    /** The rows of one partition as records; one ImageRecord is reused, so consume each before the next. */
    public Iterator<ImageRecord> records(Iterator<Row> rows) {
        ImageRecord r = new ImageRecord();
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return rows.hasNext();
            }

            @Override
            public ImageRecord next() {
                return fill(rows.next(), r.clear());
            }
        };
    }

    /** Mini-batches of one partition's rows. */
    public MiniBatchStream batches(Iterator<Row> rows, ReaderConfig config) {
        return new MiniBatchStream(records(rows), config);
    }

    ImageRecord fill(Row in, ImageRecord r) {
        if (file >= 0 && !in.isNullAt(file)) {
            r.file = in.getString(file);
        }
        if (row >= 0 && !in.isNullAt(row)) {
            r.row = ((Number) in.get(row)).longValue();
        }
        if (label >= 0 && !in.isNullAt(label)) {
            r.label = ((Number) in.get(label)).doubleValue();
            r.labelPresent = true;
        }
        if (in.isNullAt(image)) {
            return r;
        }
        Row img = in.getStruct(image);
        r.origin = img.isNullAt(origin) ? null : img.getString(origin);
        r.height = intOrMissing(img, height);
        r.width = intOrMissing(img, width);
        r.channels = intOrMissing(img, channels);
        r.mode = intOrMissing(img, mode);
        r.data = img.isNullAt(data) ? null : (byte[]) img.get(data);
        return r;
    }

    private static int intOrMissing(Row r, int i) {
        if (r.isNullAt(i)) {
            return -1;
        }
        long v = ((Number) r.get(i)).longValue();
        // a negative or absurd size is reported like a missing one, never wrapped into a valid int
        return v < 0 || v > Integer.MAX_VALUE ? -1 : (int) v;
    }
}
