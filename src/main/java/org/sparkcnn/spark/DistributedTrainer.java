package org.sparkcnn.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.xxhash64;

import java.io.IOException;
import java.io.PrintStream;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.sparkcnn.data.BadRecordCounts;
import org.sparkcnn.data.BadRecordPolicy;
import org.sparkcnn.data.MiniBatch;
import org.sparkcnn.data.MiniBatchStream;
import org.sparkcnn.data.ReaderConfig;
import org.sparkcnn.data.parquet.DatasetInfo;
import org.sparkcnn.data.parquet.ImageLayout;
import org.sparkcnn.data.parquet.ParquetImageReader;
import org.sparkcnn.io.Json;
import org.sparkcnn.io.ModelFile;
import org.sparkcnn.model.ModelSpec;
import org.sparkcnn.model.Network;
import org.sparkcnn.optim.Optimizer;
import org.sparkcnn.train.Evaluation;
import org.sparkcnn.train.PartitionTrainer;
import org.sparkcnn.train.StateVector;
import org.sparkcnn.train.TrainConfig;
import org.sparkcnn.util.SplitMix;

/**
 * Data-parallel training as a sequence of synchronisation rounds (docs/distributed.md). Each
 * round broadcasts the {@link ParameterServer}'s state; every training partition streams its
 * share of the round through the Parquet reader into mini-batches and trains a model copy on
 * them; the sample-weighted sum of their changes comes back through treeAggregate, in the fixed
 * order of {@link OrderedSum}; the server applies it and the old broadcast is destroyed.
 *
 * <p>Partitioning is a pure function of (seed, file, row): rows are hash-partitioned once and
 * cached; each epoch orders every partition by a hash of (seed, epoch, file, row). So a retried
 * or speculative task reads exactly the rows the first attempt read, in the same order, and the
 * same seed, data and partition count give bit-identical weights.
 */
public final class DistributedTrainer implements AutoCloseable {
    /** Figures of one epoch. */
    public static final class EpochStats {
        public int epoch, rounds;
        public long samples, correct;
        public double lossSum, trainSeconds, syncSeconds, evalSeconds, seconds;
        public Evaluation validation;
        public BadRecordCounts bad = new BadRecordCounts();

        public double loss() {
            return samples == 0 ? Double.NaN : lossSum / samples;
        }

        public double accuracy() {
            return samples == 0 ? Double.NaN : (double) correct / samples;
        }
    }

    private final SparkSession spark;
    private final JavaSparkContext jsc;
    private final TrainConfig cfg;
    private final LinkedHashMap<String, String> values;
    private final PrintStream log;
    private final ModelSpec spec;
    private final List<String> classNames;
    private final Network net;
    private final Optimizer optimizer;
    private final StateVector layout;
    private final int partitions, syncEvery, epochs;
    private final long seed;
    private final double lrFactor;
    private final ParquetImageReader reader;
    private final Dataset<Row> train;
    private final Dataset<Row> validation;
    private final ReaderConfig trainReading, evalReading;
    private final long[] partitionRows;
    private final long stepsPerEpoch;
    private final int roundsPerEpoch;
    private ParameterServer server;
    private Broadcast<RoundInput> broadcast;
    private int failPartition = -1;
    /** The training set's shape, classes and statistics. */
    private final DatasetInfo trainInfo;

