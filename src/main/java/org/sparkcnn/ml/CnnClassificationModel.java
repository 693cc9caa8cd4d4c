package org.sparkcnn.ml;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReadable;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import org.sparkcnn.data.BadRecordPolicy;
import org.sparkcnn.data.parquet.ImageLayout;
import org.sparkcnn.spark.BatchScorer;
import org.sparkcnn.spark.CheckpointStore;
import org.sparkcnn.spark.TrainedModel;
import org.sparkcnn.train.TrainConfig;

/**
 * A trained CNN as a Spark ML classification model: {@link #transform} adds
 * {@code rawPrediction} (the logits), {@code probability} (their softmax) and {@code prediction}
 * (the class index as a double), as MLlib's classifiers do, so that
 * {@code MulticlassClassificationEvaluator} and pipelines take it as one of theirs. Images are
 * scored in batches inside each partition by one model copy per running task, kept by the
 * executor between tasks ({@link BatchScorer}). Saved as Spark ML metadata plus the model file
 * ({@code data/model.bin}, docs/model-files.md), which also makes it readable by
 * {@code jobs/predict.sh}; {@link #load} also opens a run folder or model folder of jobs/train.sh, or a model
 * registry's champion or version ({@code registry:PATH}, {@code registry:PATH@N}).
 */
public final class CnnClassificationModel extends Model<CnnClassificationModel> implements DefaultParamsWritable {
    private static final long serialVersionUID = 1L;
    /** The keys of the job's table that scoring uses. */
    static final List<String> SCORING_KEYS = List.of("evalBatchSize", "threads", "onBadRecord", "maxBadFraction");

    private final String uid;
    private final Param<String> imageCol, predictionCol, probabilityCol, rawPredictionCol;
    private final IntParam evalBatchSize, threads;
    private final Param<String> onBadRecord;
    private final DoubleParam maxBadFraction;
    private transient TrainedModel trained;
    private transient LongAccumulator badRows;

    /** An empty model of this uid, as Spark's readers and copy() create it; it scores once given a model. */
    public CnnClassificationModel(String uid) {
        this.uid = uid;
        imageCol = StageParams.column(uid, "imageCol");
        predictionCol = StageParams.column(uid, "predictionCol");
        probabilityCol = StageParams.column(uid, "probabilityCol");
        rawPredictionCol = StageParams.column(uid, "rawPredictionCol");
        evalBatchSize = (IntParam) StageParams.key(uid, "evalBatchSize");
        threads = (IntParam) StageParams.key(uid, "threads");
        @SuppressWarnings("unchecked")
        Param<String> policy = (Param<String>) StageParams.key(uid, "onBadRecord");
        onBadRecord = policy;
        maxBadFraction = (DoubleParam) StageParams.key(uid, "maxBadFraction");
        setDefault(imageCol, StageParams.columnDefault("imageCol"));
        setDefault(predictionCol, StageParams.columnDefault("predictionCol"));
        setDefault(probabilityCol, StageParams.columnDefault("probabilityCol"));
        setDefault(rawPredictionCol, StageParams.columnDefault("rawPredictionCol"));
        setDefault(evalBatchSize, (Integer) StageParams.defaultOf("evalBatchSize"));
        setDefault(threads, (Integer) StageParams.defaultOf("threads"));
        setDefault(onBadRecord, (String) StageParams.defaultOf("onBadRecord"));
        setDefault(maxBadFraction, (Double) StageParams.defaultOf("maxBadFraction"));
    }

    /** The model of {@code trained} under a new uid. */
    public CnnClassificationModel(TrainedModel trained) {
        this(Identifiable$.MODULE$.randomUID("CnnClassificationModel"));
        this.trained = trained;
    }

    CnnClassificationModel withTrained(TrainedModel t) {
        this.trained = t;
        return this;
    }

    @Override
    public String uid() {
        return uid;
    }

    // ------------------------------------------------------------------ params

    public Param<String> imageCol() {
        return imageCol;
    }

    public Param<String> predictionCol() {
        return predictionCol;
    }

    public Param<String> probabilityCol() {
        return probabilityCol;
    }

