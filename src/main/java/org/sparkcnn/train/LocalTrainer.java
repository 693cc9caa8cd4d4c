package org.sparkcnn.train;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.sparkcnn.data.Dataset;
import org.sparkcnn.model.Network;
import org.sparkcnn.optim.LearningRateSchedule;
import org.sparkcnn.optim.Optimizer;
import org.sparkcnn.tensor.ShapeException;
import org.sparkcnn.tensor.Shapes;
import org.sparkcnn.tensor.Tensor;
import org.sparkcnn.util.SplitMix;

/**
 * Mini-batch training of one network in this JVM on an in-memory dataset. The order of each
 * epoch is a pure function of (seed, epoch), so the same seed and data give bit-identical weights.
 * The last batch of an epoch may be smaller (nothing is dropped).
 */
public final class LocalTrainer {
    /** Figures of one pass over a dataset. */
    public static final class Stats {
        public final double loss;
        public final double accuracy;
        public final int images;
        public final double seconds;

        Stats(double loss, double accuracy, int images, double seconds) {
            this.loss = loss;
            this.accuracy = accuracy;
            this.images = images;
            this.seconds = seconds;
        }

        public double imagesPerSecond() {
            return seconds > 0 ? images / seconds : 0;
        }
    }

    private final Network net;
    private final LearningRateSchedule schedule;
    private final int batchSize;
    private final long seed;
    private final TrainingStep trainingStep;
    private long step;
    /** The plateau schedule's scale on the rate ({@link TrainingControl}; 1 otherwise). */
    private double rateScale = 1;
    private Tensor batch;
    private int[] batchLabels = new int[0];

