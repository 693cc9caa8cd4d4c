package org.sparkcnn.train;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.sparkcnn.optim.PlateauSchedule;

/**
 * What a trainer decides after each epoch from the monitored metric (docs/training.md, "Knowing
 * when to stop"): whether it improved, whether to stop early ({@link EarlyStopping}), whether the
 * plateau schedule lowers the rate ({@link PlateauSchedule}), which epoch's weights are the best,
 * and the metric of every epoch (for keeping the best checkpoints). Its state is plain numbers that
 * a checkpoint carries ({@link #toMeta}, {@link #restore}), so a resumed run decides exactly as an
 * uninterrupted one. Both trainers use it; no Spark here.
 */
public final class TrainingControl {
    /** The checkpoint metadata keys of the state start with this. */
    public static final String META_PREFIX = "control.";

    /** One epoch's outcome. */
    public record Decision(boolean improved, boolean stop, boolean rateReduced) {
    }

    private final Monitor monitor;
    private final EarlyStopping stopping;
    private final PlateauSchedule plateau;
    private final boolean restoreBest, used;
    private double best;
    private int bestEpoch, stoppedEpoch;
    /** (epoch, value) of every epoch so far. */
    private final List<double[]> history = new ArrayList<>();

    private TrainingControl(TrainConfig cfg, double baseRate) {
        this.monitor = new Monitor(cfg.get("monitor"), cfg.get("monitorMode"), cfg.getDouble("minDelta", 0));
        this.stopping = cfg.getBoolean("earlyStopping") ? new EarlyStopping(cfg.getInt("patience", 0)) : null;
        this.plateau = cfg.get("schedule").equals("plateau") ? new PlateauSchedule(baseRate, cfg.getDouble("plateauFactor", 0),
                cfg.getInt("plateauPatience", 0), cfg.getInt("plateauCooldown", 0), cfg.getDouble("minLearningRate", 0)) : null;
        this.restoreBest = cfg.getBoolean("restoreBest");
        this.used = used(cfg);
        this.best = monitor.initial();
    }

    /**
     * The control for {@code cfg} (checked); {@code baseRate} is the rate the schedule starts from
     * (learningRate, times the partitions with lrScaling=linear), which minLearningRate bounds.
     */
    public static TrainingControl of(TrainConfig cfg, double baseRate) {
        return new TrainingControl(cfg, baseRate);
    }

    /** Whether any setting watches the monitor: earlyStopping, restoreBest, schedule=plateau, keepBest > 0. */
    public static boolean used(TrainConfig cfg) {
        String keepBest = cfg.get("keepBest"); // a key of the Spark job only
        return cfg.getBoolean("earlyStopping") || cfg.getBoolean("restoreBest") || cfg.get("schedule").equals("plateau")
                || (keepBest != null && cfg.getInt("keepBest", 0) > 0);
    }

    /** Whether any setting watches the monitor (else {@link #epochEnd} only records). */
    public boolean used() {
        return used;
    }

    public Monitor monitor() {
        return monitor;
    }

    public boolean restoreBest() {
        return restoreBest;
    }

    /** The monitored figure among an epoch's four. */
    public double pick(double trainLoss, double trainAccuracy, double valLoss, double valAccuracy) {
        switch (monitor.metric()) {
            case "train_loss": return trainLoss;
            case "train_accuracy": return trainAccuracy;
            case "val_loss": return valLoss;
            default: return valAccuracy;
        }
    }

    /** After epoch {@code epoch} (1-based) with the monitored {@code value}: what to do. */
    public Decision epochEnd(int epoch, double value) {
        if (stoppedEpoch > 0) {
            throw new IllegalStateException("training stopped early after epoch " + stoppedEpoch);
        }
        history.add(new double[] {epoch, value});
        boolean improved = monitor.improves(value, best);
        if (improved) {
            best = value;
            bestEpoch = epoch;
        }
        boolean stop = stopping != null && stopping.epochEnd(improved);
        boolean reduced = plateau != null && plateau.epochEnd(improved);
        if (stop) {
            stoppedEpoch = epoch;
        }
        return new Decision(improved, stop, reduced);
    }

    /** What the schedule's rate is multiplied by (1 without the plateau schedule). */
    public double rateScale() {
        return plateau == null ? 1 : plateau.scale();
    }

