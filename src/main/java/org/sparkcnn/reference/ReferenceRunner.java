package org.sparkcnn.reference;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.sparkcnn.block.Container;
import org.sparkcnn.block.InceptionModule;
import org.sparkcnn.block.ResidualBlock;
import org.sparkcnn.layer.AvgPool2d;
import org.sparkcnn.layer.BatchNorm2d;
import org.sparkcnn.layer.Buffer;
import org.sparkcnn.layer.Conv2d;
import org.sparkcnn.layer.GlobalAvgPool;
import org.sparkcnn.layer.Layer;
import org.sparkcnn.layer.Linear;
import org.sparkcnn.layer.MaxPool2d;
import org.sparkcnn.layer.Padding;
import org.sparkcnn.layer.Param;
import org.sparkcnn.layer.ReLU;
import org.sparkcnn.layer.SoftmaxCrossEntropy;
import org.sparkcnn.model.ModelZoo;
import org.sparkcnn.model.Network;
import org.sparkcnn.optim.Sgd;
import org.sparkcnn.tensor.Tensor;

/**
 * Runs reference cases (see docs/reference-cases.md): builds the case's op from the engine's
 * layers, feeds it the given tensors and compares every expected one. A broken case (bad JSON,
 * missing file, unknown op or attribute, unused tensor) fails with a message instead of stopping
 * the run.
 */
public final class ReferenceRunner {
    public static final List<String> OPS = List.of("conv2d", "maxpool2d", "avgpool2d", "global_avgpool", "relu",
            "linear", "softmax_cross_entropy", "batchnorm2d", "residual_block", "inception_module",
            "lenet5_sgd_steps");

    private ReferenceRunner() {
    }

