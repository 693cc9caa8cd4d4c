package org.sparkcnn.spark;

import java.io.IOException;
import java.io.PrintStream;
import java.io.StringReader;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.sparkcnn.io.ModelFile;
import org.sparkcnn.train.TrainConfig;
import org.sparkcnn.train.TrainingControl;

/**
 * What a run writes into its run folder ({@link RunFolder.Start#dir()}): a checkpoint and
 * metrics.jsonl after every epoch, the final model at the end; and how it continues from the
 * folder's checkpoint. A run that replaces an earlier one takes its place only once complete.
 */
final class RunFolderWriter {
    /** Keys that must match the checkpoint for a resumed run to continue the same computation. */
    private static final List<String> SAME_ON_RESUME = List.of("model", "optimizer", "optimizerState", "seed",
            "batchSize", "syncEvery", "train", "momentum", "nesterov", "weightDecay", "labelSmoothing", "lrScaling",
            "serverMomentum", "monitor", "monitorMode");

    private final RunFolder.Start start;
    private final Configuration hadoop;
    private final TrainConfig cfg;
    private final TrainingData data;
    private final PrintStream log;
    private final CheckpointStore checkpoints;
    private final MetricsLog metrics;

    private RunFolderWriter(RunFolder.Start start, Configuration hadoop, TrainConfig cfg, TrainingData data,
            PrintStream log, CheckpointStore checkpoints, MetricsLog metrics) {
        this.start = start;
        this.hadoop = hadoop;
        this.cfg = cfg;
        this.data = data;
        this.log = log;
        this.checkpoints = checkpoints;
        this.metrics = metrics;
    }

    static RunFolderWriter open(RunFolder.Start start, Configuration hadoop, TrainConfig cfg, TrainingData data,
            PrintStream log) throws IOException {
        return new RunFolderWriter(start, hadoop, cfg, data, log, new CheckpointStore(start.dir() + "/checkpoints", hadoop),
                new MetricsLog(start.dir(), hadoop));
    }

    /**
     * Restores the start's checkpoint into {@code run} (when it has one) and metrics.jsonl from
     * the checkpoint's history; returns the epochs already done and the metrics lines up to them.
     */
    Resumed resume(TrainingRun run) throws IOException {
        int first = 0;
        String history = "";
        if (start.checkpoint().isPresent()) {
            CheckpointStore.Checkpoint c = start.checkpoint().get();
            first = restore(run, c);
            history = c.file().meta().get(MetricsLog.META_KEY);
        }
        String kept = metrics.restart(first, history);
        if (kept != null) {
            System.err.println("warning: " + metrics.path() + " differed from the history in the checkpoint: rewritten from"
                    + " it, the old one kept as " + kept);
        }
        return new Resumed(first, metrics.history().lines().filter(l -> !l.isBlank()).toList(),
                start.checkpoint().orElse(null));
    }

    /** The epochs done, the metrics lines and the checkpoint of a resumed run (0, none and null for a fresh one). */
    record Resumed(int epochs, List<String> metricsLines, CheckpointStore.Checkpoint from) {
    }

    /** The checkpoint after {@code epoch} epochs, if it is there and valid (restoreBest on resume). */
    java.util.Optional<CheckpointStore.Checkpoint> checkpoint(int epoch) throws IOException {
        return checkpoints.read(epoch);
    }

    /** Whether the checkpoint resumed from is already the last epoch and the folder's model was saved after it. */
    boolean complete(int first, int epochs) {
        if (!(first >= epochs && start.checkpoint().isPresent())) {
            return false;
        }
        try {
            return Integer.toString(first).equals(CheckpointStore.readModel(start.dir() + "/model", hadoop).meta()
                    .get("epoch"));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    String dir() {
        return start.dir();
    }

    private int restore(TrainingRun run, CheckpointStore.Checkpoint c) throws IOException {
        ModelFile f = c.file();
        TrainConfig saved = TrainConfig.distributed();
        saved.load(new StringReader(f.meta().getOrDefault("config", "")), c.path());
        for (String k : SAME_ON_RESUME) {
            // a DataFrame has no path: what it holds is not compared (docs/distributed.md, "The trainer API")
            if (k.equals("train") && data.source() == null) {
                continue;
            }
            String now = k.equals("train") ? data.source() : cfg.get(k);
            if (!saved.get(k).equals(now)) {
                throw new IllegalArgumentException("cannot resume from " + c.path() + ": it was trained with " + k + " = "
                        + saved.get(k) + ", this run has " + k + " = " + now);
            }
        }
        String described = f.about().description();
        if (described != null && !described.equals(run.network().description())) {
            throw new IllegalArgumentException("cannot resume from " + c.path() + ": it was trained with another description"
                    + " of the network than " + run.spec().source + " holds now");
        }
        String p = f.meta().get("partitions");
        if (!Integer.toString(run.partitions()).equals(p)) {
            throw new IllegalArgumentException("cannot resume from " + c.path() + ": it was trained on " + p
                    + " partitions, this run has " + run.partitions());
        }
        run.restore(f);
        log("resuming after epoch " + c.epoch() + " from " + c.path());
        return c.epoch();
    }

    /**
     * After epoch {@code epoch} (1-based): its metrics line, a checkpoint carrying the lines so far
     * and the control's state, metrics.jsonl. Kept: the newest keepCheckpoints, the keepBest best
     * by the monitor, and with restoreBest the best epoch's (which the final model gets).
     */
    void epochDone(TrainingRun run, int epoch, String metricsLine, TrainingControl control) throws IOException {
        metrics.add(metricsLine);
        Map<String, String> meta = run.meta(epoch);
        meta.put(MetricsLog.META_KEY, metrics.history());
        if (control.used()) {
            meta.putAll(control.toMeta());
        }
        checkpoints.save(epoch, out -> ModelFile.write(out, run.network(), run.optimizer(), run.serverVelocity(), meta,
                run.classNames(), run.mean(), run.std()));
        org.sparkcnn.util.Faults.driver().pause("checkpoint-saved-" + epoch); // complete; metrics.jsonl not yet caught up
        java.util.Set<Integer> best = new java.util.HashSet<>(control.bestEpochs(cfg.getInt("keepBest", 0)));
        if (control.restoreBest()) {
            best.add(control.bestEpoch());
        }
        checkpoints.keep(cfg.getInt("keepCheckpoints", 0), best);
        metrics.write();
    }

    /**
     * The final model, what the run leaves for analysis ({@link FinalExports}: evaluated from the
     * model file just written), and the run in place of the one it replaces.
     */
    void finish(TrainingResult result) throws IOException {
        CheckpointStore.writeModel(start.dir() + "/model", hadoop, result::writeModel);
        String output = start.replaces() != null ? start.replaces() : start.dir();
        FinalExports.write(start.dir(), output, hadoop, cfg, data, log);
        RunFolder.finish(start, hadoop);
        log("model written to " + output + "/model; metrics in " + output + "/" + MetricsLog.FILE);
    }

    private void log(String line) {
        if (log != null) {
            log.println(line);
            log.flush();
        }
    }
}