    /** The best epoch so far (1-based; 0 before any epoch improved on the start). */
    public int bestEpoch() {
        return bestEpoch;
    }

    public double best() {
        return best;
    }

    /** The epoch after which training stopped early, or 0. */
    public int stoppedEpoch() {
        return stoppedEpoch;
    }

    /** Epochs since the last improvement (early stopping's count; 0 without it). */
    public int waited() {
        return stopping == null ? 0 : stopping.waited();
    }

    /** The {@code k} best epochs by the monitored value (ties: the earlier first; NaN never among them). */
    public List<Integer> bestEpochs(int k) {
        Comparator<double[]> byValue = (a, b) -> monitor.compare(a[1], b[1]);
        return history.stream().filter(h -> !Double.isNaN(h[1])).sorted(byValue.thenComparingDouble(h -> h[0]))
                .limit(k).map(h -> (int) h[0]).toList();
    }

    /** The one line the log gets when training stops early. */
    public String stopLine(int epochs) {
        return String.format(Locale.ROOT, "stopping early after epoch %d/%d: %s has not improved for %d epoch%s (patience %d);"
                + " best %s at epoch %d%s", stoppedEpoch, epochs, monitor.metric(), waited(), waited() == 1 ? "" : "s",
                waited(), fmt(best), bestEpoch, restoreBest && bestEpoch > 0 ? ", whose weights the model gets" : "");
    }

    /** The line the log gets when the plateau schedule lowers the rate. */
    public String reducedLine(int epoch) {
        return String.format(Locale.ROOT, "epoch %d: %s has not improved since epoch %d; learning rate reduced to %s",
                epoch, monitor.metric(), bestEpoch, fmt(plateau.rate()));
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.6g", v);
    }

    /** The state as checkpoint metadata (keys start with {@link #META_PREFIX}); doubles as exact decimal strings. */
    public Map<String, String> toMeta() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(META_PREFIX + "best", Double.toString(best));
        m.put(META_PREFIX + "bestEpoch", Integer.toString(bestEpoch));
        m.put(META_PREFIX + "stoppedEpoch", Integer.toString(stoppedEpoch));
        m.put(META_PREFIX + "waited", Integer.toString(waited()));
        int[] counters = plateau == null ? new int[2] : plateau.counters();
        m.put(META_PREFIX + "plateauBad", Integer.toString(counters[0]));
        m.put(META_PREFIX + "plateauCooldown", Integer.toString(counters[1]));
        m.put(META_PREFIX + "rateScale", Double.toString(rateScale()));
        StringBuilder h = new StringBuilder();
        history.forEach(e -> h.append((int) e[0]).append(' ').append(Double.toString(e[1])).append('\n'));
        m.put(META_PREFIX + "history", h.toString());
        return m;
    }

    /**
     * Continues from a checkpoint's metadata ({@code where} names it in errors). A checkpoint
     * written before these keys existed has none: the state then starts afresh from that epoch.
     */
    public void restore(Map<String, String> meta, String where) {
        if (!meta.containsKey(META_PREFIX + "best")) {
            return;
        }
        try {
            best = Double.parseDouble(meta.get(META_PREFIX + "best"));
            bestEpoch = Integer.parseInt(meta.get(META_PREFIX + "bestEpoch"));
            stoppedEpoch = Integer.parseInt(meta.get(META_PREFIX + "stoppedEpoch"));
            if (stopping != null) {
                stopping.restore(Integer.parseInt(meta.get(META_PREFIX + "waited")));
            }
            if (plateau != null) {
                plateau.restore(Double.parseDouble(meta.get(META_PREFIX + "rateScale")),
                        Integer.parseInt(meta.get(META_PREFIX + "plateauBad")),
                        Integer.parseInt(meta.get(META_PREFIX + "plateauCooldown")));
            }
            history.clear();
            for (String line : meta.get(META_PREFIX + "history").split("\n")) {
                if (!line.isBlank()) {
                    String[] p = line.split(" ");
                    history.add(new double[] {Integer.parseInt(p[0]), Double.parseDouble(p[1])});
                }
            }
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(where + ": unreadable training-control state (" + META_PREFIX + "*): "
                    + e.getMessage(), e);
        }
    }
}