    public LocalTrainer(Network net, Optimizer optimizer, LearningRateSchedule schedule, int batchSize, long seed) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
        }
        this.net = net;
        this.schedule = schedule;
        this.batchSize = batchSize;
        this.seed = seed;
        this.trainingStep = new TrainingStep(net, optimizer);
    }

    public Network network() {
        return net;
    }

    /** Optimiser steps taken so far. */
    public long steps() {
        return step;
    }

    /** The image order of an epoch: a Fisher–Yates shuffle seeded by (seed, epoch). */
    public static int[] epochOrder(int n, long seed, int epoch) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        SplittableRandom r = new SplittableRandom(seed * SplitMix.GOLDEN + epoch);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    private void checkData(Dataset d) {
        int[] want = net.inputShape();
        if (!java.util.Arrays.equals(d.imageShape, want)) {
            throw new ShapeException("model '" + net.name() + "' takes images of shape " + Shapes.str(want)
                    + " but the dataset holds " + Shapes.str(d.imageShape));
        }
        if (d.classes > net.classes()) {
            throw new ShapeException("model '" + net.name() + "' has " + net.classes() + " outputs but the dataset has "
                    + d.classes + " classes");
        }
    }

    private Tensor fill(Dataset d, int[] order, int from, int count) {
        int per = d.imageSize();
        batch = Tensor.reuse(batch, count, d.imageShape[0], d.imageShape[1], d.imageShape[2]);
        if (batchLabels.length != count) {
            batchLabels = new int[count];
        }
        for (int i = 0; i < count; i++) {
            int src = order == null ? from + i : order[from + i];
            System.arraycopy(d.images, src * per, batch.data, i * per, per);
            batchLabels[i] = d.labels[src];
        }
        return batch;
    }

    /** One epoch (0-based number) of shuffled mini-batches; returns mean loss and accuracy. */
    public Stats trainEpoch(Dataset d, int epoch) {
        checkData(d);
        long t0 = System.nanoTime();
        int[] order = epochOrder(d.size(), seed, epoch);
        String where = "epoch " + (epoch + 1) + ", step";
        trainingStep.resetTotals();
        for (int from = 0; from < d.size(); from += batchSize) {
            int count = Math.min(batchSize, d.size() - from);
            Tensor x = fill(d, order, from, count);
            trainingStep.run(x, batchLabels, schedule.rate(step) * rateScale, where, step);
            step++;
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        return new Stats(trainingStep.lossSum() / d.size(), (double) trainingStep.correct() / d.size(), d.size(), secs);
    }

    /** Inference-mode loss and accuracy over the whole dataset, in batches of {@code batch}. */
    public Stats evaluate(Dataset d, int batch) {
        return evaluate(net, d, batch);
    }

    public static Stats evaluate(Network net, Dataset d, int batchSize) {
        long t0 = System.nanoTime();
        Evaluation eval = new Evaluation(net.classes());
        int per = d.imageSize();
        Tensor x = null;
        int[] labels = new int[0];
        for (int from = 0; from < d.size(); from += batchSize) {
            int count = Math.min(batchSize, d.size() - from);
            x = Tensor.reuse(x, count, d.imageShape[0], d.imageShape[1], d.imageShape[2]);
            System.arraycopy(d.images, from * per, x.data, 0, count * per);
            if (labels.length != count) {
                labels = new int[count];
            }
            System.arraycopy(d.labels, from, labels, 0, count);
            eval.add(net, x, labels);
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        return new Stats(eval.loss(), eval.accuracy(), d.size(), secs);
    }

    /** Trains for {@code epochs}, printing one progress line per epoch; evaluates on {@code test} when given. */
    public List<Stats> fit(Dataset train, Dataset test, int epochs, PrintStream log) {
        return fit(train, test, epochs, null, log);
    }

    /**
     * {@link #fit(Dataset, Dataset, int, PrintStream)} watched by {@code control} (null: none): the
     * test set's figures are its val_loss and val_accuracy. It may stop early, lower the rate (the
     * plateau schedule) and, with restoreBest, leave the network with the best epoch's weights.
     */
    public List<Stats> fit(Dataset train, Dataset test, int epochs, TrainingControl control, PrintStream log) {
        if (control != null && control.used() && control.monitor().needsValidation() && test == null) {
            throw new IllegalArgumentException("monitor=" + control.monitor().metric() + " needs a test set to evaluate");
        }
        StateVector weights = new StateVector(net, null);
        float[] best = null;
        List<Stats> out = new ArrayList<>();
        long start = System.nanoTime();
        for (int e = 0; e < epochs; e++) {
            Stats s = trainEpoch(train, e);
            out.add(s);
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT,
                    "epoch %d/%d  loss %.4f  accuracy %.4f  images/s %.1f", e + 1, epochs, s.loss, s.accuracy,
                    s.imagesPerSecond()));
            Stats t = null;
            if (test != null) {
                t = evaluate(test, 256);
                line.append(String.format(Locale.ROOT, "  test_loss %.4f  test_accuracy %.4f", t.loss, t.accuracy));
            }
            line.append(String.format(Locale.ROOT, "  elapsed %.1fs", (System.nanoTime() - start) / 1e9));
            print(log, line.toString());
            if (control == null) {
                continue;
            }
            TrainingControl.Decision d = control.epochEnd(e + 1, control.pick(s.loss, s.accuracy,
                    t == null ? Double.NaN : t.loss, t == null ? Double.NaN : t.accuracy));
            if (d.improved() && control.restoreBest()) {
                best = new float[weights.length()];
                weights.gather(best);
            }
            rateScale = control.rateScale();
            if (d.rateReduced()) {
                print(log, control.reducedLine(e + 1));
            }
            if (d.stop()) {
                print(log, control.stopLine(epochs));
                break;
            }
        }
        if (best != null) {
            weights.scatter(best, 0);
            if (control.stoppedEpoch() == 0) {
                print(log, String.format(Locale.ROOT, "restoring the weights of epoch %d (best %s %.6g)", control.bestEpoch(),
                        control.monitor().metric(), control.best()));
            }
        }
        return out;
    }

    private static void print(PrintStream log, String line) {
        if (log != null) {
            log.println(line);
            log.flush();
        }
    }
}
