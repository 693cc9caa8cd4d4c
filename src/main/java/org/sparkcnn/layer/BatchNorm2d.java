package org.sparkcnn.layer;

import java.util.List;
import org.sparkcnn.kernel.VectorOps;
import org.sparkcnn.tensor.Shapes;
import org.sparkcnn.tensor.Tensor;

/**
 * Batch normalisation over N, H, W per channel. Training normalises with the batch mean and
 * biased variance and updates running_var with the unbiased one:
 * r ← (1 − momentum)·r + momentum·batch (PyTorch's rule). Evaluation uses the running statistics.
 * Channel sums are taken in double, one channel per task, so results do not depend on threads.
 * <p>
 * Fused execution (the default, {@link Fusion}): backward recomputes x̂ = (x − mean)·invStd from
 * x instead of storing it; {@link #fuseRelu} makes this layer also apply the ReLU that follows it
 * (forward writes max(0, y) once; backward masks dy where the recomputed y is not positive), and
 * {@link #maskGradient} makes backward mask dy by a later ReLU's output (the residual add's, see
 * block/Residual). Every path does the float operations of the separate passes in their order, so
 * results are bit-identical; {@code setFused(false)} runs those separate passes (x̂ stored).
 */
public final class BatchNorm2d extends AbstractLayer {
    public final int channels;
    public final float momentum;
    public final float eps;
    private final Param weight;
    private final Param bias;
    private final Buffer runningMean;
    private final Buffer runningVar;
    private final float[] invStd;
    /** Per channel: the batch mean (training) and y's scale and shift, for recomputing x̂ and y in backward. */
    private final float[] meanOf, yScale, yShift;
    /** Per channel: the two sums of one plane's backward (scratch; each channel is one task's). */
    private final float[] sums;
    private boolean fused = Fusion.byDefault();
    private boolean reluAfter;
    private Tensor gradMask;
    private Tensor output;
    private Tensor xhat;
    private Tensor dInput;
    private boolean lastTraining;
    private Tensor gradOut;
    // Loop bodies built once: a capturing lambda per call would allocate every step.
    private final org.sparkcnn.kernel.Parallel.RangeBody trainBody = this::trainChannels;
    private final org.sparkcnn.kernel.Parallel.RangeBody evalBody = this::evalChannels;
    private final org.sparkcnn.kernel.Parallel.RangeBody backwardBody = this::backwardChannels;

    public BatchNorm2d(String name, int channels, float momentum, float eps) {
        super(name);
        require(channels >= 1, "channel count must be at least 1, got " + channels);
        require(momentum >= 0f && momentum <= 1f, "momentum must be in [0, 1], got " + momentum);
        require(eps > 0f, "eps must be positive, got " + eps);
        this.channels = channels;
        this.momentum = momentum;
        this.eps = eps;
        weight = new Param("weight", channels);
        bias = new Param("bias", channels);
        runningMean = new Buffer("running_mean", channels);
        runningVar = new Buffer("running_var", channels);
        invStd = new float[channels];
        meanOf = new float[channels];
        yScale = new float[channels];
        yShift = new float[channels];
        sums = new float[2 * channels];
        weight.value.fill(1f);
        runningVar.value.fill(1f);
    }

    public BatchNorm2d(String name, int channels) {
        this(name, channels, 0.1f, 1e-5f);
    }

    public Param weight() {
        return weight;
    }

    public Param bias() {
        return bias;
    }

    public Buffer runningMean() {
        return runningMean;
    }

    public Buffer runningVar() {
        return runningVar;
    }

    /**
     * Fused execution on or off (see the class comment); off also drops {@link #fuseRelu} and
     * {@link #maskGradient}. Results are the same either way.
     */
    public void setFused(boolean on) {
        fused = on;
        if (!on) {
            reluAfter = false;
            gradMask = null;
        }
    }

    public boolean fused() {
        return fused;
    }

    /**
     * Whether this layer also applies the ReLU that follows it (which then passes through, see
     * {@link ReLU#passThrough}); only when fused. Returns whether it does.
     */
    public boolean fuseRelu(boolean on) {
        reluAfter = on && fused;
        return reluAfter;
    }

    /**
     * Makes the next backward take dy as zero where {@code mask} is not positive: the gradient of a
     * ReLU whose output is {@code mask}, applied here instead of in a pass of its own; null: none.
     * Only when fused; returns whether it is taken.
     */
    public boolean maskGradient(Tensor mask) {
        gradMask = fused && !reluAfter ? mask : null;
        return gradMask != null || mask == null;
    }

    @Override
    protected String signature() {
        return "BatchNorm2d " + channels;
    }

    @Override
    public List<Param> params() {
        return List.of(weight, bias);
    }

    @Override
    public List<Buffer> buffers() {
        return List.of(runningMean, runningVar);
    }

    @Override
    public void init(java.util.random.RandomGenerator rng) {
        weight.value.fill(1f);
        bias.value.fill(0f);
        runningMean.value.fill(0f);
        runningVar.value.fill(1f);
    }

