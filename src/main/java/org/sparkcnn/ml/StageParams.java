package org.sparkcnn.ml;

import java.util.List;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.Params;
import org.sparkcnn.train.TrainConfig;

/**
 * The Params of both stages, each defined once: the column names here, every training and
 * scoring setting from the Spark job's own key table ({@link TrainConfig#SPARK_KEYS}), so that a
 * Param has the name, type, default and doc of the config key and of {@code --help}, and a value
 * set on a stage is checked by the very check the key has in a config file.
 */
final class StageParams {
    /** Keys that are not Params: the data comes as DataFrames, the run folder is checkpointDir. */
    static final List<String> NOT_PARAMS = List.of("train", "validation", "output", "master");

    private StageParams() {
    }

    /** The column Params both stages have: name → {default, doc}. */
    private static final java.util.Map<String, String[]> COLUMNS = java.util.Map.of(
            "imageCol", new String[] {"image", "image column: Spark's image struct (our Parquet layout or"
                    + " spark.read.format(\"image\"))"},
            "labelCol", new String[] {"label", "label column: the class index, a number in [0, classes)"},
            "predictionCol", new String[] {"prediction", "prediction column: the class index, as a double"},
            "probabilityCol", new String[] {"probability", "probability column: softmax of the logits, a Vector"},
            "rawPredictionCol", new String[] {"rawPrediction", "raw prediction column: the logits, a Vector"});

    /** The column Param {@code name} of the stage {@code uid}. */
    static Param<String> column(String uid, String name) {
        return new Param<>(uid, name, COLUMNS.get(name)[1]);
    }

    /** Its default column name. */
    static String columnDefault(String name) {
        return COLUMNS.get(name)[0];
    }

    static Param<String> column(String uid, String name, String doc) {
        return new Param<>(uid, name, doc);
    }

    /** The Param of config key {@code name}, of the key's type. */
    static Param<?> key(String uid, String name) {
        TrainConfig.Key k = TrainConfig.SPARK_KEYS.get(name);
        if (k == null) {
            throw new IllegalStateException("no training key " + name);
        }
        String doc = k.doc + " (config key " + name + ")";
        switch (k.type) {
            case INT: return new IntParam(uid, name, doc);
            case LONG: return new LongParam(uid, name, doc);
            case DOUBLE: return new DoubleParam(uid, name, doc);
            case BOOLEAN: return new BooleanParam(uid, name, doc);
            default: return new Param<String>(uid, name, doc);
        }
    }

    /** The key's default as its Param's type. */
    static Object defaultOf(String name) {
        TrainConfig.Key k = TrainConfig.SPARK_KEYS.get(name);
        String v = k.defaultValue;
        switch (k.type) {
            case INT: return Integer.parseInt(v);
            case LONG: return Long.parseLong(v);
            case DOUBLE: return Double.parseDouble(v);
            case BOOLEAN: return Boolean.parseBoolean(v);
            default: return v;
        }
    }

    /** The stage's values of {@code keys} as a Spark job configuration, checked as a config file would be. */
    static TrainConfig config(Params stage, List<String> keys, String where) {
        TrainConfig cfg = TrainConfig.distributed();
        ParamMap values = stage.extractParamMap();
        for (String name : keys) {
            Param<?> p = stage.getParam(name);
            if (values.contains(p)) {
                cfg.set(name, String.valueOf(values.apply(p)), where + " param " + name);
            }
        }
        return cfg;
    }
}
