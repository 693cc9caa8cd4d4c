package org.sparkcnn.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.io.PrintStream;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.sparkcnn.data.BadRecordPolicy;
import org.sparkcnn.data.ReaderConfig;
import org.sparkcnn.data.parquet.DatasetInfo;
import org.sparkcnn.data.parquet.ParquetImageReader;
import org.sparkcnn.io.ModelFile;
import org.sparkcnn.model.ModelSpec;
import org.sparkcnn.model.Network;
import org.sparkcnn.optim.LearningRateSchedule;
import org.sparkcnn.optim.Optimizer;
import org.sparkcnn.train.Evaluation;
import org.sparkcnn.train.StateVector;
import org.sparkcnn.train.TrainConfig;

/**
 * The state of one training run on the cluster (docs/distributed.md): the training rows
 * hash-partitioned and cached, the {@link ParameterServer}, the current broadcast, and the rounds
 * and evaluations that use them. Each round broadcasts the server's state; every training
 * partition streams its share of the round into mini-batches and trains a model copy
 * ({@link PartitionTasks}); the sample-weighted sum of their changes comes back through
 * treeAggregate, in the fixed order of {@link OrderedSum}; the server applies it and the old
 * broadcast is destroyed.
 *
 * <p>Partitioning is a pure function of (seed, file, row): rows are hash-partitioned once and
 * cached; each epoch orders every partition by a hash of (seed, epoch, file, row). So a retried
 * or speculative task reads exactly the rows the first attempt read, in the same order, and the
 * same seed, data and partition count give bit-identical weights.
 *
 * <p>{@link DistributedTrainer#fit} is the way to train; the public methods here are for tools that
 * drive rounds themselves (jobs/bench-rounds.sh).
 */
public final class TrainingRun implements AutoCloseable {
    private final SparkSession spark;
    private final JavaSparkContext jsc;
    private final TrainConfig cfg;
    private final LinkedHashMap<String, String> values;
    private final PrintStream log;
    /** Counts images for the progress lines only (null until the first round that reports). */
    private org.apache.spark.util.LongAccumulator imagesTrained;
    private final ModelSpec spec;
    private final List<String> classNames;
    private final Network net;
    private final Optimizer optimizer;
    private final StateVector layout;
    private final int partitions, syncEvery, epochs;
    private final long seed;
    private final double lrFactor;
    /** The plateau schedule's scale on the rate (TrainingControl; 1 otherwise). */
    private double rateScale = 1;
    private final ParquetImageReader reader;
    private final Dataset<Row> train;
    private final Dataset<Row> validation;
    private final ReaderConfig trainReading, evalReading;
    private final long[] partitionRows;
    private final long stepsPerEpoch;
    private final int roundsPerEpoch;
    /** The checkpoint key of {@link ParameterServer#previousRate()}. */
    private static final String SERVER_RATE = "serverRate";
    private ParameterServer server;
    private Broadcast<RoundInput> broadcast;
    private org.sparkcnn.util.Faults faults = org.sparkcnn.util.Faults.none();
    /** The training set's shape and statistics. */
    private final DatasetInfo info;

    private TrainingRun(SparkSession spark, TrainConfig cfg, PrintStream log, DatasetInfo info, ModelSpec spec,
            List<String> classNames,
            Network net, int partitions, Dataset<Row> train, Dataset<Row> validation, ReaderConfig trainReading,
            ReaderConfig evalReading, long[] partitionRows) {
        this.spark = spark;
        this.jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        this.cfg = cfg;
        this.info = info;
        this.values = cfg.values();
        this.log = log;
        this.spec = spec;
        this.classNames = classNames;
        this.net = net;
        this.partitions = partitions;
        this.seed = cfg.getLong("seed");
        this.epochs = cfg.getInt("epochs", 1);
        this.syncEvery = cfg.syncEvery();
        this.lrFactor = cfg.get("lrScaling").equals("linear") ? partitions : 1;
        this.optimizer = cfg.optimizer();
        this.layout = new StateVector(net, cfg.get("optimizerState").equals("average") ? optimizer : null);
        this.reader = new ParquetImageReader(train.schema());
        this.train = train;
        this.validation = validation;
        this.trainReading = trainReading;
        this.evalReading = evalReading;
        this.partitionRows = partitionRows;
        long most = 0;
        for (long n : partitionRows) {
            most = Math.max(most, n);
        }
        int batch = cfg.getInt("batchSize", 1);
        this.stepsPerEpoch = Math.max(1, (most + batch - 1) / batch);
        this.roundsPerEpoch = syncEvery == 0 ? 1 : (int) ((stepsPerEpoch + syncEvery - 1) / syncEvery);
        float[] start = new float[layout.length()];
        layout.gather(start);
        this.server = newServer(start, 0, 0, null, Double.NaN);
    }

