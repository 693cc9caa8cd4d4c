package org.sparkcnn.layer;

import org.sparkcnn.tensor.Tensor;
import org.sparkcnn.util.SplitMix;

/**
 * Inverted dropout: in training each element is zeroed with probability p and the rest scaled by
 * 1/(1−p); identity in evaluation. The mask is a pure function of (seed, call number, element
 * index), so it is the same whatever the thread count, and {@link #reseed} replays it exactly.
 */
public final class Dropout extends AbstractLayer {
    public final float p;
    private long seed;
    private long calls;
    private Tensor output;
    private Tensor dInput;
    private float[] mask = new float[0];
    private boolean lastTraining;

    public Dropout(String name, float p, long seed) {
        super(name);
        require(p >= 0f && p < 1f, "drop probability must be in [0, 1), got " + p);
        this.p = p;
        this.seed = seed;
    }

    /** Restarts the mask sequence from {@code seed}. */
    public void reseed(long seed) {
        this.seed = seed;
        this.calls = 0;
    }

    /** Takes its mask seed from the model's generator, so one model seed fixes every mask. */
    @Override
    public void init(java.util.random.RandomGenerator rng) {
        reseed(rng.nextLong());
    }

    @Override
    protected String signature() {
        return "Dropout p=" + p;
    }

    @Override
    public int[] outputShape(int[] in) {
        if (in.length < 1) {
            throw error("expects a batch dimension, got a scalar shape");
        }
        return in.clone();
    }

    @Override
    protected Tensor forwardImpl(Tensor x, boolean training) {
        if (input == null || !x.sameShape(input)) {
            outputShape(x.shape());
        }
        input = x;
        lastTraining = training && p > 0f;
        if (!lastTraining) {
            return x;
        }
        output = Tensor.reuseLike(output, x);
        if (mask.length != x.size()) {
            mask = new float[x.size()];
        }
        final long stream = SplitMix.mix(seed + SplitMix.GOLDEN * (++calls));
        final float keep = 1f / (1f - p);
        final float[] xs = x.data, ys = output.data, m = mask;
        final double drop = p;
        parallel.forRange(xs.length, (s, e, w) -> {
            for (int i = s; i < e; i++) {
                double u = SplitMix.unit(SplitMix.mix(stream + i));
                m[i] = u < drop ? 0f : keep;
                ys[i] = xs[i] * m[i];
            }
        });
        return output;
    }

    @Override
    protected Tensor backwardImpl(Tensor dy) {
        if (!lastTraining) {
            requireGradShape(dy, input);
            return dy;
        }
        requireGradShape(dy, output);
        dInput = Tensor.reuseLike(dInput, dy);
        final float[] g = dy.data, dx = dInput.data, m = mask;
        parallel.forRange(g.length, (s, e, w) -> {
            for (int i = s; i < e; i++) {
                dx[i] = g[i] * m[i];
            }
        });
        return dInput;
    }
}