    public Param<String> rawPredictionCol() {
        return rawPredictionCol;
    }

    public IntParam evalBatchSize() {
        return evalBatchSize;
    }

    public IntParam threads() {
        return threads;
    }

    public Param<String> onBadRecord() {
        return onBadRecord;
    }

    public DoubleParam maxBadFraction() {
        return maxBadFraction;
    }

    public String getImageCol() {
        return getOrDefault(imageCol);
    }

    public String getPredictionCol() {
        return getOrDefault(predictionCol);
    }

    public String getProbabilityCol() {
        return getOrDefault(probabilityCol);
    }

    public String getRawPredictionCol() {
        return getOrDefault(rawPredictionCol);
    }

    public int getEvalBatchSize() {
        return (Integer) getOrDefault(evalBatchSize);
    }

    public int getThreads() {
        return (Integer) getOrDefault(threads);
    }

    public String getOnBadRecord() {
        return getOrDefault(onBadRecord);
    }

    public double getMaxBadFraction() {
        return (Double) getOrDefault(maxBadFraction);
    }

    public CnnClassificationModel setImageCol(String v) {
        return (CnnClassificationModel) set(imageCol, v);
    }

    public CnnClassificationModel setPredictionCol(String v) {
        return (CnnClassificationModel) set(predictionCol, v);
    }

    public CnnClassificationModel setProbabilityCol(String v) {
        return (CnnClassificationModel) set(probabilityCol, v);
    }

    public CnnClassificationModel setRawPredictionCol(String v) {
        return (CnnClassificationModel) set(rawPredictionCol, v);
    }

    public CnnClassificationModel setEvalBatchSize(int v) {
        return (CnnClassificationModel) set(evalBatchSize, v);
    }

    public CnnClassificationModel setThreads(int v) {
        return (CnnClassificationModel) set(threads, v);
    }

    public CnnClassificationModel setOnBadRecord(String v) {
        return (CnnClassificationModel) set(onBadRecord, v);
    }

    public CnnClassificationModel setMaxBadFraction(double v) {
        return (CnnClassificationModel) set(maxBadFraction, v);
    }

    // ------------------------------------------------------------------ the model

    /** The trained model: its network, class names and normalisation. */
    public TrainedModel trained() {
        if (trained == null) {
            throw new IllegalStateException("CnnClassificationModel " + uid + " holds no trained model (create it by"
                    + " CnnClassifier.fit or CnnClassificationModel.load)");
        }
        return trained;
    }

    /** The class names, in index order: prediction i means classNames().get(i). */
    public List<String> classNames() {
        return trained().classNames();
    }

    public int numClasses() {
        return trained().classes();
    }

    /** The training history: one JSON object per epoch, as metrics.jsonl of jobs/train.sh (empty when unknown). */
    public List<String> history() {
        return trained().history();
    }

    /**
     * Rows the last {@link #transform} outputs could not score (null in the three columns) under
     * onBadRecord = skip, as counted by the actions run on them so far: a Spark accumulator, so an
     * output computed twice counts twice. The exact figure of a result is
     * {@code filter(col(predictionCol).isNull()).count()}.
     */
    public long badRows() {
        return badRows == null ? 0 : badRows.value();
    }

    // ------------------------------------------------------------------ transform

