package org.sparkcnn.spark;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.sparkcnn.data.BadRecordException;
import org.sparkcnn.model.Logits;

/**
 * The predict job's output row, in plain Parquet types that any reader understands: {@code id}
 * and {@code label} carried over when the input has them, {@code origin}, {@code prediction}
 * (int), {@code class} (its name), {@code probability} (array of float, one per class), with
 * {@code --top K} the K best as {@code top_prediction}, {@code top_class} and
 * {@code top_probability}, and {@code error} (why a skipped row has no prediction; null otherwise).
 */
public final class PredictionColumns implements BatchScorer.Emit<Row> {
    private static final long serialVersionUID = 1L;
    private final int id, label, image, top;
    private final List<String> classNames;

    /** For input rows of {@code input} whose image struct is {@code imageCol}. */
    public PredictionColumns(StructType input, String imageCol, List<String> classNames, int top) {
        List<String> names = List.of(input.fieldNames());
        this.id = names.indexOf("id");
        this.label = names.indexOf("label");
        this.image = names.indexOf(imageCol);
        this.classNames = new ArrayList<>(classNames);
        this.top = Math.min(top, classNames.size());
    }

    /** The output schema. */
    public StructType schema() {
        StructType s = new StructType();
        if (id >= 0) {
            s = s.add("id", DataTypes.LongType, true);
        }
        if (label >= 0) {
            s = s.add("label", DataTypes.IntegerType, true);
        }
        s = s.add("origin", DataTypes.StringType, true)
                .add("prediction", DataTypes.IntegerType, true)
                .add("class", DataTypes.StringType, true)
                .add("probability", DataTypes.createArrayType(DataTypes.FloatType, false), true);
        if (top > 0) {
            s = s.add("top_prediction", DataTypes.createArrayType(DataTypes.IntegerType, false), true)
                    .add("top_class", DataTypes.createArrayType(DataTypes.StringType, false), true)
                    .add("top_probability", DataTypes.createArrayType(DataTypes.FloatType, false), true);
        }
        return s.add("error", DataTypes.StringType, true);
    }

    @Override
    public Row apply(Row in, float[] logits, BadRecordException bad) {
        List<Object> v = new ArrayList<>(10);
        if (id >= 0) {
            v.add(in.isNullAt(id) ? null : ((Number) in.get(id)).longValue());
        }
        if (label >= 0) {
            v.add(in.isNullAt(label) ? null : ((Number) in.get(label)).intValue());
        }
        Row img = in.isNullAt(image) ? null : in.getStruct(image);
        v.add(img == null || img.isNullAt(0) ? null : img.getString(0));   // a null image has no origin to carry
        if (bad != null) {
            for (int i = 0; i < (top > 0 ? 6 : 3); i++) {
                v.add(null);
            }
            v.add(bad.getMessage());
            return RowFactory.create(v.toArray());
        }
        double[] p = new double[logits.length];
        Logits.softmax(logits, p);
        float[] probability = new float[p.length];
        for (int i = 0; i < p.length; i++) {
            probability[i] = (float) p[i];
        }
        int best = Logits.argmax(logits);
        v.add(best);
        v.add(classNames.get(best));
        v.add(probability);
        if (top > 0) {
            int[] ids = new int[top];
            Logits.top(logits, top, ids);
            String[] names = new String[top];
            float[] probs = new float[top];
            for (int i = 0; i < top; i++) {
                names[i] = classNames.get(ids[i]);
                probs[i] = probability[ids[i]];
            }
            v.add(ids);
            v.add(names);
            v.add(probs);
        }
        v.add(null);
        return RowFactory.create(v.toArray());
    }
}
