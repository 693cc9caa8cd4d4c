package org.sparkcnn.ml;

import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.util.LongAccumulator;
import org.sparkcnn.data.BadRecordException;
import org.sparkcnn.model.Logits;
import org.sparkcnn.spark.BatchScorer;

/** Spark ML's three output columns after the input's: rawPrediction, probability, prediction; nulls for a bad row. */
final class VectorColumns implements BatchScorer.Emit<Row> {
    private static final long serialVersionUID = 1L;
    private final int inputColumns;
    private final LongAccumulator badRows;

    VectorColumns(int inputColumns, LongAccumulator badRows) {
        this.inputColumns = inputColumns;
        this.badRows = badRows;
    }

    @Override
    public Row apply(Row in, float[] logits, BadRecordException bad) {
        Object[] v = new Object[inputColumns + 3];
        for (int i = 0; i < inputColumns; i++) {
            v[i] = in.get(i);
        }
        if (bad != null) {
            badRows.add(1);
            return RowFactory.create(v);
        }
        double[] raw = new double[logits.length], probability = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            raw[i] = logits[i];
        }
        Logits.softmax(logits, probability);
        v[inputColumns] = Vectors.dense(raw);
        v[inputColumns + 1] = Vectors.dense(probability);
        v[inputColumns + 2] = (double) Logits.argmax(logits);
        return RowFactory.create(v);
    }
}
