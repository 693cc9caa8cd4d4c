package org.sparkcnn.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.sparkcnn.block.Container;
import org.sparkcnn.kernel.Parallel;
import org.sparkcnn.layer.Buffer;
import org.sparkcnn.layer.Dropout;
import org.sparkcnn.layer.Layer;
import org.sparkcnn.layer.Param;
import org.sparkcnn.layer.SoftmaxCrossEntropy;
import org.sparkcnn.tensor.ShapeException;
import org.sparkcnn.tensor.Shapes;
import org.sparkcnn.tensor.Tensor;

/**
 * A classifier: a layer tree from [N, C, H, W] images to [N, classes] logits, trained with
 * softmax cross-entropy. Parameters are named by their path ({@code stage1.block0.conv1.weight}).
 * All parameter values live in one {@code float[]}, all gradients in another and all buffers in a
 * third, in parameter (buffer) order: the network allocates them once its tree is known and binds
 * every {@link Param} and {@link Buffer} to its window of them, so the optimisers, the state vector
 * and the model file read and write these arrays directly.
 */
public final class Network {
    private final String name;
    private final Layer root;
    private final int[] inputShape;
    private final int classes;
    private final Map<String, Param> params = new LinkedHashMap<>();
    private final Map<String, Buffer> buffers = new LinkedHashMap<>();
    private final int numParameters;
    private final float[] values;
    private final float[] gradients;
    private final float[] bufferValues;
    private final SoftmaxCrossEntropy loss = new SoftmaxCrossEntropy();
    private Tensor logits;
    private float lastLoss;
    /** Label smoothing of the training loss ({@link #forwardLoss}); evaluation always uses plain cross-entropy. */
    private float labelSmoothing;
    private String description;

    /** {@code inputShape} is one image, {C, H, W}. */
    public Network(String name, Layer root, int[] inputShape) {
        this.name = name;
        this.root = root;
        this.inputShape = inputShape.clone();
        root.setPath(root.name());
        root.setInputGradient(false); // the input is data: nobody needs dL/dx
        int[] probe = new int[inputShape.length + 1];
        probe[0] = 1;
        System.arraycopy(inputShape, 0, probe, 1, inputShape.length);
        int[] out = root.outputShape(probe);
        if (out.length != 2) {
            throw new ShapeException("model '" + name + "' ends in shape " + Shapes.str(out)
                    + " for input " + Shapes.str(probe) + ": expected [N, classes]");
        }
        this.classes = out[1];
        collect(root, "");
        int n = 0, b = 0;
        for (Param p : params.values()) {
            n += p.value.size();
        }
        for (Buffer buf : buffers.values()) {
            b += buf.value.size();
        }
        this.numParameters = n;
        this.values = new float[n];
        this.gradients = new float[n];
        this.bufferValues = new float[b];
        int o = 0;
        for (Param p : params.values()) {
            p.bind(values, gradients, o);
            o += p.value.size();
        }
        o = 0;
        for (Buffer buf : buffers.values()) {
            buf.bind(bufferValues, o);
            o += buf.value.size();
        }
    }

    private void collect(Layer layer, String prefix) {
        String path = Container.join(prefix, layer.name());
        for (Param p : layer.params()) {
            String key = Container.join(path, p.name);
            if (params.put(key, p) != null) {
                throw new IllegalArgumentException("model '" + name + "': two parameters are named " + key);
            }
        }
        for (Buffer b : layer.buffers()) {
            buffers.put(Container.join(path, b.name), b);
        }
        for (Layer c : layer.children()) {
            collect(c, path);
        }
    }

    public String name() {
        return name;
    }

    /** The text of the description it was built from (docs/models.md), or null for one built in code. */
    public String description() {
        return description;
    }

    Network describedBy(String text) {
        this.description = text;
        return this;
    }

    public Layer root() {
        return root;
    }

    /** One image: {C, H, W}. */
    public int[] inputShape() {
        return inputShape.clone();
    }

    public int classes() {
        return classes;
    }

    /** Parameters by qualified name, in flat-vector order. */
    public Map<String, Param> params() {
        return Collections.unmodifiableMap(params);
    }

    public Map<String, Buffer> buffers() {
        return Collections.unmodifiableMap(buffers);
    }

    public List<Param> paramList() {
        return new ArrayList<>(params.values());
    }