    /**
     * Builds the network for the data (its channels and size, one output per class), partitions
     * and caches the training rows and counts each partition's rows: the Spark work before the
     * first round. {@code cfg} must be valid ({@link TrainConfig#validateWithoutPaths}).
     */
    public static TrainingRun start(SparkSession spark, TrainConfig cfg, TrainingData data, PrintStream log) {
        WarmStart warm = WarmStart.of(cfg, spark.sparkContext().hadoopConfiguration());
        cfg = warm == null ? cfg : warm.normalisation(cfg);
        long seed = cfg.getLong("seed");
        int p = cfg.getInt("partitions", 0);
        int partitions = p > 0 ? p : JavaSparkContext.fromSparkContext(spark.sparkContext()).defaultParallelism();
        List<String> classNames = data.classNames();
        ModelSpec spec = ModelSpec.of(cfg.get("model"), data.inputShape(), classNames.size());
        Network net = spec.build(seed);
        if (warm != null) {
            warm.applyTo(net, classNames, log);
        }
        int[] in = net.inputShape();
        ReaderSettings.announce(cfg, data.info(), in[0], data.source() != null, log);
        ReaderConfig trainReading = ReaderSettings.of(cfg, data.info(), in, net.classes(), cfg.getInt("batchSize", 1), true);
        ReaderConfig evalReading = ReaderSettings.of(cfg, data.info(), in, net.classes(), cfg.getInt("evalBatchSize", 1),
                false);
        spark.sparkContext().setJobDescription("sparkcnn: partition and cache the training set");
        Dataset<Row> train = data.train().repartition(partitions, TrainingData.identity(lit(seed)))
                .persist(StorageLevel.MEMORY_AND_DISK());
        try {
            long[] rows = countRows(train, partitions);
            return new TrainingRun(spark, cfg, log, data.info(), spec, classNames, net, partitions, train, data.validation(),
                    trainReading, evalReading, rows);
        } catch (RuntimeException e) {
            train.unpersist();
            throw e;
        }
    }

