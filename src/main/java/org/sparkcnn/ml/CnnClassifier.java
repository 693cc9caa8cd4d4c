package org.sparkcnn.ml;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReadable;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.sparkcnn.data.parquet.ImageLayout;
import org.sparkcnn.spark.DistributedTrainer;
import org.sparkcnn.spark.RunFolder;
import org.sparkcnn.spark.TrainedModel;
import org.sparkcnn.spark.TrainingData;
import org.sparkcnn.spark.TrainingResult;
import org.sparkcnn.train.TrainConfig;

/**
 * The CNN trainer as a Spark ML estimator: {@link #fit} runs the distributed trainer of
 * jobs/train.sh (the same code: {@link DistributedTrainer}) on a DataFrame of images and labels
 * and returns a {@link CnnClassificationModel} that keeps the class names and the per-epoch
 * training history. Every setting of the train job is a Param of the same name, type, default
 * and doc ({@link TrainConfig#SPARK_KEYS}); the column Params, {@code validationFraction} and
 * {@code checkpointDir} are the stage's own. With a checkpointDir the run writes its checkpoints,
 * metrics.jsonl and model there as jobs/train.sh does, and a fit that finds a checkpoint of the
 * same run there continues from it; without one nothing is written.
 */
public final class CnnClassifier extends Estimator<CnnClassificationModel> implements DefaultParamsWritable {
    private static final long serialVersionUID = 1L;

    private final String uid;
    private final Param<String> imageCol, labelCol, predictionCol, probabilityCol, rawPredictionCol, checkpointDir;
    private final DoubleParam validationFraction;
    /** Every training key's Param, in the key table's order. */
    private final Map<String, Param<?>> keys = new LinkedHashMap<>();
    private transient Dataset<Row> validationData;
    private transient PrintStream progress = System.out;

    public CnnClassifier() {
        this(Identifiable$.MODULE$.randomUID("CnnClassifier"));
    }

    public CnnClassifier(String uid) {
        this.uid = uid;
        imageCol = StageParams.column(uid, "imageCol");
        labelCol = StageParams.column(uid, "labelCol");
        predictionCol = StageParams.column(uid, "predictionCol");
        probabilityCol = StageParams.column(uid, "probabilityCol");
        rawPredictionCol = StageParams.column(uid, "rawPredictionCol");
        checkpointDir = StageParams.column(uid, "checkpointDir", "run folder for checkpoints, metrics.jsonl and the model"
                + " (any Hadoop path; empty = write nothing); a fit finding a checkpoint of the same run there resumes");
        validationFraction = new DoubleParam(uid, "validationFraction", "fraction of the rows held out for validation"
                + " after every epoch, chosen by a hash of seed and row (0 = none, or a validation DataFrame)");
        setDefault(imageCol, StageParams.columnDefault("imageCol"));
        setDefault(labelCol, StageParams.columnDefault("labelCol"));
        setDefault(predictionCol, StageParams.columnDefault("predictionCol"));
        setDefault(probabilityCol, StageParams.columnDefault("probabilityCol"));
        setDefault(rawPredictionCol, StageParams.columnDefault("rawPredictionCol"));
        setDefault(checkpointDir, "");
        setDefault(validationFraction, 0.0);
        for (String name : TrainConfig.SPARK_KEYS.keySet()) {
            if (!StageParams.NOT_PARAMS.contains(name)) {
                Param<?> p = StageParams.key(uid, name);
                keys.put(name, p);
                defaultOf(p, StageParams.defaultOf(name));
            }
        }
    }

    @SuppressWarnings("unchecked")
    private <T> void defaultOf(Param<T> p, Object value) {
        setDefault(p, (T) value);
    }

    @Override
    public String uid() {
        return uid;
    }

