package org.sparkcnn.optim;

/**
 * Learning rate as a pure function of the optimiser step (0-based), so a resumed or replayed run
 * gets the same rates. Compose: {@code warmup(cosine(0.05, 0, total), 500)}.
 */
@FunctionalInterface
public interface LearningRateSchedule {
    double rate(long step);

    static LearningRateSchedule constant(double lr) {
        requirePositive(lr);
        return step -> lr;
    }

    /** lr·gamma^⌊step / every⌋ (PyTorch's StepLR counted in steps). */
    static LearningRateSchedule step(double lr, long every, double gamma) {
        requirePositive(lr);
        if (every < 1 || gamma <= 0) {
            throw new IllegalArgumentException("step schedule: every must be >= 1 and gamma > 0, got " + every + ", " + gamma);
        }
        return step -> lr * Math.pow(gamma, Math.floorDiv(step, every));
    }

    /** Cosine from lr down to minLr over {@code total} steps, then minLr. */
    static LearningRateSchedule cosine(double lr, double minLr, long total) {
        requirePositive(lr);
        if (total < 1 || minLr < 0 || minLr > lr) {
            throw new IllegalArgumentException("cosine schedule: need total >= 1 and 0 <= minLr <= lr, got "
                    + total + ", " + minLr);
        }
        return step -> step >= total ? minLr : minLr + (lr - minLr) * (1 + Math.cos(Math.PI * step / total)) / 2;
    }

    /** Linear ramp (step+1)/steps · base over the first {@code steps} steps, then {@code base}. */
    static LearningRateSchedule warmup(LearningRateSchedule base, long steps) {
        if (steps < 0) {
            throw new IllegalArgumentException("warm-up steps must not be negative, got " + steps);
        }
        return step -> step < steps ? base.rate(step) * (step + 1) / steps : base.rate(step);
    }

    private static void requirePositive(double lr) {
        if (!(lr > 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("learning rate must be a positive number, got " + lr);
        }
    }
}
