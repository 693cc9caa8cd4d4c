package org.sparkcnn;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;
import org.sparkcnn.block.Container;
import org.sparkcnn.kernel.Parallel;
import org.sparkcnn.layer.Layer;
import org.sparkcnn.layer.Param;
import org.sparkcnn.tensor.Tensor;

/**
 * Finite-difference gradient checker for float32 layers.
 *
 * <p>For a layer and input x it uses the scalar L = Σ r ⊙ forward(x) with a fixed random r, so
 * that backward(r) must equal dL/dx and dL/dθ. Each checked element is perturbed by ±h and the
 * central difference (L(+h) − L(−h)) / (actual step) is compared with the analytic value under
 * |a − n| ≤ atol + rtol·max(|a|, |n|). L is summed in double: outputs the perturbation does not
 * reach are bit-identical in both runs and cancel exactly, so float round-off only enters through
 * the outputs that really move.
 *
 * <p>Non-smooth layers (ReLU, max) must be fed inputs away from their kinks; a mismatch report
 * shows both one-sided differences, which disagree when a kink lies inside [x − h, x + h].
 */
public final class GradientCheck {
    /** Tiny shapes run fastest without helper threads. */
    public static final Parallel SERIAL = new Parallel(1);

    private double h = 1e-2;
    private double rtol = 1e-2;
    private double atol = 1e-3;
    private int checkAllUpTo = 120;
    private int samples = 60;
    private boolean training = true;
    private long seed = 12345;
    private Runnable beforeForward = () -> { };

    public static GradientCheck create() {
        return new GradientCheck();
    }

    public GradientCheck step(double step) {
        this.h = step;
        return this;
    }

    public GradientCheck tolerance(double relative, double absolute) {
        this.rtol = relative;
        this.atol = absolute;
        return this;
    }

    /** Tensors up to {@code all} elements are checked completely, larger ones on {@code sampled} random elements. */
    public GradientCheck coverage(int all, int sampled) {
        this.checkAllUpTo = all;
        this.samples = sampled;
        return this;
    }

    public GradientCheck training(boolean t) {
        this.training = t;
        return this;
    }

    public GradientCheck seed(long s) {
        this.seed = s;
        return this;
    }

    /** Runs before every forward, e.g. to reseed dropout so each pass draws the same mask. */
    public GradientCheck beforeForward(Runnable r) {
        this.beforeForward = r;
        return this;
    }

    /** A tensor whose elements are perturbed, with the analytic gradient to compare against. */
    public record Target(String name, float[] values, float[] analytic) {
    }

    public static final class Report {
        public final List<String> mismatches = new ArrayList<>();
        /** Names of the targets with at least one mismatch. */
        public final List<String> failedTargets = new ArrayList<>();
        public int checked;
        public double worstError;

        public boolean ok() {
            return checked > 0 && mismatches.isEmpty();
        }

        public void assertOk(String context) {
            if (!ok()) {
                fail(context + ": " + this);
            }
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder();
            sb.append(checked).append(" elements checked, ").append(mismatches.size()).append(" mismatches");
            for (int i = 0; i < Math.min(10, mismatches.size()); i++) {
                sb.append("\n  ").append(mismatches.get(i));
            }
            return sb.toString();
        }
    }

    /** Checks backward of {@code layer} at {@code x} (dx and every parameter gradient in the layer tree). */
    public Report checkLayer(Layer layer, Tensor x) {
        SplittableRandom rng = new SplittableRandom(seed);
        beforeForward.run();
        Tensor y = layer.forward(x, training);
        int[] yShape = y.shape();
        float[] r = new float[y.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = (float) (rng.nextDouble() * 2 - 1);
        }
        List<Param> params = new ArrayList<>();
        List<String> names = new ArrayList<>();
        collect(layer, "", params, names);
        for (Param p : params) {
            // A backward that adds to the gradient instead of overwriting it would keep this offset.
            p.grad.fill(7.25f);
        }
        Tensor dx = layer.backward(new Tensor(r.clone(), yShape));
        List<Target> targets = new ArrayList<>();
        targets.add(new Target("input", x.data, dx.data.clone()));
        for (int i = 0; i < params.size(); i++) {
            targets.add(new Target(names.get(i), params.get(i).value.data, params.get(i).grad.data.clone()));
        }
        return check(() -> {
            beforeForward.run();
            Tensor out = layer.forward(x, training);
            double s = 0;
            for (int i = 0; i < r.length; i++) {
                s += (double) r[i] * out.data[i];
            }
            return s;
        }, targets, rng);
    }