    /** Checks the configuration and the datasets' columns, partitions and caches the training set. */
    public DistributedTrainer(SparkSession spark, TrainConfig cfg, PrintStream log) {
        this.spark = spark;
        this.jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        this.cfg = cfg.validate();
        this.values = cfg.values();
        this.log = log;
        this.seed = cfg.getLong("seed");
        this.epochs = cfg.getInt("epochs", 1);
        this.syncEvery = cfg.syncEvery();
        int p = cfg.getInt("partitions", 0);
        this.partitions = p > 0 ? p : jsc.defaultParallelism();
        this.lrFactor = cfg.get("lrScaling").equals("linear") ? partitions : 1;
        requireDataset(spark, "train", cfg.get("train"));
        if (!cfg.get("validation").isEmpty()) {
            requireDataset(spark, "validation", cfg.get("validation"));
        }
        // the network is built for the data: its channels and size, one output per class
        try {
            this.trainInfo = DatasetInfo.read(spark, "train", cfg.get("train"));
        } catch (IOException e) {
            throw new IllegalArgumentException("train = " + cfg.get("train") + ": cannot be read: " + e.getMessage(), e);
        }
        this.classNames = classNames("train", cfg.get("train"), trainInfo.classes);
        this.spec = ModelSpec.of(cfg.get("model"), new int[] {trainInfo.channels, trainInfo.height, trainInfo.width},
                classNames.size());
        this.net = spec.build(seed);
        announceStatistics(net.inputShape()[0]);
        Dataset<Row> rows = ParquetImageReader.load(spark, cfg.get("train"));
        this.optimizer = cfg.optimizer();
        this.layout = new StateVector(net, cfg.get("optimizerState").equals("average") ? optimizer : null);
        int[] in = net.inputShape();
        this.trainReading = readerConfig(in, cfg.getInt("batchSize", 1), true);
        this.evalReading = readerConfig(in, cfg.getInt("evalBatchSize", 1), false);
        this.reader = new ParquetImageReader(rows.schema());
        String val = cfg.get("validation");
        this.validation = val.isEmpty() ? null : ParquetImageReader.load(spark, val);
        List<String> valClasses = validation == null ? null
                : classNames("validation", val, org.sparkcnn.data.parquet.ImageLayout.classes(validation.schema()));
        if (valClasses != null && !valClasses.equals(classNames)) {
            throw new IllegalArgumentException("validation = " + val + " has the classes " + valClasses + " but train = "
                    + cfg.get("train") + " has " + classNames);
        }
        spark.sparkContext().setJobDescription("sparkcnn: partition and cache the training set");
        this.train = rows.repartition(partitions, xxhash64(lit(seed), col(ParquetImageReader.FILE), col(ParquetImageReader.ROW)))
                .persist(StorageLevel.MEMORY_AND_DISK());
        this.partitionRows = countRows(train);
        long most = 0;
        for (long n : partitionRows) {
            most = Math.max(most, n);
        }
        int batch = cfg.getInt("batchSize", 1);
        this.stepsPerEpoch = Math.max(1, (most + batch - 1) / batch);
        this.roundsPerEpoch = syncEvery == 0 ? 1 : (int) ((stepsPerEpoch + syncEvery - 1) / syncEvery);
        float[] start = new float[layout.length()];
        layout.gather(start);
        this.server = new ParameterServer(start, 0, 0);
    }

