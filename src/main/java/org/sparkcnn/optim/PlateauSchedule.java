package org.sparkcnn.optim;

/**
 * PyTorch's ReduceLROnPlateau as a scale on the base rate, fed one "improved or not" per epoch:
 * after more than {@code patience} epochs in a row without improvement the rate is multiplied by
 * {@code factor} (never below {@code minRate}), then {@code cooldown} epochs pass before bad epochs
 * count again. The trainer multiplies the schedule's rate by {@link #scale()}.
 */
public final class PlateauSchedule {
    /** PyTorch's eps: reductions smaller than this are skipped. */
    private static final double EPS = 1e-8;
    private final double baseRate, factor, minRate;
    private final int patience, cooldown;
    private int bad, cooldownLeft;
    private double scale = 1;

    /** {@code baseRate}: the rate the scale multiplies (the learning rate after lrScaling). */
    public PlateauSchedule(double baseRate, double factor, int patience, int cooldown, double minRate) {
        if (!(factor > 0 && factor < 1)) {
            throw new IllegalArgumentException("plateau factor must be in (0, 1), got " + factor);
        }
        if (patience < 0 || cooldown < 0 || !(minRate >= 0) || !(baseRate > 0)) {
            throw new IllegalArgumentException("plateau schedule: need patience >= 0, cooldown >= 0, minRate >= 0 and"
                    + " baseRate > 0, got " + patience + ", " + cooldown + ", " + minRate + ", " + baseRate);
        }
        this.baseRate = baseRate;
        this.factor = factor;
        this.patience = patience;
        this.cooldown = cooldown;
        this.minRate = minRate;
    }

    /** Counts one epoch; returns whether the rate was reduced after it. */
    public boolean epochEnd(boolean improved) {
        bad = improved ? 0 : bad + 1;
        if (cooldownLeft > 0) {
            cooldownLeft--;
            bad = 0;
        }
        if (bad <= patience) {
            return false;
        }
        bad = 0;
        cooldownLeft = cooldown;
        double old = baseRate * scale, lowered = Math.max(old * factor, minRate);
        if (old - lowered <= EPS) {
            return false;
        }
        scale = lowered == minRate ? minRate / baseRate : scale * factor;
        return true;
    }

    /** What the base rate is multiplied by now (1 until the first reduction). */
    public double scale() {
        return scale;
    }

    public double rate() {
        return baseRate * scale;
    }

    /** Bad epochs counted and cooldown epochs left, for a checkpoint. */
    public int[] counters() {
        return new int[] {bad, cooldownLeft};
    }

    /** Continues the state saved by a checkpoint. */
    public void restore(double scale, int bad, int cooldownLeft) {
        this.scale = scale;
        this.bad = bad;
        this.cooldownLeft = cooldownLeft;
    }
}