    @Override
    public StructType transformSchema(StructType schema) {
        ImageLayout.validate(schema, getImageCol(), null, "CnnClassificationModel input");
        List<String> names = List.of(schema.fieldNames());
        List<StructField> fields = new ArrayList<>(List.of(schema.fields()));
        String[] out = {getRawPredictionCol(), getProbabilityCol(), getPredictionCol()};
        for (String c : out) {
            if (names.contains(c)) {
                throw new IllegalArgumentException("CnnClassificationModel: output column '" + c + "' already exists in"
                        + " the input (set another name with set" + (c.equals(out[2]) ? "Prediction" : c.equals(out[1])
                        ? "Probability" : "RawPrediction") + "Col)");
            }
        }
        fields.add(new StructField(out[0], SQLDataTypes.VectorType(), true, org.apache.spark.sql.types.Metadata.empty()));
        fields.add(new StructField(out[1], SQLDataTypes.VectorType(), true, org.apache.spark.sql.types.Metadata.empty()));
        fields.add(new StructField(out[2], DataTypes.DoubleType, true, org.apache.spark.sql.types.Metadata.empty()));
        return new StructType(fields.toArray(new StructField[0]));
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType outSchema = transformSchema(dataset.schema());
        Dataset<Row> in = dataset.toDF();
        SparkSession spark = in.sparkSession();
        TrainConfig cfg = StageParams.config(this, SCORING_KEYS, "CnnClassificationModel").validateWithoutPaths();
        BadRecordPolicy policy = new BadRecordPolicy();
        policy.onBadRecord = BadRecordPolicy.OnBadRecord.parse(cfg.get("onBadRecord"), "onBadRecord");
        policy.maxBadFraction = cfg.getDouble("maxBadFraction", 0);
        BatchScorer scorer = BatchScorer.create(JavaSparkContext.fromSparkContext(spark.sparkContext()), trained(),
                in.schema(), getImageCol(), null, cfg.getInt("evalBatchSize", 1), policy, cfg.getInt("threads", 0));
        badRows = spark.sparkContext().longAccumulator("sparkcnn: rows " + uid + " could not score");
        return in.mapPartitions(scoring(scorer, new VectorColumns(in.schema().size(), badRows)), Encoders.row(outSchema));
    }

    /** A static factory, so the task captures the scorer and the emitter, not this model. */
    private static MapPartitionsFunction<Row, Row> scoring(BatchScorer scorer, VectorColumns emit) {
        return rows -> scorer.score(TaskContext.getPartitionId(), rows, emit);
    }

    @Override
    public CnnClassificationModel copy(ParamMap extra) {
        CnnClassificationModel copy = copyValues(new CnnClassificationModel(uid).withTrained(trained), extra);
        return copy.setParent(parent());
    }

    // ------------------------------------------------------------------ saving and loading

    @Override
    public MLWriter write() {
        return new Writer(this);
    }

    /** Spark ML's params writer, which the model writer calls for its metadata. */
    private MLWriter paramsWriter() {
        return DefaultParamsWritable.super.write();
    }

    public static MLReader<CnnClassificationModel> read() {
        return new Reader();
    }

    /**
     * A model saved by {@code write().save(path)}, or from a run folder, model folder or model file of
     * jobs/train.sh (default params); errors name the path.
     */
    public static CnnClassificationModel load(String path) {
        return read().load(path);
    }

    /** Metadata as Spark ML's own stages write it (so pipelines load it), and the model file in data/. */
    private static final class Writer extends MLWriter {
        private final CnnClassificationModel model;

        Writer(CnnClassificationModel model) {
            this.model = model;
        }

        @Override
        public void saveImpl(String path) {
            byte[] bytes = model.trained().bytes();
            try {
                model.paramsWriter().session(sparkSession()).save(path);
                CheckpointStore.writeModel(new Path(path, "data").toString(), sc().hadoopConfiguration(),
                        out -> out.write(bytes));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot save CnnClassificationModel to " + path + ": " + e.getMessage(), e);
            }
        }
    }

    private static final class Reader extends MLReader<CnnClassificationModel> {
        @Override
        public CnnClassificationModel load(String path) {
            try {
                org.apache.hadoop.conf.Configuration conf = sc().hadoopConfiguration();
                TrainedModel t = TrainedModel.read(path, conf);
                if (path.startsWith(org.sparkcnn.registry.ModelRegistry.PREFIX)) { // a registry holds model files only
                    return new CnnClassificationModel(t);
                }
                Path metadata = new Path(path, "metadata");
                if (!metadata.getFileSystem(conf).exists(metadata)) {
                    return new CnnClassificationModel(t);
                }
                MLReader<CnnClassificationModel> params = new DefaultParamsReadable<CnnClassificationModel>() { }.read();
                return params.session(sparkSession()).load(path).withTrained(t);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot load a CnnClassificationModel from " + path + ": " + e.getMessage(), e);
            }
        }
    }
}
