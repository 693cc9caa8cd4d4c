package org.sparkcnn.spark;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.sparkcnn.train.TrainConfig;
import org.sparkcnn.util.SplitMix;

/**
 * Data-parallel training on Spark (docs/distributed.md, "The trainer API"): the one code path of
 * jobs/train.sh and the Spark ML stage. The constructor only checks the settings; {@link #fit}
 * starts a {@link TrainingRun} on the given {@link TrainingData}, trains the configured epochs,
 * evaluates after each, and with a run folder writes checkpoints, metrics.jsonl and the model
 * there (continuing from its checkpoint), without one nothing at all.
 */
public final class DistributedTrainer {
    private final TrainConfig cfg;
    private final PrintStream log;
    private int failPartition = -1;

    /**
     * Checks every setting but the paths ({@link TrainConfig#validateWithoutPaths}): no Spark, no
     * I/O. {@code log} gets the progress lines (null: none); warnings go to stderr.
     */
    public DistributedTrainer(TrainConfig cfg, PrintStream log) {
        this.cfg = cfg.validateWithoutPaths();
        this.log = log;
    }

    /** Test hook: the first attempt of this partition's task fails in every round. */
    void failFirstAttemptOf(int partition) {
        this.failPartition = partition;
    }

    /**
     * Trains on {@code data} for the configured epochs. With {@code startOrNull} (planned by
     * {@link RunFolder#plan}) checkpoints, metrics.jsonl and the final model go under its folder
     * and training continues from its checkpoint; with null nothing is written anywhere (the
     * metrics lines are kept in the result).
     */
    public TrainingResult fit(SparkSession spark, TrainingData data, RunFolder.Start startOrNull) throws IOException {
        try (TrainingRun run = TrainingRun.start(spark, cfg, data, log)) {
            run.failFirstAttemptOf(failPartition);
            RunFolderWriter folder = startOrNull == null ? null
                    : RunFolderWriter.open(startOrNull, spark.sparkContext().hadoopConfiguration(), cfg, data, log);
            int first = 0;
            List<String> metrics = new ArrayList<>();
            if (folder != null) {
                RunFolderWriter.Resumed resumed = folder.resume(run);
                first = resumed.epochs();
                metrics.addAll(resumed.metricsLines());
                if (folder.complete(first, run.epochs())) {
                    log("nothing to train: the checkpoint is after epoch " + first + " of " + run.epochs() + "; the model in "
                            + folder.dir() + "/model is unchanged");
                    return result(run, metrics, first);
                }
            }
            log(run.summary());
            long begin = System.nanoTime();
            for (int e = first; e < run.epochs(); e++) {
                EpochStats s = run.trainEpoch(e);
                long te = System.nanoTime();
                s.validation = run.evaluate(e);
                s.evalSeconds = (System.nanoTime() - te) / 1e9;
                log(EpochReport.progressLine(s, run.epochs(), (System.nanoTime() - begin) / 1e9));
                String line = EpochReport.metricsLine(s, run.server().globalStep());
                metrics.add(line);
                if (folder != null) {
                    folder.epochDone(run, e + 1, line);
                }
            }
            TrainingResult result = result(run, metrics, Math.max(first, run.epochs()));
            if (folder != null) {
                folder.finish(result);
            }
            return result;
        }
    }

    private static TrainingResult result(TrainingRun run, List<String> metrics, int epochsDone) {
        return new TrainingResult(run.network(), run.classNames(), run.mean(), run.std(), metrics, run.meta(epochsDone),
                epochsDone, run.server().state());
    }

    private void log(String line) {
        if (log != null) {
            log.println(line);
            log.flush();
        }
    }

    /** A 64-bit mix of the parts: seeds for each (epoch, round, partition). */
    static long seedOf(long... parts) {
        return SplitMix.seedOf(parts);
    }
}