    private static long[] countRows(Dataset<Row> frame, int partitions) {
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

    /** How partition {@code partition} of epoch {@code epoch} is read for training. */
    ReaderConfig readerConfig(int epoch, int partition) {
        ReaderConfig r = ReaderSettings.of(cfg, info, net.inputShape(), net.classes(), cfg.getInt("batchSize", 1), true);
        r.epoch = epoch;
        r.partition = partition;
        return r;
    }

    int partitions() {
        return partitions;
    }

    int epochs() {
        return epochs;
    }

    /** Rows (good and bad) in each training partition. */
    long[] partitionRows() {
        return partitionRows.clone();
    }

    int roundsPerEpoch() {
        return roundsPerEpoch;
    }

    public ParameterServer server() {
        return server;
    }

    /** The driver's model copy holding the server's parameters and buffers. */
    Network network() {
        layout.scatter(server.state(), server.optimizerSteps());
        return net;
    }

    /** The driver's model copy and the optimiser holding the server's state (for a checkpoint). */
    Optimizer optimizer() {
        network();
        return optimizer;
    }

    /** The server's velocity (serverMomentum; null without), for a checkpoint. */
    float[] serverVelocity() {
        return server.velocity();
    }

    ModelSpec spec() {
        return spec;
    }

    List<String> classNames() {
        return classNames;
    }

    /** The per-channel mean and std the rows are normalised with. */
    float[] mean() {
        return trainReading.mean.clone();
    }

    float[] std() {
        return trainReading.std.clone();
    }

    /** The faults the reliability suite injects into this run's tasks (docs/reliability.md). */
    void inject(org.sparkcnn.util.Faults plan) {
        this.faults = plan;
    }

    /** Continues from a checkpoint's model file: its parameters, buffers, optimiser state and steps. */
    void restore(ModelFile f) throws org.sparkcnn.io.ModelFileException {
        f.applyTo(net, optimizer);
        float[] state = new float[layout.length()];
        layout.gather(state);
        server = newServer(state, Long.parseLong(f.meta().get("optimizerSteps")),
                Long.parseLong(f.meta().get("globalStep")), f.serverVelocity(net), serverRate(f));
        stateChanged();
    }

    /** The rate the schedule starts from: learningRate, times the partitions with lrScaling=linear. */
    double baseRate() {
        return cfg.getDouble("learningRate", 0) * lrFactor;
    }

    /** Multiplies the schedule's rate from the next round on (the plateau schedule). */
    void rateScale(double scale) {
        this.rateScale = scale;
    }

    /** The server's state and step counters, to come back to ({@link #restore(Snapshot)}): restoreBest. */
    record Snapshot(float[] state, long optimizerSteps, long globalStep, float[] velocity, double previousRate) {
    }

    Snapshot snapshot() {
        float[] v = server.velocity();
        return new Snapshot(server.state().clone(), server.optimizerSteps(), server.globalStep(), v == null ? null : v.clone(),
                server.previousRate());
    }

    void restore(Snapshot s) {
        server = newServer(s.state(), s.optimizerSteps(), s.globalStep(), s.velocity(), s.previousRate());
        stateChanged();
    }

    /** What a checkpoint or model file records of the run after {@code epochsDone} epochs. */
    Map<String, String> meta(int epochsDone) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("epoch", Integer.toString(epochsDone));
        m.put("globalStep", Long.toString(server.globalStep()));
        m.put("optimizerSteps", Long.toString(server.optimizerSteps()));
        if (server.velocity() != null && !Double.isNaN(server.previousRate())) {
            m.put(SERVER_RATE, Double.toString(server.previousRate()));
        }
        m.put("seed", Long.toString(seed));
        m.put("partitions", Integer.toString(partitions));
        m.put("config", cfg.toProperties());
        return m;
    }

    /** The line that opens the run's log: model, partitions and their rows, rounds. */
    String summary() {
        StringBuilder rows = new StringBuilder();
        for (int i = 0; i < partitionRows.length && i < 8; i++) {
            rows.append(i == 0 ? "" : " ").append(partitionRows[i]);
        }
        rows.append(partitionRows.length > 8 ? " …" : "");
        return String.format(Locale.ROOT, "model %s (%d parameters), %d partitions (rows %s), %s, %d rounds per epoch",
                net.name(), net.numParameters(), partitions, rows, syncEvery == 0 ? "averaging every epoch"
                        : "averaging every " + syncEvery + " mini-batches", roundsPerEpoch);
    }

