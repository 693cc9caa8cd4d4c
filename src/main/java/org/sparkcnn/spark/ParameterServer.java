package org.sparkcnn.spark;

/**
 * The driver's copy of the global training state. After each round it moves the state by the
 * sample-weighted mean of the partitions' changes, so a partition that trained on twice the
 * images counts twice, and an empty one not at all. Parameters, batch-norm running statistics
 * and (unless reset every round) optimiser arrays are all averaged this way; the optimiser's
 * step counter advances by the round's longest partition.
 *
 * <p>With a server momentum β &gt; 0 the parameters (the state's first {@code parameters} values;
 * buffers and optimiser arrays stay plain means) move by a velocity instead, block momentum in the
 * form of SlowMo (Wang et al., ICLR 2020) with a slow rate of 1: {@code u = β·s·u + Δ/γ},
 * {@code x += γ·u}, where Δ is the round's mean change and γ the copies' mean learning rate over
 * the round. Dividing by γ keeps the velocity in units of gradients, so a decaying schedule decays
 * the momentum's push too. SlowMo has s = 1, so while a warm-up raises the rate the previous
 * round's change is pushed again by β·γ/γ' (γ' the previous round's rate), up to 1.5 times itself
 * at β = 0.5 averaging every 50 steps, and training collapsed (docs/accuracy.md). Here
 * s = min(1, γ'/γ): the carried push is β·min(γ, γ')·u, never more than β times the previous
 * change (BMUF's block momentum while the rate rises, SlowMo's while it falls). β = 0 is plain
 * averaging, bit for bit. The velocity is float32, updated in index order: deterministic.
 */
public final class ParameterServer {
    private final float[] state;
    private final int parameters;
    private final float momentum;
    /** Per parameter; null without server momentum. */
    private final float[] velocity;
    /** The rate of the last round that moved the velocity; NaN before the first. */
    private double previousRate;
    private long optimizerSteps;
    private long globalStep;

    public ParameterServer(float[] initial, long optimizerSteps, long globalStep) {
        this(initial, optimizerSteps, globalStep, 0, 0, null, Double.NaN);
    }

    /**
     * With server momentum {@code momentum} in [0, 1) on the first {@code parameters} values;
     * {@code velocity} is a saved velocity to continue from (null: zeros) and {@code previousRate}
     * the rate of the round that last moved it (NaN: none, or not known).
     */
    public ParameterServer(float[] initial, long optimizerSteps, long globalStep, int parameters, double momentum,
            float[] velocity, double previousRate) {
        if (!(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("server momentum must be in [0, 1), got " + momentum);
        }
        if (parameters < 0 || parameters > initial.length) {
            throw new IllegalArgumentException(parameters + " parameters in a state of " + initial.length + " values");
        }
        if (velocity != null && velocity.length != parameters) {
            throw new IllegalArgumentException("a velocity of " + velocity.length + " values for " + parameters + " parameters");
        }
        this.state = initial.clone();
        this.optimizerSteps = optimizerSteps;
        this.globalStep = globalStep;
        this.parameters = parameters;
        this.momentum = (float) momentum;
        this.velocity = momentum == 0 ? null : velocity == null ? new float[parameters] : velocity.clone();
        this.previousRate = previousRate;
    }

    /** The current state (the server's own array: do not change it). */
    public float[] state() {
        return state;
    }

    public long optimizerSteps() {
        return optimizerSteps;
    }

    public long globalStep() {
        return globalStep;
    }

    public RoundInput roundInput() {
        return new RoundInput(state.clone(), optimizerSteps, globalStep);
    }

    /** The velocity (the server's own array: do not change it); null without server momentum. */
    public float[] velocity() {
        return velocity;
    }

    /** The rate of the round that last moved the velocity (NaN: none yet), for a checkpoint. */
    public double previousRate() {
        return previousRate;
    }

    /**
     * Applies a round's total; {@code where} (epoch and round) is named if the update is not finite,
     * in which case the state is left as it was. {@code rate} is the copies' mean learning rate over
     * the round, used only with server momentum.
     */
    public void apply(TrainSum total, double rate, String where) {
        if (total == null || total.samples == 0) {
            return;
        }
        float[] sum = total.weightedDelta;
        if (sum.length != state.length) {
            throw new IllegalStateException(where + ": partitions sent " + sum.length + " values, the state has " + state.length);
        }
        double n = total.samples;
        int moved = velocity == null ? 0 : parameters;
        float g = (float) rate;
        float carry = momentum * (float) carried(rate);
        for (int i = 0; i < sum.length; i++) {
            float d = (float) (sum[i] / n);
            float v = state[i] + (i < moved ? change(nextVelocity(velocity[i], d, g, carry), d, g) : d);
            if (!Float.isFinite(v)) {
                throw new ArithmeticException("non-finite averaged update at " + where + " (state value " + i
                        + "): lower the learning rate" + (velocity == null ? "" : " or serverMomentum")
                        + "; the last checkpoint is kept");
            }
        }
        for (int i = 0; i < sum.length; i++) {
            float d = (float) (sum[i] / n);
            if (i < moved) {
                velocity[i] = nextVelocity(velocity[i], d, g, carry);
                state[i] += change(velocity[i], d, g);
            } else {
                state[i] += d;
            }
        }
        if (velocity != null && rate > 0) {
            previousRate = rate;
        }
        optimizerSteps += total.maxBatches;
        globalStep += total.maxBatches;
    }

    /** s = min(1, γ'/γ): 1 for the first round, a falling or level rate, or one at rate 0. */
    private double carried(double rate) {
        return Double.isNaN(previousRate) || !(rate > 0) ? 1 : Math.min(1, previousRate / rate);
    }

    /** u = β·s·u + Δ/γ ({@code carry} = β·s); a round at rate 0 only decays it by β. */
    private float nextVelocity(float u, float d, float g, float carry) {
        return g > 0 ? carry * u + d / g : momentum * u;
    }

    /** x += γ·u (the plain mean change at rate 0). */
    private static float change(float u, float d, float g) {
        return g > 0 ? g * u : d;
    }
}
