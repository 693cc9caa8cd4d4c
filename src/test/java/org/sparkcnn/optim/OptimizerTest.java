package org.sparkcnn.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.sparkcnn.layer.Param;

/**
 * Optimisers against a straight double-precision transcription of PyTorch's update rules
 * (torch/optim/sgd.py and adam.py) over several steps with changing gradients. SGD without
 * Nesterov is also covered bit-for-bit-in-rule by the lenet5_sgd_steps reference case.
 */
class OptimizerTest {
    private static Param param(long seed, int n) {
        Param p = new Param("w", n);
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) {
            p.value.data[i] = (float) r.nextGaussian();
        }
        return p;
    }

    private static void grads(Param p, int step) {
        SplittableRandom r = new SplittableRandom(100 + step);
        for (int i = 0; i < p.grad.size(); i++) {
            p.grad.data[i] = (float) r.nextGaussian();
        }
    }

    @Test
    void sgdMatchesPyTorchRuleWithNesterovDampeningAndDecay() {
        double[][] settings = {{0.9, 0, 5e-4, 1}, {0.9, 0, 0, 0}, {0.5, 0.3, 1e-2, 0}, {0, 0, 1e-3, 0}};
        for (double[] s : settings) {
            double mom = s[0], damp = s[1], wd = s[2];
            boolean nesterov = s[3] == 1;
            Param p = param(1, 37);
            double[] w = new double[37], v = new double[37];
            for (int i = 0; i < 37; i++) {
                w[i] = p.value.data[i];
            }
            Sgd sgd = new Sgd(mom, damp, wd, nesterov);
            for (int step = 0; step < 5; step++) {
                grads(p, step);
                double lr = 0.1 / (step + 1);
                sgd.step(List.of(p), lr);
                for (int i = 0; i < 37; i++) {
                    double g = p.grad.data[i] + wd * w[i];
                    if (mom != 0) {
                        v[i] = step == 0 ? g : mom * v[i] + (1 - damp) * g;
                        g = nesterov ? g + mom * v[i] : v[i];
                    }
                    w[i] -= lr * g;
                }
            }
            for (int i = 0; i < 37; i++) {
                assertEquals(w[i], p.value.data[i], 1e-5 * (1 + Math.abs(w[i])), "setting " + java.util.Arrays.toString(s));
            }
        }
    }

    @Test
    void adamAndAdamWMatchPyTorchRule() {
        for (boolean decoupled : new boolean[] {false, true}) {
            Param p = param(2, 29);
            double[] w = new double[29], m = new double[29], v = new double[29];
            for (int i = 0; i < 29; i++) {
                w[i] = p.value.data[i];
            }
            double b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.01, lr = 1e-3;
            Adam adam = new Adam(b1, b2, eps, wd, decoupled);
            for (int t = 1; t <= 6; t++) {
                grads(p, t);
                adam.step(List.of(p), lr);
                for (int i = 0; i < 29; i++) {
                    double g = p.grad.data[i];
                    if (decoupled) {
                        w[i] *= 1 - lr * wd;
                    } else {
                        g += wd * w[i];
                    }
                    m[i] = b1 * m[i] + (1 - b1) * g;
                    v[i] = b2 * v[i] + (1 - b2) * g * g;
                    double mh = m[i] / (1 - Math.pow(b1, t)), vh = v[i] / (1 - Math.pow(b2, t));
                    w[i] -= lr * mh / (Math.sqrt(vh) + eps);
                }
            }
            for (int i = 0; i < 29; i++) {
                assertEquals(w[i], p.value.data[i], 1e-5 * (1 + Math.abs(w[i])), "decoupled=" + decoupled);
            }
            assertEquals(6, adam.steps());
        }
    }

    @Test
    void resetForgetsMomentum() {
        Param a = param(3, 8), b = param(3, 8);
        Sgd sgd = new Sgd(0.9, 0);
        grads(a, 0);
        sgd.step(List.of(a), 0.1);
        sgd.reset();
        grads(a, 1);
        sgd.step(List.of(a), 0.1);
        Sgd fresh = new Sgd(0.9, 0);
        grads(b, 0);
        new Sgd(0.9, 0).step(List.of(b), 0.1);
        grads(b, 1);
        fresh.step(List.of(b), 0.1);
        assertArrayEquals(b.value.data, a.value.data);
    }

    /** Saving state after 3 steps and restoring it into a new optimiser continues bit for bit. */
    @Test
    void restoredStateContinuesExactly() {
        List<java.util.function.Supplier<Optimizer>> kinds = List.of(() -> new Sgd(0.9, 0, 1e-3, true),
                () -> new Sgd(0, 1e-3), () -> new Adam(), () -> new Adam(0.9, 0.99, 1e-8, 1e-2, true));
        for (java.util.function.Supplier<Optimizer> kind : kinds) {
            Param a = param(5, 7), b = param(5, 7);
            Optimizer first = kind.get();
            for (int s = 0; s < 3; s++) {
                grads(a, s);
                first.step(List.of(a), 0.05);
            }
            System.arraycopy(a.value.data, 0, b.value.data, 0, 7);
            Optimizer second = kind.get();
            second.restore(List.of(b), first.state(), first.steps());
            assertEquals(3, second.steps());
            for (int s = 3; s < 6; s++) {
                grads(a, s);
                first.step(List.of(a), 0.05);
                grads(b, s);
                second.step(List.of(b), 0.05);
            }
            assertArrayEquals(a.value.data, b.value.data, kind.get().getClass().getSimpleName());
        }
    }

    /**
     * Parameters of their own (a run each) and the same parameters bound side by side into one
     * array (one run, as in a network) step to the same bits; the state is slot-major over both.
     */
    @Test
    void separateAndFlatParametersStepAlike() {
        List<java.util.function.Supplier<Optimizer>> kinds = List.of(() -> new Sgd(0.9, 0, 1e-3, true),
                () -> new Adam(0.9, 0.99, 1e-8, 1e-2, false));
        for (java.util.function.Supplier<Optimizer> kind : kinds) {
            Param a = param(7, 7), b = param(8, 5), fa = param(7, 7), fb = param(8, 5);
            float[] values = new float[12], grads = new float[12];
            fa.bind(values, grads, 0);
            fb.bind(values, grads, 7);
            Optimizer separate = kind.get(), flat = kind.get();
            for (int s = 0; s < 3; s++) {
                grads(a, s);
                grads(b, s + 10);
                System.arraycopy(a.grad.data, 0, grads, 0, 7);
                System.arraycopy(b.grad.data, 0, grads, 7, 5);
                separate.step(List.of(a, b), 0.05);
                flat.step(List.of(fa, fb), 0.05);
            }
            assertArrayEquals(a.value.data, fa.value.copy().data);
            assertArrayEquals(b.value.data, fb.value.copy().data);
            assertArrayEquals(separate.stateArray(), flat.stateArray());
            int slots = flat.slotsPerParameter();
            assertEquals(12 * slots, flat.stateArray().length);
            List<float[]> perParameter = flat.state();
            assertEquals(2 * slots, perParameter.size());
            // slot s of parameter fb (offset 7) lies at s·12 + 7 of the flat state
            assertArrayEquals(java.util.Arrays.copyOfRange(flat.stateArray(), (slots - 1) * 12 + 7, slots * 12),
                    perParameter.get(2 * slots - 1));
        }
    }

    @Test
    void restoreRejectsStateOfTheWrongShape() {
        Param p = param(1, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Adam().restore(List.of(p), List.of(new float[4]), 2));
        assertEquals("Adam state: expected 2 arrays for 1 parameters, got 1", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new Sgd(0.9, 0).restore(List.of(p), List.of(new float[3]), 2));
        assertEquals("SGD state: array 0 for parameter 'w' holds 3 values, expected 4", e.getMessage());
    }

    @Test
    void schedules() {
        assertEquals(0.1, LearningRateSchedule.constant(0.1).rate(1000));
        LearningRateSchedule step = LearningRateSchedule.step(0.1, 10, 0.5);
        assertEquals(0.1, step.rate(9));
        assertEquals(0.05, step.rate(10), 1e-12);
        assertEquals(0.025, step.rate(25), 1e-12);
        LearningRateSchedule cos = LearningRateSchedule.cosine(1.0, 0.0, 100);
        assertEquals(1.0, cos.rate(0), 1e-12);
        assertEquals(0.5, cos.rate(50), 1e-12);
        assertEquals(0.0, cos.rate(100), 1e-12);
        LearningRateSchedule warm = LearningRateSchedule.warmup(LearningRateSchedule.constant(0.4), 4);
        assertEquals(0.1, warm.rate(0), 1e-12);
        assertEquals(0.4, warm.rate(3), 1e-12);
        assertEquals(0.4, warm.rate(10), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.constant(0));
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.cosine(0.1, 0.2, 10));
        assertThrows(IllegalArgumentException.class, () -> new Sgd(0, 0, 0, true));
        assertThrows(IllegalArgumentException.class, () -> new Adam(1.0, 0.9, 1e-8, 0, false));
    }
}