    /** How partition {@code partition} of epoch {@code epoch} is read for training. */
    ReaderConfig readerConfig(int epoch, int partition) {
        int[] in = net.inputShape();
        ReaderConfig r = readerConfig(in, cfg.getInt("batchSize", 1), true);
        r.epoch = epoch;
        r.partition = partition;
        return r;
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

    private ReaderConfig readerConfig(int[] in, int batchSize, boolean training) {
        ReaderConfig r = new ReaderConfig(in[0], in[1], in[2], net.classes());
        r.batchSize = batchSize;
        r.mean = perChannel(normalisation("mean", in[0]), in[0], "mean");
        r.std = perChannel(normalisation("std", in[0]), in[0], "std");
        r.cropPadding = training ? cfg.getInt("cropPadding", 0) : 0;
        r.flip = training && cfg.getBoolean("flip");
        r.seed = seed;
        r.policy = new BadRecordPolicy();
        r.policy.onBadRecord = BadRecordPolicy.OnBadRecord.parse(cfg.get("onBadRecord"), "onBadRecord");
        r.policy.maxBadFraction = cfg.getDouble("maxBadFraction", 0);
        return r.validate();
    }

    /** Says which statistics normalise the data when mean or std is left to the dataset. */
    private void announceStatistics(int channels) {
        if (!cfg.fromDataset("mean") && !cfg.fromDataset("std")) {
            return;
        }
        if (trainInfo.mean == null) {
            warn("train = " + trainInfo.path + " has no " + ImageLayout.STATS_FILE + " (imported before it was written):"
                    + " mean 0 and std 1 stand in for 'dataset'; set mean and std, or import it again");
        } else {
            log("the training set's statistics (" + ImageLayout.STATS_FILE + "): mean "
                    + Arrays.toString(trainInfo.meanFor(channels)) + ", std " + Arrays.toString(trainInfo.stdFor(channels)));
        }
    }

    /**
     * The configured mean or std, or by default the training set's (its _stats.json); a dataset
     * imported before those were stored gets 0 and 1, as before.
     */
    private float[] normalisation(String key, int channels) {
        if (!cfg.fromDataset(key)) {
            return cfg.floats(key);
        }
        float[] v = key.equals("mean") ? trainInfo.meanFor(channels) : trainInfo.stdFor(channels);
        return v != null ? v : new float[] {key.equals("mean") ? 0f : 1f};
    }

    private static float[] perChannel(float[] v, int channels, String key) {
        if (v.length == channels) {
            return v;
        }
        if (v.length == 1) {
            float[] out = new float[channels];
            java.util.Arrays.fill(out, v[0]);
            return out;
        }
        throw new IllegalArgumentException(key + " has " + v.length + " values but the model's input has " + channels
                + " channels: give one value or one per channel");
    }

    private long[] countRows(Dataset<Row> frame) {
        List<long[]> counts = frame.javaRDD().mapPartitionsWithIndex((Function2<Integer, Iterator<Row>, Iterator<long[]>>) (i, it) -> {
            long n = 0;
            for (; it.hasNext(); it.next()) {
                n++;
            }
            return Collections.singletonList(new long[] {i, n}).iterator();
        }, true).collect();
        long[] rows = new long[counts.size()];
        for (long[] c : counts) {
            rows[(int) c[0]] = c[1];
        }
        if (rows.length != partitions) {
            throw new IllegalStateException("expected " + partitions + " training partitions, Spark made " + rows.length);
        }
        return rows;
    }

    public int partitions() {
        return partitions;
    }

    /** Rows (good and bad) in each training partition. */
    public long[] partitionRows() {
        return partitionRows.clone();
    }

    public int roundsPerEpoch() {
        return roundsPerEpoch;
    }

    public ParameterServer server() {
        return server;
    }

    /** The driver's model copy holding the server's parameters and buffers. */
    public Network network() {
        layout.scatter(server.state(), server.optimizerSteps());
        return net;
    }

    /** Test hook: the first attempt of this partition's task fails in every round. */
    void failFirstAttemptOf(int partition) {
        this.failPartition = partition;
    }

    /** The training rows of an epoch, partition by partition in training order. */
    Dataset<Row> epochFrame(int epoch) {
        return train.sortWithinPartitions(xxhash64(lit(seed), lit(epoch), col(ParquetImageReader.FILE),
                col(ParquetImageReader.ROW)), col(ParquetImageReader.FILE), col(ParquetImageReader.ROW));
    }

    private Broadcast<RoundInput> currentBroadcast() {
        if (broadcast == null) {
            broadcast = jsc.broadcast(server.roundInput());
        }
        return broadcast;
    }

    private void stateChanged() {
        if (broadcast != null) {
            broadcast.destroy();
            broadcast = null;
        }
    }

    /** Runs one round (0-based epoch and round) on {@code frame}; returns its total, already applied. */
    TrainSum round(Dataset<Row> frame, int epoch, int round, EpochStats stats) {
        String where = "epoch " + (epoch + 1) + ", round " + (round + 1);
        spark.sparkContext().setJobDescription("sparkcnn: epoch " + (epoch + 1) + "/" + epochs + ", round " + (round + 1)
                + "/" + roundsPerEpoch + ": train");
        long t0 = System.nanoTime();
        Broadcast<RoundInput> in = currentBroadcast();
        long t1 = System.nanoTime();
        TrainPartition task = new TrainPartition(in, reader, trainReading, values, spec, partitions, epoch, round, syncEvery,
                stepsPerEpoch, lrFactor, failPartition);
        JavaRDD<OrderedSum<TrainSum>> results = frame.javaRDD().mapPartitionsWithIndex(task, true);
        OrderedSum<TrainSum> sum = results.treeAggregate(new OrderedSum<TrainSum>(), OrderedSum::merge, OrderedSum::merge,
                cfg.getInt("treeDepth", 1));
        long t2 = System.nanoTime();
        TrainSum total = sum.total();
        if (sum.partitions() != partitions) {
            throw new IllegalStateException(where + ": results of " + sum.partitions() + " partitions, expected " + partitions);
        }
        server.apply(total, where);
        stateChanged();
        long t3 = System.nanoTime();
        double taskSeconds = total.maxTrainNanos / 1e9;
        stats.trainSeconds += taskSeconds;
        stats.syncSeconds += (t1 - t0 + t3 - t2) / 1e9 + Math.max(0, (t2 - t1) / 1e9 - taskSeconds);
        stats.samples += total.samples;
        stats.lossSum += total.lossSum;
        stats.correct += total.correct;
        stats.bad.merge(total.bad);
        stats.rounds++;
        return total;
    }

    /** One epoch of rounds; stops early when every partition has run out of rows. */
    public EpochStats trainEpoch(int epoch) {
        return trainRounds(epoch, roundsPerEpoch);
    }

    /**
     * The first {@code maxRounds} rounds of an epoch (all of them: {@link #trainEpoch}); a
     * benchmark of the per-round cost runs a few.
     */
    public EpochStats trainRounds(int epoch, int maxRounds) {
        long t0 = System.nanoTime();
        EpochStats stats = new EpochStats();
        stats.epoch = epoch + 1;
        int rounds = Math.min(maxRounds, roundsPerEpoch);
        Dataset<Row> frame = epochFrame(epoch);
        if (rounds > 1) {
            frame = frame.persist(StorageLevel.MEMORY_AND_DISK());
        }
        try {
            int every = Math.max(1, roundsPerEpoch / 10);
            for (int r = 0; r < rounds; r++) {
                TrainSum total = round(frame, epoch, r, stats);
                if (roundsPerEpoch > 1 && ((r + 1) % every == 0 || !total.more)) {
                    log(String.format(Locale.ROOT, "  epoch %d round %d/%d  loss %.4f  accuracy %.4f  images %d",
                            epoch + 1, r + 1, roundsPerEpoch, total.samples == 0 ? Double.NaN : total.lossSum / total.samples,
                            total.samples == 0 ? Double.NaN : (double) total.correct / total.samples, total.samples));
                }
                if (!total.more) {
                    break;
                }
            }
        } finally {
            if (rounds > 1) {
                frame.unpersist();
            }
        }
        BadRecordPolicy policy = trainReading.policy;
        if (policy.onBadRecord == BadRecordPolicy.OnBadRecord.SKIP) {
            stats.bad.check(policy, "training set, epoch " + (epoch + 1));
        }
        stats.seconds = (System.nanoTime() - t0) / 1e9;
        return stats;
    }

    /** Loss, accuracy and confusion matrix of the current model on the validation set (null when none). */
    public Evaluation evaluate(int epoch) {
        if (validation == null) {
            return null;
        }
        spark.sparkContext().setJobDescription("sparkcnn: epoch " + (epoch + 1) + "/" + epochs + ": validate");
        EvalPartition task = new EvalPartition(currentBroadcast(), new ParquetImageReader(validation.schema()), evalReading,
                values, spec, validation.javaRDD().getNumPartitions());
        OrderedSum<EvalSum> sum = validation.javaRDD().mapPartitionsWithIndex(task, true)
                .treeAggregate(new OrderedSum<EvalSum>(), OrderedSum::merge, OrderedSum::merge, cfg.getInt("treeDepth", 1));
        EvalSum total = sum.total();
        if (total == null) {
            return new Evaluation(net.classes());
        }
        BadRecordPolicy policy = evalReading.policy;
        if (policy.onBadRecord == BadRecordPolicy.OnBadRecord.SKIP) {
            total.bad.check(policy, "validation set");
        }
        return total.evaluation;
    }

    /** {@link #fit(RunFolder.Start)} planned by {@link RunFolder#plan}: fresh, or strictly resuming. */
    public void fit(boolean resume) throws IOException {
        fit(RunFolder.plan(cfg.get("output"), resume ? RunFolder.Resume.YES : RunFolder.Resume.NO, false,
                spark.sparkContext().hadoopConfiguration()));
    }

    /**
     * Trains for the configured epochs, writing checkpoints, metrics.jsonl and the final model
     * under {@code start.dir()}, continuing from its checkpoint if it has one; a run that replaces
     * an earlier one takes its place only once complete.
     */
    public void fit(RunFolder.Start start) throws IOException {
        String dir = start.dir();
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        CheckpointStore checkpoints = new CheckpointStore(dir + "/checkpoints", hadoop);
        MetricsLog metrics = new MetricsLog(dir, hadoop);
        int first = 0;
        String history = "";
        if (start.checkpoint().isPresent()) {
            CheckpointStore.Checkpoint c = start.checkpoint().get();
            first = restore(c);
            history = c.file().meta().get(MetricsLog.META_KEY);
        }
        String kept = metrics.restart(first, history);
        if (kept != null) {
            warn(metrics.path() + " differed from the history in the checkpoint: rewritten from it, the old one kept as "
                    + kept);
        }
        if (first >= epochs && start.checkpoint().isPresent() && modelMatches(dir, hadoop, first)) {
            log("nothing to train: the checkpoint is after epoch " + first + " of " + epochs + "; the model in " + dir
                    + "/model is unchanged");
            return;
        }
        log(String.format(Locale.ROOT, "model %s (%d parameters), %d partitions (rows %s), %s, %d rounds per epoch",
                net.name(), net.numParameters(), partitions, rowsSummary(), syncEvery == 0 ? "averaging every epoch"
                        : "averaging every " + syncEvery + " mini-batches", roundsPerEpoch));
        long begin = System.nanoTime();
        for (int e = first; e < epochs; e++) {
            EpochStats s = trainEpoch(e);
            long te = System.nanoTime();
            s.validation = evaluate(e);
            s.evalSeconds = (System.nanoTime() - te) / 1e9;
            log(progressLine(s, (System.nanoTime() - begin) / 1e9));
            metrics.add(metricsLine(s));
            Map<String, String> meta = checkpointMeta(e + 1);
            meta.put(MetricsLog.META_KEY, metrics.history());
            network();
            checkpoints.save(e + 1, out -> ModelFile.write(out, net, optimizer, meta, classNames, trainReading.mean,
                    trainReading.std));
            checkpoints.keepNewest(cfg.getInt("keepCheckpoints", 0));
            metrics.write();
        }
        network();
        int done = Math.max(first, epochs);
        CheckpointStore.writeModel(dir + "/model", hadoop, out -> ModelFile.write(out, net, null, checkpointMeta(done),
                classNames, trainReading.mean, trainReading.std));
        RunFolder.finish(start, hadoop);
        String output = start.replaces() != null ? start.replaces() : dir;
        log("model written to " + output + "/model; metrics in " + output + "/" + MetricsLog.FILE);
    }

    /** Whether {@code dir/model} holds a valid model saved after {@code epoch} epochs. */
    private static boolean modelMatches(String dir, Configuration hadoop, int epoch) {
        try {
            return Integer.toString(epoch).equals(CheckpointStore.readModel(dir + "/model", hadoop).meta().get("epoch"));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private String rowsSummary() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < partitionRows.length && i < 8; i++) {
            sb.append(i == 0 ? "" : " ").append(partitionRows[i]);
        }
        return sb.append(partitionRows.length > 8 ? " …" : "").toString();
    }

    private Map<String, String> checkpointMeta(int epochsDone) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("epoch", Integer.toString(epochsDone));
        m.put("globalStep", Long.toString(server.globalStep()));
        m.put("optimizerSteps", Long.toString(server.optimizerSteps()));
        m.put("seed", Long.toString(seed));
        m.put("partitions", Integer.toString(partitions));
        m.put("config", cfg.toProperties());
        return m;
    }