    /** The stage's Params: its own, then one per training key (generated, hence listed here rather than found by reflection). */
    @Override
    public Param<?>[] params() {
        List<Param<?>> all = new ArrayList<>(List.of(imageCol, labelCol, predictionCol, probabilityCol, rawPredictionCol,
                checkpointDir, validationFraction));
        all.addAll(keys.values());
        return all.toArray(new Param<?>[0]);
    }

    // ------------------------------------------------------------------ params

    public Param<String> imageCol() {
        return imageCol;
    }

    public Param<String> labelCol() {
        return labelCol;
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

    public Param<String> checkpointDir() {
        return checkpointDir;
    }

    public DoubleParam validationFraction() {
        return validationFraction;
    }

    @SuppressWarnings("unchecked")
    private CnnClassifier put(String key, Object value) {
        return (CnnClassifier) set((Param<Object>) keys.get(key), value);
    }

    private Object value(String key) {
        return getOrDefault(keys.get(key));
    }

    public String getImageCol() { return getOrDefault(imageCol); }
    public String getLabelCol() { return getOrDefault(labelCol); }
    public String getPredictionCol() { return getOrDefault(predictionCol); }
    public String getProbabilityCol() { return getOrDefault(probabilityCol); }
    public String getRawPredictionCol() { return getOrDefault(rawPredictionCol); }
    public String getCheckpointDir() { return getOrDefault(checkpointDir); }
    public double getValidationFraction() { return (Double) getOrDefault(validationFraction); }
    public CnnClassifier setImageCol(String v) { return (CnnClassifier) set(imageCol, v); }
    public CnnClassifier setLabelCol(String v) { return (CnnClassifier) set(labelCol, v); }
    public CnnClassifier setPredictionCol(String v) { return (CnnClassifier) set(predictionCol, v); }
    public CnnClassifier setProbabilityCol(String v) { return (CnnClassifier) set(probabilityCol, v); }
    public CnnClassifier setRawPredictionCol(String v) { return (CnnClassifier) set(rawPredictionCol, v); }
    public CnnClassifier setCheckpointDir(String v) { return (CnnClassifier) set(checkpointDir, v); }
    public CnnClassifier setValidationFraction(double v) { return (CnnClassifier) set(validationFraction, v); }

    // one setter and getter per training key, named after it (types as in TrainConfig)
    public CnnClassifier setModel(String v) { return put("model", v); }
    public String getModel() { return (String) value("model"); }
    public CnnClassifier setEpochs(int v) { return put("epochs", v); }
    public int getEpochs() { return (Integer) value("epochs"); }
    public CnnClassifier setBatchSize(int v) { return put("batchSize", v); }
    public int getBatchSize() { return (Integer) value("batchSize"); }
    public CnnClassifier setOptimizer(String v) { return put("optimizer", v); }
    public String getOptimizer() { return (String) value("optimizer"); }
    public CnnClassifier setLearningRate(double v) { return put("learningRate", v); }
    public double getLearningRate() { return (Double) value("learningRate"); }
    public CnnClassifier setMomentum(double v) { return put("momentum", v); }
    public double getMomentum() { return (Double) value("momentum"); }
    public CnnClassifier setNesterov(boolean v) { return put("nesterov", v); }
    public boolean getNesterov() { return (Boolean) value("nesterov"); }
    public CnnClassifier setWeightDecay(double v) { return put("weightDecay", v); }
    public double getWeightDecay() { return (Double) value("weightDecay"); }
    public CnnClassifier setLabelSmoothing(double v) { return put("labelSmoothing", v); }
    public double getLabelSmoothing() { return (Double) value("labelSmoothing"); }
    public CnnClassifier setSchedule(String v) { return put("schedule", v); }
    public String getSchedule() { return (String) value("schedule"); }
    public CnnClassifier setStepEvery(int v) { return put("stepEvery", v); }
    public int getStepEvery() { return (Integer) value("stepEvery"); }
    public CnnClassifier setStepGamma(double v) { return put("stepGamma", v); }
    public double getStepGamma() { return (Double) value("stepGamma"); }
    public CnnClassifier setWarmupSteps(int v) { return put("warmupSteps", v); }
    public int getWarmupSteps() { return (Integer) value("warmupSteps"); }
    public CnnClassifier setSeed(long v) { return put("seed", v); }
    public long getSeed() { return (Long) value("seed"); }
    public CnnClassifier setPartitions(int v) { return put("partitions", v); }
    public int getPartitions() { return (Integer) value("partitions"); }
    /** "epoch", or every N mini-batches. */
    public CnnClassifier setSyncEvery(String v) { return put("syncEvery", v); }
    public CnnClassifier setSyncEvery(int v) { return put("syncEvery", Integer.toString(v)); }
    public String getSyncEvery() { return (String) value("syncEvery"); }
    public CnnClassifier setOptimizerState(String v) { return put("optimizerState", v); }
    public String getOptimizerState() { return (String) value("optimizerState"); }
    public CnnClassifier setLrScaling(String v) { return put("lrScaling", v); }
    public String getLrScaling() { return (String) value("lrScaling"); }
    public CnnClassifier setServerMomentum(double v) { return put("serverMomentum", v); }
    public double getServerMomentum() { return (Double) value("serverMomentum"); }
    public CnnClassifier setThreads(int v) { return put("threads", v); }
    public int getThreads() { return (Integer) value("threads"); }
    public CnnClassifier setTreeDepth(int v) { return put("treeDepth", v); }
    public int getTreeDepth() { return (Integer) value("treeDepth"); }
    public CnnClassifier setKeepCheckpoints(int v) { return put("keepCheckpoints", v); }
    public int getKeepCheckpoints() { return (Integer) value("keepCheckpoints"); }
    /** "dataset", one value, or one per channel separated by commas. */
    public CnnClassifier setMean(String v) { return put("mean", v); }
    public String getMean() { return (String) value("mean"); }
    public CnnClassifier setStd(String v) { return put("std", v); }
    public String getStd() { return (String) value("std"); }
    public CnnClassifier setCropPadding(int v) { return put("cropPadding", v); }
    public int getCropPadding() { return (Integer) value("cropPadding"); }
    public CnnClassifier setFlip(boolean v) { return put("flip", v); }
    public boolean getFlip() { return (Boolean) value("flip"); }
    /** Probability that a training image gets one erased rectangle. */
    public CnnClassifier setErasing(double v) { return put("erasing", v); }
    public double getErasing() { return (Double) value("erasing"); }
    public CnnClassifier setOnBadRecord(String v) { return put("onBadRecord", v); }
    public String getOnBadRecord() { return (String) value("onBadRecord"); }
    public CnnClassifier setMaxBadFraction(double v) { return put("maxBadFraction", v); }
    public double getMaxBadFraction() { return (Double) value("maxBadFraction"); }
    public CnnClassifier setEvalBatchSize(int v) { return put("evalBatchSize", v); }
    public int getEvalBatchSize() { return (Integer) value("evalBatchSize"); }
    // knowing when to stop (docs/training.md)
    public CnnClassifier setMonitor(String v) { return put("monitor", v); }
    public String getMonitor() { return (String) value("monitor"); }
    public CnnClassifier setMonitorMode(String v) { return put("monitorMode", v); }
    public String getMonitorMode() { return (String) value("monitorMode"); }
    public CnnClassifier setMinDelta(double v) { return put("minDelta", v); }
    public double getMinDelta() { return (Double) value("minDelta"); }
    public CnnClassifier setEarlyStopping(boolean v) { return put("earlyStopping", v); }
    public boolean getEarlyStopping() { return (Boolean) value("earlyStopping"); }
    public CnnClassifier setPatience(int v) { return put("patience", v); }
    public int getPatience() { return (Integer) value("patience"); }
    public CnnClassifier setRestoreBest(boolean v) { return put("restoreBest", v); }
    public boolean getRestoreBest() { return (Boolean) value("restoreBest"); }
    public CnnClassifier setPlateauFactor(double v) { return put("plateauFactor", v); }
    public double getPlateauFactor() { return (Double) value("plateauFactor"); }
    public CnnClassifier setPlateauPatience(int v) { return put("plateauPatience", v); }
    public int getPlateauPatience() { return (Integer) value("plateauPatience"); }
    public CnnClassifier setPlateauCooldown(int v) { return put("plateauCooldown", v); }
    public int getPlateauCooldown() { return (Integer) value("plateauCooldown"); }
    public CnnClassifier setMinLearningRate(double v) { return put("minLearningRate", v); }
    public double getMinLearningRate() { return (Double) value("minLearningRate"); }
    public CnnClassifier setKeepBest(int v) { return put("keepBest", v); }
    public int getKeepBest() { return (Integer) value("keepBest"); }

    /** Rows to validate on after every epoch (same columns as the training frame); not saved with the stage. */
    public CnnClassifier setValidationData(Dataset<Row> rows) {
        this.validationData = rows;
        return this;
    }

    /** Where the per-epoch progress lines go (default System.out; null: nowhere). */
    public CnnClassifier setProgress(PrintStream out) {
        this.progress = out;
        return this;
    }

    // ------------------------------------------------------------------ fitting

    /** The settings as the train job's configuration (every value checked by its key's check). */
    TrainConfig config() {
        return StageParams.config(this, new ArrayList<>(keys.keySet()), "CnnClassifier").validateWithoutPaths();
    }

    @Override
    public StructType transformSchema(StructType schema) {
        ImageLayout.validate(schema, getImageCol(), getLabelCol(), "CnnClassifier input");
        return new CnnClassificationModel(uid).setImageCol(getImageCol()).setPredictionCol(getPredictionCol())
                .setProbabilityCol(getProbabilityCol()).setRawPredictionCol(getRawPredictionCol())
                .transformSchema(schema);
    }

    @Override
    public CnnClassificationModel fit(Dataset<?> dataset) {
        transformSchema(dataset.schema());
        TrainConfig cfg = config();
        SparkSession spark = dataset.sparkSession();
        DistributedTrainer trainer = new DistributedTrainer(cfg, progress);
        try {
            TrainingData data = TrainingData.fromFrames(dataset.toDF(), getImageCol(), getLabelCol(), validationData,
                    getValidationFraction(), cfg.getLong("seed"), null);
            String dir = getCheckpointDir();
            RunFolder.Start start = dir.isEmpty() ? null : RunFolder.plan(dir, RunFolder.Resume.AUTO, false,
                    spark.sparkContext().hadoopConfiguration());
            TrainingResult r = trainer.fit(spark, data, start);
            TrainedModel trained = TrainedModel.of(r.network(), r.classNames(), r.mean(), r.std(),
                    r.modelMeta());
            CnnClassificationModel model = new CnnClassificationModel(trained);
            model.setImageCol(getImageCol()).setPredictionCol(getPredictionCol()).setProbabilityCol(getProbabilityCol())
                    .setRawPredictionCol(getRawPredictionCol()).setEvalBatchSize(getEvalBatchSize())
                    .setThreads(getThreads()).setOnBadRecord(getOnBadRecord()).setMaxBadFraction(getMaxBadFraction());
            return model.setParent(this);
        } catch (IOException e) {
            throw new UncheckedIOException("CnnClassifier.fit: " + e.getMessage(), e);
        }
    }

    @Override
    public CnnClassifier copy(ParamMap extra) {
        CnnClassifier c = copyValues(new CnnClassifier(uid), extra);
        c.validationData = validationData;
        c.progress = progress;
        return c;
    }

    public static MLReader<CnnClassifier> read() {
        return new DefaultParamsReadable<CnnClassifier>() { }.read();
    }

    public static CnnClassifier load(String path) {
        return read().load(path);
    }
}