    /**
     * Every case folder (one holding case.json) under the roots, sorted by path. A root may itself
     * be a case; the search does not descend into a case folder.
     */
    public static List<Path> findCases(List<Path> roots) throws IOException {
        TreeSet<Path> found = new TreeSet<>();
        for (Path root : roots) {
            Path r = root.toAbsolutePath().normalize();
            try (Stream<Path> s = Files.walk(r)) {
                s.filter(p -> Files.isRegularFile(p.resolve(ReferenceCase.CASE_FILE))).forEach(found::add);
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
        }
        List<Path> cases = new ArrayList<>();
        for (Path p : found) {
            boolean nested = cases.stream().anyMatch(c -> p.startsWith(c) && !p.equals(c));
            if (!nested) {
                cases.add(p);
            }
        }
        return cases;
    }

    /** Runs the case in {@code dir}; never throws for a broken case. */
    public static CaseResult run(Path dir, String name) {
        ReferenceCase c;
        try {
            c = ReferenceCase.load(dir, name);
        } catch (CaseException e) {
            return new CaseResult(name, false, e.getMessage());
        }
        try {
            runOp(c);
        } catch (CaseException e) {
            return new CaseResult(name, false, c.abort(e.getMessage()));
        } catch (RuntimeException e) {
            // An engine exception (shape check, bad argument) is a failure of this case only.
            return new CaseResult(name, false, c.abort("engine error: " + e));
        }
        String problems = c.finish();
        return new CaseResult(name, problems == null, problems == null ? "" : problems);
    }

    private static void runOp(ReferenceCase c) {
        switch (c.op) {
            case "conv2d": conv2d(c); break;
            case "maxpool2d": pool(c, false); break;
            case "avgpool2d": pool(c, true); break;
            case "global_avgpool": forwardBackward(c, new GlobalAvgPool("global_avgpool"), "x", "y"); break;
            case "relu": forwardBackward(c, new ReLU("relu"), "x", "y"); break;
            case "linear": linear(c); break;
            case "softmax_cross_entropy": softmaxCrossEntropy(c); break;
            case "batchnorm2d": batchNorm(c); break;
            case "residual_block": residualBlock(c); break;
            case "inception_module": inceptionModule(c); break;
            case "lenet5_sgd_steps": lenet5SgdSteps(c); break;
            default:
                throw new CaseException("unknown op '" + c.op + "' (known: " + String.join(", ", OPS) + ")");
        }
    }

    /** y = layer(x) compared; then, when dy is given, dx = backward(dy) compared. */
    private static void forwardBackward(ReferenceCase c, Layer layer, String in, String out) {
        forwardBackward(c, layer, in, out, false);
    }

    private static void forwardBackward(ReferenceCase c, Layer layer, String in, String out, boolean training) {
        Tensor x = c.tensor(in);
        Tensor y = layer.forward(x, training);
        if (c.has(out)) {
            c.check(out, y);
        }
        if (c.has("dy")) {
            Tensor dx = layer.backward(c.tensor("dy"));
            if (c.has("dx")) {
                c.check("dx", dx);
            }
        }
    }

    /**
     * mode valid/same/full picks the engine's named padding; the explicit padding attribute must
     * then agree with it (it is how PyTorch was told). mode null or absent: explicit padding.
     */
    private static void conv2d(ReferenceCase c) {
        int[] stride = c.pairAttr("stride", new int[] {1, 1});
        int[] pad = c.pairAttr("padding", new int[] {0, 0});
        int[] dil = c.pairAttr("dilation", new int[] {1, 1});
        String mode = c.stringAttr("mode");
        Tensor w = c.tensor("weight");
        if (w.rank() != 4) {
            throw new CaseException("tensor 'weight' must be [out, in, kh, kw]");
        }
        Tensor x = c.tensor("x");
        Padding padding = mode == null ? Padding.explicit(pad[0], pad[1]) : named(mode);
        if (mode != null && x.rank() == 4) {
            int[] ph = padding.resolve(x.dim(2), w.dim(2), stride[0], dil[0], true);
            int[] pw = padding.resolve(x.dim(3), w.dim(3), stride[1], dil[1], false);
            if (ph[0] != pad[0] || ph[1] != pad[0] || pw[0] != pad[1] || pw[1] != pad[1]) {
                throw new CaseException("attribute 'padding' [" + pad[0] + ", " + pad[1] + "] disagrees with mode '"
                        + mode + "', which pads top/bottom " + ph[0] + "/" + ph[1] + " and left/right " + pw[0] + "/"
                        + pw[1] + " here");
            }
        }
        boolean withBias = c.has("bias");
        Conv2d conv = new Conv2d("conv2d", w.dim(1), w.dim(0), w.dim(2), w.dim(3), stride[0], stride[1], dil[0], dil[1],
                padding, withBias);
        load(c, "weight", w, conv.weight().value);
        if (withBias) {
            load(c, "bias", c.tensor("bias"), conv.bias().value);
        }
        Tensor y = conv.forward(x, false);
        c.check("y", y);
        if (c.has("dy")) {
            c.check("dx", conv.backward(c.tensor("dy")));
            if (c.has("dweight")) {
                c.check("dweight", conv.weight().grad);
            }
            if (withBias && c.has("dbias")) {
                c.check("dbias", conv.bias().grad);
            }
        }
    }

    private static Padding named(String mode) {
        try {
            return Padding.named(mode);
        } catch (IllegalArgumentException e) {
            throw new CaseException("attribute 'mode': " + e.getMessage());
        }
    }

    /** Copies a given tensor into a layer's parameter, naming the tensor when shapes differ. */
    private static void load(ReferenceCase c, String tensor, Tensor given, Tensor into) {
        if (!given.sameShape(into)) {
            throw new CaseException("tensor '" + tensor + "' has shape " + java.util.Arrays.toString(given.shape())
                    + ", the engine expects " + java.util.Arrays.toString(into.shape()));
        }
        into.copyFrom(given);
    }

    /** Stride defaults to the kernel and padding to 0, as in PyTorch. */
    private static void pool(ReferenceCase c, boolean average) {
        int[] k = c.pairAttr("kernel", null);
        int[] s = c.pairAttr("stride", k);
        int[] p = c.pairAttr("padding", new int[] {0, 0});
        Layer layer = average
                ? new AvgPool2d("avgpool2d", k[0], k[1], s[0], s[1], p[0], p[1], c.boolAttr("count_include_pad", true))
                : new MaxPool2d("maxpool2d", k[0], k[1], s[0], s[1], p[0], p[1]);
        forwardBackward(c, layer, "x", "y");
    }

    /** Bias optional: without it the engine's bias stays zero and dbias is not compared. */
    private static void linear(ReferenceCase c) {
        Tensor w = c.tensor("weight");
        if (w.rank() != 2) {
            throw new CaseException("tensor 'weight' must be [out, in]");
        }
        Linear fc = new Linear("linear", w.dim(1), w.dim(0));
        load(c, "weight", w, fc.weight().value);
        if (c.has("bias")) {
            load(c, "bias", c.tensor("bias"), fc.bias().value);
        }
        c.check("y", fc.forward(c.tensor("x"), false));
        if (c.has("dy")) {
            c.check("dx", fc.backward(c.tensor("dy")));
            if (c.has("dweight")) {
                c.check("dweight", fc.weight().grad);
            }
            if (c.has("bias") && c.has("dbias")) {
                c.check("dbias", fc.bias().grad);
            }
        }
    }

    private static void softmaxCrossEntropy(ReferenceCase c) {
        String reduction = c.stringAttr("reduction");
        if (reduction != null && !reduction.equals("mean")) {
            throw new CaseException("attribute 'reduction' '" + reduction + "' is not supported (only mean)");
        }
        SoftmaxCrossEntropy loss = new SoftmaxCrossEntropy();
        float value = loss.forward(c.tensor("logits"), c.ints("labels"));
        c.check("loss", new float[] {value}, new int[] {1});
        if (c.has("dlogits")) {
            c.check("dlogits", loss.backward());
        }
    }

    private static void batchNorm(ReferenceCase c) {
        boolean training = c.boolAttr("training", null);
        float momentum = (float) c.numberAttr("momentum", 0.1);
        float eps = (float) c.numberAttr("eps", 1e-5);
        c.acceptText("note");
        Tensor x = c.tensor("x");
        if (x.rank() != 4) {
            throw new CaseException("tensor 'x' must be [N, C, H, W]");
        }
        BatchNorm2d bn = new BatchNorm2d("batchnorm2d", x.dim(1), momentum, eps);
        load(c, "weight", c.tensor("weight"), bn.weight().value);
        load(c, "bias", c.tensor("bias"), bn.bias().value);
        load(c, "running_mean", c.tensor("running_mean"), bn.runningMean().value);
        load(c, "running_var", c.tensor("running_var"), bn.runningVar().value);
        c.check("y", bn.forward(x, training));
        if (c.has("running_mean_out")) {
            c.check("running_mean_out", bn.runningMean().value);
        }
        if (c.has("running_var_out")) {
            c.check("running_var_out", bn.runningVar().value);
        }
        if (c.has("dy")) {
            c.check("dx", bn.backward(c.tensor("dy")));
            if (c.has("dweight")) {
                c.check("dweight", bn.weight().grad);
            }
            if (c.has("dbias")) {
                c.check("dbias", bn.bias().grad);
            }
        }
    }

    /** Composite cases run in training mode (batch statistics), as PyTorch's module.train(). */
    private static void residualBlock(ReferenceCase c) {
        c.acceptText("mode", "note");
        Layer block = new ResidualBlock("", c.intAttr("in", null), c.intAttr("out", null), c.intAttr("stride", null));
        composite(c, block, "residual block");
    }

    private static void inceptionModule(ReferenceCase c) {
        c.acceptText("mode", "note");
        Layer block = new InceptionModule("", c.intAttr("in", null), c.intAttr("a", null), c.intAttr("b1", null),
                c.intAttr("b2", null), c.intAttr("c1", null), c.intAttr("c2", null), c.intAttr("d", null));
        composite(c, block, "inception module");
    }

    private static void composite(ReferenceCase c, Layer block, String what) {
        Map<String, Param> params = new LinkedHashMap<>();
        Map<String, Buffer> buffers = new LinkedHashMap<>();
        collect(block, "", params, buffers);
        loadState(c, params, buffers, what);
        forwardBackward(c, block, "x", "y", true);
        compareState(c, params, buffers, what);
    }

    /** Qualified names as Network gives them: the layer path joined with the local name. */
    private static void collect(Layer layer, String prefix, Map<String, Param> params, Map<String, Buffer> buffers) {
        String path = Container.join(prefix, layer.name());
        for (Param p : layer.params()) {
            params.put(Container.join(path, p.name), p);
        }
        for (Buffer b : layer.buffers()) {
            buffers.put(Container.join(path, b.name), b);
        }
        for (Layer child : layer.children()) {
            collect(child, path, params, buffers);
        }
    }

    /**
     * Loads every {@code param.NAME} into the parameter or buffer NAME. Every parameter and
     * buffer must be given: a default would let a case pass without saying what it started from.
     */
    private static void loadState(ReferenceCase c, Map<String, Param> params, Map<String, Buffer> buffers, String what) {
        for (String t : c.tensorNames()) {
            if (!t.startsWith("param.")) {
                continue;
            }
            String key = t.substring("param.".length());
            Tensor into = params.containsKey(key) ? params.get(key).value
                    : buffers.containsKey(key) ? buffers.get(key).value : null;
            if (into == null) {
                throw new CaseException("tensor '" + t + "': the " + what + " has no parameter or buffer '" + key
                        + "' (it has " + String.join(", ", params.keySet()) + "; buffers "
                        + String.join(", ", buffers.keySet()) + ")");
            }
            load(c, t, c.tensor(t), into);
        }
        List<String> missing = new ArrayList<>();
        for (String key : params.keySet()) {
            if (!c.has("param." + key)) {
                missing.add("param." + key);
            }
        }
        for (String key : buffers.keySet()) {
            if (!c.has("param." + key)) {
                missing.add("param." + key);
            }
        }
        if (!missing.isEmpty()) {
            throw new CaseException("the case gives no value for " + String.join(", ", missing));
        }
    }

    /** grad.NAME against parameter gradients, param_out.NAME against parameters or buffers after the run. */
    private static void compareState(ReferenceCase c, Map<String, Param> params, Map<String, Buffer> buffers,
                                     String what) {
        for (String t : c.tensorNames()) {
            if (t.startsWith("grad.")) {
                String key = t.substring("grad.".length());
                if (params.containsKey(key)) {
                    c.check(t, params.get(key).grad);
                } else {
                    c.problem("tensor '" + t + "': the " + what + " has no parameter '" + key + "'");
                    c.markUsed(t);
                }
            } else if (t.startsWith("param_out.")) {
                String key = t.substring("param_out.".length());
                if (params.containsKey(key)) {
                    c.check(t, params.get(key).value);
                } else if (buffers.containsKey(key)) {
                    c.check(t, buffers.get(key).value);
                } else {
                    c.problem("tensor '" + t + "': the " + what + " has no parameter or buffer '" + key + "'");
                    c.markUsed(t);
                }
            }
        }
    }

    /**
     * LeNet-5 from the zoo, given weights, {@code steps} SGD steps on (x0, labels0), (x1, labels1) …;
     * the loss of each step (before its update) goes to {@code losses}.
     */
    private static void lenet5SgdSteps(ReferenceCase c) {
        c.acceptText("model", "update", "note");
        int steps = c.intAttr("steps", null);
        double lr = c.numberAttr("lr", null);
        Sgd sgd = new Sgd(c.numberAttr("momentum", 0.0), c.numberAttr("dampening", 0.0),
                c.numberAttr("weight_decay", 0.0), c.boolAttr("nesterov", false));
        if (steps < 1) {
            throw new CaseException("attribute 'steps' must be at least 1, got " + steps);
        }
        Network net = ModelZoo.build("lenet5", 0);
        loadState(c, net.params(), net.buffers(), "model lenet5");
        float[] losses = new float[steps];
        for (int s = 0; s < steps; s++) {
            losses[s] = net.forwardLoss(c.tensor("x" + s), c.ints("labels" + s));
            net.backward();
            sgd.step(net.paramList(), lr);
        }
        c.check("losses", losses, new int[] {steps});
        compareState(c, net.params(), net.buffers(), "model lenet5");
    }
}