    public int numParameters() {
        return numParameters;
    }

    /** All parameter values, in {@link #params()} order: the array itself, which every Param views. */
    public float[] parameterArray() {
        return values;
    }

    /** All gradients, at the same offsets as {@link #parameterArray()}. */
    public float[] gradientArray() {
        return gradients;
    }

    /** All buffer values (batch-norm running statistics), in {@link #buffers()} order: the array itself. */
    public float[] bufferArray() {
        return bufferValues;
    }

    /** Draws every parameter from one seeded generator, in parameter order. */
    public Network init(long seed) {
        root.init(new SplittableRandom(seed));
        return this;
    }

    /**
     * Restarts every stochastic layer's random sequence (dropout masks) from {@code seed}, so that
     * a model copy reused across Spark tasks draws what a fresh one would.
     */
    public Network reseed(long seed) {
        reseed(root, new SplittableRandom(seed));
        return this;
    }

    private static void reseed(Layer layer, SplittableRandom rng) {
        if (layer instanceof Dropout) {
            ((Dropout) layer).reseed(rng.nextLong());
        }
        for (Layer c : layer.children()) {
            reseed(c, rng);
        }
    }

    /** The loss of the last forward pass (its predictions, for evaluation). */
    public SoftmaxCrossEntropy loss() {
        return loss;
    }

    /** Label smoothing ε in [0, 1) for {@link #forwardLoss}, a training setting like dropout's rate. */
    public Network setLabelSmoothing(double epsilon) {
        if (!(epsilon >= 0 && epsilon < 1)) {
            throw new IllegalArgumentException("model '" + name + "': label smoothing " + epsilon + " is outside [0, 1)");
        }
        this.labelSmoothing = (float) epsilon;
        return this;
    }

    public Network setParallel(Parallel parallel) {
        root.setParallel(parallel);
        return this;
    }

    /** Logits for a batch [N, C, H, W]; the returned tensor is reused by the next call. */
    public Tensor forward(Tensor x, boolean training) {
        checkInput(x);
        logits = root.forward(x, training);
        return logits;
    }

    private void checkInput(Tensor x) {
        boolean ok = x.rank() == inputShape.length + 1 && x.dim(0) >= 1;
        for (int i = 0; ok && i < inputShape.length; i++) {
            ok = x.dim(i + 1) == inputShape[i];
        }
        if (!ok) {
            int[] want = new int[inputShape.length + 1];
            want[0] = -1;
            System.arraycopy(inputShape, 0, want, 1, inputShape.length);
            throw new ShapeException("model '" + name + "': input of shape " + Shapes.str(x.shape())
                    + " does not match [N, " + Shapes.str(inputShape).substring(1));
        }
    }

    /** Forward in training mode, then mean softmax cross-entropy against {@code labels}, smoothed if set. */
    public float forwardLoss(Tensor x, int[] labels) {
        checkInput(x);
        if (labels.length != x.dim(0)) {
            throw new ShapeException("model '" + name + "': " + labels.length + " labels for a batch of " + x.dim(0));
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classes) {
                throw new ShapeException("model '" + name + "': label " + labels[i] + " of sample " + i
                        + " is outside [0, " + classes + ")");
            }
        }
        logits = root.forward(x, true);
        lastLoss = loss.forward(logits, labels, labelSmoothing);
        return lastLoss;
    }

    /** Correct predictions in the last {@link #forwardLoss}. */
    public int lastCorrect() {
        return loss.correct();
    }

    /** Fills every parameter's gradient from the last {@link #forwardLoss}. */
    public void backward() {
        root.backward(loss.backward());
    }

    /** Copies the parameter values into {@code dst}. */
    public void getParameters(float[] dst) {
        System.arraycopy(values, 0, checkLength(dst), 0, numParameters);
    }

    public void getGradients(float[] dst) {
        System.arraycopy(gradients, 0, checkLength(dst), 0, numParameters);
    }

    /** A copy of the parameter values. */
    public float[] parameterVector() {
        return values.clone();
    }

    public void setParameters(float[] src) {
        System.arraycopy(checkLength(src), 0, values, 0, numParameters);
    }

    private float[] checkLength(float[] v) {
        if (v.length != numParameters) {
            throw new IllegalArgumentException("model '" + name + "' has " + numParameters
                    + " parameters, got a vector of " + v.length);
        }
        return v;
    }
}