    private static void collect(Layer l, String prefix, List<Param> params, List<String> names) {
        String path = Container.join(prefix, l.name());
        for (Param p : l.params()) {
            params.add(p);
            names.add(Container.join(path, p.name));
        }
        for (Layer c : l.children()) {
            collect(c, path, params, names);
        }
    }

    /** Compares each target's analytic gradient with central differences of {@code objective}. */
    public Report check(DoubleSupplier objective, List<Target> targets) {
        return check(objective, targets, new SplittableRandom(seed));
    }

    private Report check(DoubleSupplier objective, List<Target> targets, SplittableRandom rng) {
        Report rep = new Report();
        double f0 = objective.getAsDouble();
        for (Target t : targets) {
            float[] v = t.values();
            boolean failed = false;
            for (int i : indices(v.length, rng)) {
                float orig = v[i];
                float xp = (float) (orig + h);
                float xm = (float) (orig - h);
                v[i] = xp;
                double fp = objective.getAsDouble();
                v[i] = xm;
                double fm = objective.getAsDouble();
                v[i] = orig;
                double num = (fp - fm) / ((double) xp - xm);
                double a = t.analytic()[i];
                double err = Math.abs(a - num);
                double allowed = atol + rtol * Math.max(Math.abs(a), Math.abs(num));
                rep.checked++;
                rep.worstError = Math.max(rep.worstError, err / allowed);
                if (err <= allowed) {
                    continue;
                }
                double fwd = (fp - f0) / ((double) xp - orig);
                double bwd = (f0 - fm) / ((double) orig - xm);
                failed = true;
                rep.mismatches.add(String.format("%s[%d]: analytic %.6g, numeric %.6g (one-sided %.6g / %.6g)",
                        t.name(), i, a, num, fwd, bwd));
            }
            if (failed) {
                rep.failedTargets.add(t.name());
            }
        }
        return rep;
    }

    private int[] indices(int n, SplittableRandom rng) {
        if (n <= checkAllUpTo) {
            int[] all = new int[n];
            for (int i = 0; i < n; i++) {
                all[i] = i;
            }
            return all;
        }
        // Partial Fisher–Yates: distinct random elements.
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) {
            perm[i] = i;
        }
        int k = Math.min(samples, n);
        for (int i = 0; i < k; i++) {
            int j = i + rng.nextInt(n - i);
            int tmp = perm[i];
            perm[i] = perm[j];
            perm[j] = tmp;
        }
        return java.util.Arrays.copyOf(perm, k);
    }

    // ---- random data helpers shared by the tests ----

    public static Tensor gaussian(SplittableRandom rng, int... shape) {
        Tensor t = new Tensor(shape);
        for (int i = 0; i < t.size(); i++) {
            t.data[i] = (float) rng.nextGaussian();
        }
        return t;
    }

    /** Gaussian values pushed at least {@code gap} away from zero (no ReLU kink within ±gap). */
    public static Tensor awayFromZero(SplittableRandom rng, double gap, int... shape) {
        Tensor t = new Tensor(shape);
        for (int i = 0; i < t.size(); i++) {
            double g = rng.nextGaussian();
            t.data[i] = (float) (Math.copySign(gap, g) + g);
        }
        return t;
    }

    /**
     * A shuffled grid of distinct values {@code spacing} apart, centred on zero: no two cells of a
     * max window are within 2h of each other when spacing &gt; 2h.
     */
    public static Tensor distinct(SplittableRandom rng, double spacing, int... shape) {
        Tensor t = new Tensor(shape);
        int n = t.size();
        for (int i = 0; i < n; i++) {
            t.data[i] = (float) ((i - n / 2) * spacing);
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            float tmp = t.data[i];
            t.data[i] = t.data[j];
            t.data[j] = tmp;
        }
        return t;
    }

    /** Fills every parameter with N(0, scale²). */
    public static void randomParams(Layer layer, SplittableRandom rng, double scale) {
        List<Param> params = new ArrayList<>();
        collect(layer, "", params, new ArrayList<>());
        for (Param p : params) {
            for (int i = 0; i < p.value.size(); i++) {
                p.value.data[i] = (float) (rng.nextGaussian() * scale);
            }
        }
    }
}