    /** The training rows of an epoch, partition by partition in training order. */
    Dataset<Row> epochFrame(int epoch) {
        return train.sortWithinPartitions(TrainingData.identity(lit(seed), lit(epoch)), col(ParquetImageReader.FILE),
                col(ParquetImageReader.ROW));
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

    /**
     * The server for a state, with the run's serverMomentum on the parameters (velocity null:
     * zeros; previousRate NaN: the first round carries the velocity whole).
     */
    private ParameterServer newServer(float[] state, long optimizerSteps, long globalStep, float[] velocity,
            double previousRate) {
        return new ParameterServer(state, optimizerSteps, globalStep, net.numParameters(),
                cfg.getDouble("serverMomentum", 0), velocity, previousRate);
    }

    /**
     * The rate of the round that last moved a checkpoint's server velocity (NaN: not recorded, as
     * in checkpoints from before it was, whose first resumed round then carries the velocity whole).
     */
    private static double serverRate(ModelFile f) throws org.sparkcnn.io.ModelFileException {
        String v = f.meta().get(SERVER_RATE);
        double rate;
        try {
            rate = v == null ? Double.NaN : Double.parseDouble(v);
        } catch (NumberFormatException e) {
            rate = -1;
        }
        if (v != null && !(rate > 0 && Double.isFinite(rate))) {
            throw new org.sparkcnn.io.ModelFileException(f.source(), SERVER_RATE + " is '" + v + "', not a positive learning rate");
        }
        return rate;
    }

    /** The copies' mean learning rate over a round of {@code batches} steps from the server's global step. */
    private double meanRate(long batches) {
        if (batches <= 0) {
            return 0;
        }
        LearningRateSchedule schedule = cfg.schedule(stepsPerEpoch, lrFactor * rateScale);
        double sum = 0;
        for (long b = 0; b < batches; b++) {
            sum += schedule.rate(server.globalStep() + b);
        }
        return sum / batches;
    }

    /** Runs one round (0-based epoch and round) on {@code frame}; returns its total, already applied. */
    TrainSum round(Dataset<Row> frame, int epoch, int round, EpochStats stats) {
        String where = "epoch " + (epoch + 1) + ", round " + (round + 1);
        spark.sparkContext().setJobDescription("sparkcnn: epoch " + (epoch + 1) + "/" + epochs + ", round " + (round + 1)
                + "/" + roundsPerEpoch + ": train");
        long t0 = System.nanoTime();
        Broadcast<RoundInput> in = currentBroadcast();
        long t1 = System.nanoTime();
        int every = cfg.getInt("progressSeconds", 0);
        if (every > 0 && log != null && imagesTrained == null) {
            // one for the run: the progress lines read each task's own count, never the driver's sum
            imagesTrained = spark.sparkContext().longAccumulator("sparkcnn: images trained");
        }
        org.apache.spark.util.LongAccumulator images = every > 0 && log != null ? imagesTrained : null;
        PartitionTasks.TrainPartition task = new PartitionTasks.TrainPartition(in, reader, trainReading, values, spec,
                partitions, epoch, round, syncEvery, stepsPerEpoch, lrFactor * rateScale, faults, images);
        JavaRDD<OrderedSum<TrainSum>> results = frame.javaRDD().mapPartitionsWithIndex(task, true);
        OrderedSum<TrainSum> sum;
        try (RoundProgress progress = images == null ? null : RoundProgress.start(spark.sparkContext(), images,
                stats.samples, java.util.Arrays.stream(partitionRows).sum(), "epoch " + (epoch + 1) + "/" + epochs,
                every, log)) {
            sum = results.treeAggregate(new OrderedSum<TrainSum>(), OrderedSum::merge, OrderedSum::merge,
                    cfg.getInt("treeDepth", 1));
        }
        long t2 = System.nanoTime();
        TrainSum total = sum.total();
        if (sum.partitions() != partitions) {
            throw new IllegalStateException(where + ": results of " + sum.partitions() + " partitions, expected " + partitions);
        }
        server.apply(total, total == null || server.velocity() == null ? 0 : meanRate(total.maxBatches), where);
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
    EpochStats trainEpoch(int epoch) {
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
        stats.learningRate = cfg.schedule(stepsPerEpoch, lrFactor * rateScale).rate(Math.max(0, server.globalStep() - 1));
        return stats;
    }

    /** Loss, accuracy and confusion matrix of the current model on the validation set (null when none). */
    Evaluation evaluate(int epoch) {
        if (validation == null) {
            return null;
        }
        spark.sparkContext().setJobDescription("sparkcnn: epoch " + (epoch + 1) + "/" + epochs + ": validate");
        PartitionTasks.EvalPartition task = new PartitionTasks.EvalPartition(currentBroadcast(),
                new ParquetImageReader(validation.schema()), evalReading, values, spec,
                validation.javaRDD().getNumPartitions());
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
}