    @Override
    public int[] outputShape(int[] in) {
        requireRank(in, 4, "input [N, C, H, W]");
        if (in[1] != channels) {
            throw error("expects " + channels + " channels, got input shape " + Shapes.str(in));
        }
        return in.clone();
    }

    @Override
    protected Tensor forwardImpl(Tensor x, boolean training) {
        if (input == null || !x.sameShape(input)) {
            outputShape(x.shape());
        }
        final int n = x.dim(0), plane = x.dim(2) * x.dim(3);
        final int count = n * plane;
        if (training && count < 2) {
            throw error("needs more than one value per channel in training, got input shape " + Shapes.str(x.shape()));
        }
        output = Tensor.reuseLike(output, x);
        if (training && !fused) {
            xhat = Tensor.reuseLike(xhat, x);
        }
        input = x;
        parallel.forRange(channels, training ? trainBody : evalBody);
        lastTraining = training;
        return output;
    }

    // Per plane the sums run in vector lanes (fixed order); planes are added up in double.
    private void trainChannels(int c0, int c1, int worker) {
        final int n = input.dim(0), plane = input.dim(2) * input.dim(3), count = n * plane, cs = channels;
        final float[] xs = input.data, ys = output.data, xh = fused ? null : xhat.data;
        final float[] g = weight.value.data, b = bias.value.data, rm = runningMean.value.data, rv = runningVar.value.data;
        final int go = weight.value.offset, bo = bias.value.offset, mo = runningMean.value.offset;
        final int vo = runningVar.value.offset;
        for (int c = c0; c < c1; c++) {
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += VectorOps.sum(xs, (i * cs + c) * plane, plane);
            }
            double mean = sum / count;
            float fm = (float) mean;
            double sq = 0;
            for (int i = 0; i < n; i++) {
                sq += VectorOps.sumSquaredDeviations(xs, (i * cs + c) * plane, plane, fm);
            }
            double var = sq / count;
            float is = (float) (1.0 / Math.sqrt(var + eps));
            invStd[c] = is;
            meanOf[c] = fm;
            float gc = g[go + c], bc = b[bo + c];
            yScale[c] = gc;
            yShift[c] = bc;
            for (int i = 0; i < n; i++) {
                int o = (i * cs + c) * plane;
                if (!fused) {
                    VectorOps.normalize(xs, xh, ys, o, plane, fm, is, gc, bc);
                } else if (reluAfter) {
                    VectorOps.normalizeRelu(xs, ys, o, plane, fm, is, gc, bc);
                } else {
                    VectorOps.normalize(xs, ys, o, plane, fm, is, gc, bc);
                }
            }
            rm[mo + c] = (float) ((1 - momentum) * rm[mo + c] + momentum * mean);
            rv[vo + c] = (float) ((1 - momentum) * rv[vo + c] + momentum * sq / (count - 1));
        }
    }

    private void evalChannels(int c0, int c1, int worker) {
        final int n = input.dim(0), plane = input.dim(2) * input.dim(3), cs = channels;
        final float[] xs = input.data, ys = output.data;
        final float[] g = weight.value.data, b = bias.value.data, rm = runningMean.value.data, rv = runningVar.value.data;
        final int go = weight.value.offset, bo = bias.value.offset, mo = runningMean.value.offset;
        final int vo = runningVar.value.offset;
        for (int c = c0; c < c1; c++) {
            float is = (float) (1.0 / Math.sqrt((double) rv[vo + c] + eps));
            invStd[c] = is;
            float scale = g[go + c] * is, shift = b[bo + c] - rm[mo + c] * scale;
            yScale[c] = scale;
            yShift[c] = shift;
            for (int i = 0; i < n; i++) {
                if (reluAfter) {
                    VectorOps.affineRelu(xs, ys, (i * cs + c) * plane, plane, scale, shift);
                } else {
                    VectorOps.affine(xs, ys, (i * cs + c) * plane, plane, scale, shift);
                }
            }
        }
    }

    @Override
    protected Tensor backwardImpl(Tensor dy) {
        requireGradShape(dy, output);
        dInput = Tensor.reuseLike(dInput, input);
        gradOut = dy;
        parallel.forRange(channels, backwardBody);
        return dInput;
    }

    private void backwardChannels(int c0, int c1, int worker) {
        if (!lastTraining) {
            evalBackwardChannels(c0, c1);
        } else if (fused) {
            fusedBackwardChannels(c0, c1);
        } else {
            storedBackwardChannels(c0, c1);
        }
    }

    /** Training backward from the stored x̂ (the separate-pass path). */
    private void storedBackwardChannels(int c0, int c1) {
        final int n = input.dim(0), plane = input.dim(2) * input.dim(3), cs = channels;
        final int count = n * plane;
        final float[] g = gradOut.data, dx = dInput.data, gamma = weight.value.data, xh = xhat.data;
        final float[] dgamma = weight.grad.data, dbeta = bias.grad.data;
        final int go = weight.value.offset, dgo = weight.grad.offset, dbo = bias.grad.offset;
        for (int c = c0; c < c1; c++) {
            double sb = 0, sg = 0;
            for (int i = 0; i < n; i++) {
                int o = (i * cs + c) * plane;
                sb += VectorOps.sum(g, o, plane);
                sg += VectorOps.dot(g, xh, o, plane);
            }
            dbeta[dbo + c] = (float) sb;
            dgamma[dgo + c] = (float) sg;
            for (int i = 0; i < n; i++) {
                // dx = γ·invstd/M · (M·dy − Σdy − x̂·Σ(dy·x̂))
                VectorOps.batchNormBackward(g, xh, dx, (i * cs + c) * plane, plane, gamma[go + c] * invStd[c] / count,
                        count, (float) sb, (float) sg);
            }
        }
    }

    /** Training backward with x̂ recomputed from x, dy masked by the fused ReLU or {@link #gradMask}. */
    private void fusedBackwardChannels(int c0, int c1) {
        final int n = input.dim(0), plane = input.dim(2) * input.dim(3), cs = channels;
        final int count = n * plane;
        final float[] g = gradOut.data, dx = dInput.data, gamma = weight.value.data, xs = input.data;
        final float[] dgamma = weight.grad.data, dbeta = bias.grad.data;
        final float[] mask = gradMask == null ? null : gradMask.data;
        final int go = weight.value.offset, dgo = weight.grad.offset, dbo = bias.grad.offset;
        for (int c = c0; c < c1; c++) {
            final float mean = meanOf[c], is = invStd[c], ys = yScale[c], yb = yShift[c];
            double sb = 0, sg = 0;
            for (int i = 0; i < n; i++) {
                int o = (i * cs + c) * plane;
                if (reluAfter) {
                    VectorOps.batchNormSumsRelu(g, xs, o, plane, mean, is, ys, yb, sums, 2 * c);
                } else if (mask != null) {
                    VectorOps.batchNormSumsMasked(g, mask, xs, o, plane, mean, is, sums, 2 * c);
                } else {
                    VectorOps.batchNormSums(g, xs, o, plane, mean, is, sums, 2 * c);
                }
                sb += sums[2 * c];
                sg += sums[2 * c + 1];
            }
            dbeta[dbo + c] = (float) sb;
            dgamma[dgo + c] = (float) sg;
            final float k = gamma[go + c] * is / count, fsb = (float) sb, fsg = (float) sg;
            for (int i = 0; i < n; i++) {
                int o = (i * cs + c) * plane;
                if (reluAfter) {
                    VectorOps.batchNormBackwardRelu(g, xs, dx, o, plane, mean, is, ys, yb, k, count, fsb, fsg);
                } else if (mask != null) {
                    VectorOps.batchNormBackwardMasked(g, mask, xs, dx, o, plane, mean, is, k, count, fsb, fsg);
                } else {
                    VectorOps.batchNormBackward(g, xs, dx, o, plane, mean, is, k, count, fsb, fsg);
                }
            }
        }
    }

    /**
     * Backward after an evaluation-mode forward. A fused ReLU's (or {@link #gradMask}'s) masked dy
     * is written into dx first and transformed there: this path is for gradient checks, not speed.
     */
    private void evalBackwardChannels(int c0, int c1) {
        final int n = input.dim(0), plane = input.dim(2) * input.dim(3), cs = channels;
        final boolean masked = reluAfter || gradMask != null;
        final float[] dx = dInput.data, g = masked ? dx : gradOut.data, gamma = weight.value.data;
        final float[] dgamma = weight.grad.data, dbeta = bias.grad.data;
        final float[] rm = runningMean.value.data;
        final int go = weight.value.offset, dgo = weight.grad.offset, dbo = bias.grad.offset;
        final int mo = runningMean.value.offset;
        for (int c = c0; c < c1; c++) {
            if (masked) {
                for (int i = 0; i < n; i++) {
                    int o = (i * cs + c) * plane;
                    if (reluAfter) {
                        VectorOps.reluBackwardAffine(input.data, gradOut.data, dx, o, plane, yScale[c], yShift[c]);
                    } else {
                        VectorOps.reluBackward(gradMask.data, gradOut.data, dx, o, o + plane);
                    }
                }
            }
            double sb = 0, sx = 0;
            for (int i = 0; i < n; i++) {
                int o = (i * cs + c) * plane;
                sb += VectorOps.sum(g, o, plane);
                // x̂ from the running statistics: Σ dy·x̂ = invstd·(Σ dy·x − mean·Σ dy)
                sx += VectorOps.dot(g, input.data, o, plane);
            }
            double sg = invStd[c] * (sx - rm[mo + c] * sb);
            dbeta[dbo + c] = (float) sb;
            dgamma[dgo + c] = (float) sg;
            for (int i = 0; i < n; i++) {
                int o = (i * cs + c) * plane;
                VectorOps.affine(g, dx, o, plane, gamma[go + c] * invStd[c], 0f);
            }
        }
    }
}
