package org.sparkcnn.spark;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.sparkcnn.train.TrainConfig;
import org.sparkcnn.train.TrainingControl;
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
    /** Injected faults (docs/reliability.md): the driver's plan, plus test hooks. */
    private org.sparkcnn.util.Faults faults = org.sparkcnn.util.Faults.driver();

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
        this.faults = faults.with("fail-first-attempt:" + partition);
    }

    /** Test hook: one more injected fault, an entry of {@link org.sparkcnn.util.Faults#KINDS}. */
    void inject(String fault) {
        this.faults = faults.with(fault);
    }

    /**
     * Trains on {@code data} for the configured epochs. With {@code startOrNull} (planned by
     * {@link RunFolder#plan}) checkpoints, metrics.jsonl and the final model go under its folder
     * and training continues from its checkpoint; with null nothing is written anywhere (the
     * metrics lines are kept in the result).
     */
    public TrainingResult fit(SparkSession spark, TrainingData data, RunFolder.Start startOrNull) throws IOException {
        if (TrainingControl.used(cfg) && cfg.get("monitor").startsWith("val_") && data.validation() == null) {
            throw new IllegalArgumentException("monitor=" + cfg.get("monitor") + " needs validation data, and there is none:"
                    + " give a validation set (the validation key; in the ML stage setValidationData or validationFraction > 0)"
                    + " or set monitor=train_loss");
        }
        try (TrainingRun run = TrainingRun.start(spark, cfg, data, log)) {
            run.inject(faults);
            TrainingControl control = TrainingControl.of(cfg, run.baseRate());
            RunFolderWriter folder = startOrNull == null ? null
                    : RunFolderWriter.open(startOrNull, spark.sparkContext().hadoopConfiguration(), cfg, data, log);
            int first = 0;
            List<String> metrics = new ArrayList<>();
            TrainingRun.Snapshot best = null;
            if (folder != null) {
                RunFolderWriter.Resumed resumed = folder.resume(run);
                first = resumed.epochs();
                metrics.addAll(resumed.metricsLines());
                if (resumed.from() != null) {
                    control.restore(resumed.from().file().meta(), resumed.from().path());
                    run.rateScale(control.rateScale());
                    best = bestOnResume(folder, run, control, resumed.from());
                }
                if (folder.complete(first, control.stoppedEpoch() > 0 ? first : run.epochs())) {
                    log("nothing to train: the checkpoint is after epoch " + first + " of " + run.epochs()
                            + (control.stoppedEpoch() > 0 ? ", where the run stopped early" : "") + "; the model in "
                            + folder.dir() + "/model is unchanged");
                    return result(run, metrics, first, control, best);
                }
            }
            log(run.summary());
            long begin = System.nanoTime();
            for (int e = first; e < run.epochs() && control.stoppedEpoch() == 0; e++) {
                EpochStats s = run.trainEpoch(e);
                long te = System.nanoTime();
                s.validation = run.evaluate(e);
                s.evalSeconds = (System.nanoTime() - te) / 1e9;
                log(EpochReport.progressLine(s, run.epochs(), (System.nanoTime() - begin) / 1e9));
                TrainingControl.Decision d = control.epochEnd(e + 1, control.pick(s.loss(), s.accuracy(),
                        s.validation == null ? Double.NaN : s.validation.loss(),
                        s.validation == null ? Double.NaN : s.validation.accuracy()));
                if (d.improved() && control.restoreBest()) {
                    best = run.snapshot();
                }
                run.rateScale(control.rateScale());
                String line = EpochReport.metricsLine(s, run.server().globalStep());
                if (control.used()) {
                    line = EpochReport.withFields(line, controlFields(control, d));
                }
                metrics.add(line);
                if (folder != null) {
                    folder.epochDone(run, e + 1, line, control);
                }
                if (d.rateReduced()) {
                    log(control.reducedLine(e + 1));
                }
                if (d.stop()) {
                    log(control.stopLine(run.epochs()));
                }
            }
            int done = control.stoppedEpoch() > 0 ? control.stoppedEpoch() : Math.max(first, run.epochs());
            if (best != null && control.stoppedEpoch() == 0) {
                log(String.format(java.util.Locale.ROOT, "restoring the weights of epoch %d (best %s %.6g)",
                        control.bestEpoch(), control.monitor().metric(), control.best()));
            }
            TrainingResult result = result(run, metrics, done, control, best);
            if (folder != null) {
                folder.finish(result);
            }
            return result;
        }
    }

    /** The fields a metrics line gets when something watches the monitor. */
    private static Map<String, Object> controlFields(TrainingControl control, TrainingControl.Decision d) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("best_epoch", control.bestEpoch());
        if (d.stop()) {
            f.put("stopped", "early");
            if (control.restoreBest() && control.bestEpoch() > 0) {
                f.put("restored_epoch", control.bestEpoch());
            }
        }
        return f;
    }

    /**
     * With restoreBest, the best epoch's state when a run resumes: the checkpoint's own when it is
     * the best, else the best epoch's checkpoint (restoreBest keeps it); null when there is none
     * yet, or it is gone (then the final model is the last epoch's, and a warning says so).
     */
    private static TrainingRun.Snapshot bestOnResume(RunFolderWriter folder, TrainingRun run, TrainingControl control,
            CheckpointStore.Checkpoint from) throws IOException {
        if (!control.restoreBest() || control.bestEpoch() == 0) {
            return null;
        }
        if (control.bestEpoch() == from.epoch()) {
            return run.snapshot();
        }
        java.util.Optional<CheckpointStore.Checkpoint> c;
        try {
            c = folder.checkpoint(control.bestEpoch());
        } catch (IOException e) {
            c = java.util.Optional.empty();
        }
        if (c.isEmpty()) {
            System.err.println("warning: the checkpoint of the best epoch " + control.bestEpoch() + " is missing or damaged:"
                    + " restoreBest cannot restore it, the final model gets the last epoch's weights");
            return null;
        }
        run.restore(c.get().file());
        TrainingRun.Snapshot best = run.snapshot();
        run.restore(from.file());
        return best;
    }

    /** The result after {@code epochsDone} epochs; with restoreBest, the run goes back to the best epoch's state first. */
    private static TrainingResult result(TrainingRun run, List<String> metrics, int epochsDone, TrainingControl control,
            TrainingRun.Snapshot best) {
        Map<String, String> meta = run.meta(epochsDone);
        if (best != null) {
            run.restore(best);
            meta = run.meta(epochsDone);
            meta.put("restoredEpoch", Integer.toString(control.bestEpoch()));
        }
        if (control.used()) {
            meta.put("stopped", control.stoppedEpoch() > 0 ? "early" : "epochs");
        }
        return new TrainingResult(run.network(), run.classNames(), run.mean(), run.std(), metrics, meta,
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