    /** Keys that must match the checkpoint for a resumed run to continue the same computation. */
    private static final List<String> SAME_ON_RESUME = List.of("model", "optimizer", "optimizerState", "seed",
            "batchSize", "syncEvery", "train", "momentum", "nesterov", "weightDecay", "lrScaling");

    private int restore(CheckpointStore.Checkpoint c) throws IOException {
        ModelFile f = c.file();
        TrainConfig saved = TrainConfig.distributed();
        saved.load(new java.io.StringReader(f.meta().getOrDefault("config", "")), c.path());
        for (String k : SAME_ON_RESUME) {
            if (!saved.get(k).equals(cfg.get(k))) {
                throw new IllegalArgumentException("cannot resume from " + c.path() + ": it was trained with " + k + " = "
                        + saved.get(k) + ", this run has " + k + " = " + cfg.get(k));
            }
        }
        String described = f.about().description();
        if (described != null && !described.equals(net.description())) {
            throw new IllegalArgumentException("cannot resume from " + c.path() + ": it was trained with another description"
                    + " of the network than " + spec.source + " holds now");
        }
        String p = f.meta().get("partitions");
        if (!Integer.toString(partitions).equals(p)) {
            throw new IllegalArgumentException("cannot resume from " + c.path() + ": it was trained on " + p
                    + " partitions, this run has " + partitions);
        }
        f.applyTo(net, optimizer);
        float[] state = new float[layout.length()];
        layout.gather(state);
        server = new ParameterServer(state, Long.parseLong(f.meta().get("optimizerSteps")),
                Long.parseLong(f.meta().get("globalStep")));
        stateChanged();
        log("resuming after epoch " + c.epoch() + " from " + c.path());
        return c.epoch();
    }

    private String progressLine(EpochStats s, double elapsed) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "epoch %d/%d  train_loss %.4f  train_accuracy %.4f",
                s.epoch, epochs, s.loss(), s.accuracy()));
        if (s.validation != null) {
            sb.append(String.format(Locale.ROOT, "  val_loss %.4f  val_accuracy %.4f", s.validation.loss(),
                    s.validation.accuracy()));
        }
        sb.append(String.format(Locale.ROOT, "  images/s %.1f  train %.1fs  sync %.1fs  eval %.1fs  elapsed %.1fs",
                s.samples / s.seconds, s.trainSeconds, s.syncSeconds, s.evalSeconds, elapsed));
        if (s.bad.bad > 0) {
            sb.append("  bad records: ").append(s.bad.summary());
        }
        return sb.toString();
    }

    private String metricsLine(EpochStats s) {
        StringBuilder sb = new StringBuilder("{");
        field(sb, "epoch", s.epoch);
        field(sb, "train_loss", s.loss());
        field(sb, "train_accuracy", s.accuracy());
        field(sb, "val_loss", s.validation == null ? Double.NaN : s.validation.loss());
        field(sb, "val_accuracy", s.validation == null ? Double.NaN : s.validation.accuracy());
        field(sb, "images_per_second", s.samples / s.seconds);
        field(sb, "train_images", s.samples);
        field(sb, "rounds", s.rounds);
        field(sb, "seconds", s.seconds);
        field(sb, "train_seconds", s.trainSeconds);
        field(sb, "sync_seconds", s.syncSeconds);
        field(sb, "eval_seconds", s.evalSeconds);
        field(sb, "bad_records", s.bad.bad);
        field(sb, "global_step", server.globalStep());
        if (s.validation != null) {
            sb.append("\"val_confusion\":[");
            int k = s.validation.classes;
            for (int t = 0; t < k; t++) {
                sb.append(t == 0 ? "[" : ",[");
                for (int q = 0; q < k; q++) {
                    sb.append(q == 0 ? "" : ",").append(s.validation.confusion[t * k + q]);
                }
                sb.append(']');
            }
            sb.append("],");
        }
        sb.setLength(sb.length() - 1);
        return sb.append('}').toString();
    }

    /** NaN (no validation set) is written as null: JSON has no NaN. */
    private static void field(StringBuilder sb, String name, double v) {
        sb.append(Json.quote(name)).append(':');
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            sb.append("null");
        } else if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            sb.append((long) v);
        } else {
            sb.append(v);
        }
        sb.append(',');
    }

    /** Warnings go to stderr, whatever the progress stream is. */
    private static void warn(String line) {
        System.err.println("warning: " + line);
    }

    private void log(String line) {
        if (log != null) {
            log.println(line);
            log.flush();
        }
    }

    /** Releases the cached training set and the last broadcast. */
    @Override
    public void close() {
        stateChanged();
        train.unpersist();
    }

    /** A 64-bit mix of the parts: seeds for each (epoch, round, partition). */
    static long seedOf(long... parts) {
        return SplitMix.seedOf(parts);
    }

    /** What both kinds of task carry: the broadcast state, how to read rows, and the settings. */
    abstract static class PartitionTask<T> implements Function2<Integer, Iterator<Row>, Iterator<T>>, Serializable {
        private static final long serialVersionUID = 1L;
        final Broadcast<RoundInput> input;
        final ParquetImageReader reader;
        final ReaderConfig reading;
        final LinkedHashMap<String, String> values;
        final ModelSpec spec;
        final int partitions;

        PartitionTask(Broadcast<RoundInput> input, ParquetImageReader reader, ReaderConfig reading,
                LinkedHashMap<String, String> values, ModelSpec spec, int partitions) {
            this.input = input;
            this.spec = spec;
            this.reader = reader;
            this.reading = reading;
            this.values = values;
            this.partitions = partitions;
        }

        /** The partition's result as a leaf of the ordered sum, placed for treeAggregate's grouping. */
        <S extends OrderedSum.Summand<S>> Iterator<OrderedSum<S>> leaf(int partition, S value) {
            int depth = Integer.parseInt(values.get("treeDepth"));
            return Collections.singletonList(OrderedSum.of(OrderedSum.leafOf(partition, partitions, depth), value)).iterator();
        }
    }

    /** The training task of one partition in one round: everything it needs travels in its fields. */
    static final class TrainPartition extends PartitionTask<OrderedSum<TrainSum>> {
        private static final long serialVersionUID = 1L;
        private final int epoch, round, syncEvery, failPartition;
        private final long stepsPerEpoch;
        private final double lrFactor;

        TrainPartition(Broadcast<RoundInput> input, ParquetImageReader reader, ReaderConfig reading,
                LinkedHashMap<String, String> values, ModelSpec spec, int partitions, int epoch, int round, int syncEvery,
                long stepsPerEpoch, double lrFactor, int failPartition) {
            super(input, reader, reading, values, spec, partitions);
            this.epoch = epoch;
            this.round = round;
            this.syncEvery = syncEvery;
            this.stepsPerEpoch = stepsPerEpoch;
            this.lrFactor = lrFactor;
            this.failPartition = failPartition;
        }

        @Override
        public Iterator<OrderedSum<TrainSum>> call(Integer partition, Iterator<Row> rows) {
            TaskContext task = TaskContext.get();
            if (partition == failPartition && task != null && task.attemptNumber() == 0) {
                throw new IllegalStateException("injected failure: first attempt of partition " + partition);
            }
            TrainConfig cfg = TrainConfig.distributed(values);
            reading.epoch = epoch;
            reading.partition = partition;
            MiniBatchStream batches = reader.batches(rows, reading);
            if (syncEvery > 0) {
                batches.skip(round * syncEvery);
            }
            int limit = syncEvery == 0 ? Integer.MAX_VALUE : syncEvery;
            RoundInput in = input.value();
            String where = "epoch " + (epoch + 1) + ", round " + (round + 1) + ", partition " + partition;
            PartitionTrainer trainer = ExecutorModels.borrow(cfg, spec);
            try {
                PartitionTrainer.Result r = trainer.train(in.state, in.optimizerSteps, in.firstStep,
                        cfg.schedule(stepsPerEpoch, lrFactor), batches, limit, seedOf(reading.seed, epoch, round, partition),
                        where);
                boolean more = syncEvery > 0 && r.batches == limit;
                return leaf(partition, TrainSum.of(r, more, batches.counts()));
            } finally {
                ExecutorModels.giveBack(cfg, spec, trainer);
            }
        }
    }

    /** Evaluation of one validation partition with the broadcast state. */
    static final class EvalPartition extends PartitionTask<OrderedSum<EvalSum>> {
        private static final long serialVersionUID = 1L;

        EvalPartition(Broadcast<RoundInput> input, ParquetImageReader reader, ReaderConfig reading,
                LinkedHashMap<String, String> values, ModelSpec spec, int partitions) {
            super(input, reader, reading, values, spec, partitions);
        }

        @Override
        public Iterator<OrderedSum<EvalSum>> call(Integer partition, Iterator<Row> rows) {
            TrainConfig cfg = TrainConfig.distributed(values);
            reading.partition = partition;
            MiniBatchStream batches = reader.batches(rows, reading);
            RoundInput in = input.value();
            PartitionTrainer trainer = ExecutorModels.borrow(cfg, spec);
            try {
                trainer.stateVector().scatter(in.state, in.optimizerSteps);
                Network model = trainer.network();
                Evaluation eval = new Evaluation(model.classes());
                int[] labels = new int[0];
                while (batches.hasNext()) {
                    MiniBatch b = batches.next();
                    if (labels.length != b.size()) {
                        labels = new int[b.size()];
                    }
                    System.arraycopy(b.labels, 0, labels, 0, b.size());
                    eval.add(model, b.images, labels);
                }
                return leaf(partition, new EvalSum(eval, batches.counts()));
            } finally {
                ExecutorModels.giveBack(cfg, spec, trainer);
            }
        }
    }
}
