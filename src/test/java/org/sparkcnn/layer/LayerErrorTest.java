package org.sparkcnn.layer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.sparkcnn.GradientCheck;
import org.sparkcnn.block.InceptionModule;
import org.sparkcnn.block.ResidualBlock;
import org.sparkcnn.block.Sequential;
import org.sparkcnn.tensor.ShapeException;
import org.sparkcnn.tensor.Tensor;

/**
 * Bad input must fail loudly and harmlessly: a ShapeException whose message names the layer by
 * its path and shows the offending shape or value, thrown before any state changes, so the
 * parameters, gradients, running statistics, the previous output buffer and the cached input
 * (checked by re-running the previous backward) are exactly as before.
 */
class LayerErrorTest {
    private final SplittableRandom rng = new SplittableRandom(71);

    private Tensor t(int... shape) {
        return GradientCheck.gaussian(rng, shape);
    }

    private static void collect(Layer l, List<float[]> out) {
        for (Param p : l.params()) {
            out.add(p.value.data);
            out.add(p.grad.data);
        }
        for (Buffer b : l.buffers()) {
            out.add(b.value.data);
        }
        for (Layer c : l.children()) {
            collect(c, out);
        }
    }

    private static List<float[]> snapshot(List<float[]> live) {
        List<float[]> copy = new ArrayList<>();
        for (float[] a : live) {
            copy.add(a.clone());
        }
        return copy;
    }

    private static void assertMessage(Throwable e, String... fragments) {
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message should contain '" + f + "': " + e.getMessage());
        }
    }

    /** Runs a good forward and backward, then {@code bad}, and checks the exception and that nothing moved. */
    private void rejects(Layer layer, String path, Tensor good, boolean training, Executable bad, String... fragments) {
        layer.setPath(path);
        layer.setParallel(GradientCheck.SERIAL);
        Tensor y = layer.forward(good, training);
        float[] yBefore = y.data.clone();
        Tensor dy = t(y.shape());
        float[] dxBefore = layer.backward(dy).data.clone();
        List<float[]> live = new ArrayList<>();
        collect(layer, live);
        List<float[]> before = snapshot(live);

        ShapeException e = assertThrows(ShapeException.class, bad, "expected a ShapeException from " + path);
        assertMessage(e, path);
        assertMessage(e, fragments);

        assertArrayEquals(yBefore, y.data, path + ": previous output buffer changed by a failed call");
        for (int i = 0; i < live.size(); i++) {
            assertArrayEquals(before.get(i), live.get(i), path + ": parameter, gradient or buffer " + i + " changed");
        }
        assertArrayEquals(dxBefore, layer.backward(dy).data, path + ": backward no longer matches the last good forward");
    }

    private void rejectsInput(Layer layer, String path, Tensor good, Tensor bad, String... fragments) {
        for (boolean training : new boolean[] {true, false}) {
            rejects(layer, path, good, training, () -> layer.forward(bad, training), fragments);
        }
    }

    private void rejectsGradient(Layer layer, String path, Tensor good, Tensor badDy, String... fragments) {
        rejects(layer, path, good, true, () -> layer.backward(badDy), fragments);
    }

    @Test
    void convolutionInputs() {
        Conv2d conv = new Conv2d("conv", 3, 4, 3, 1, Padding.SAME, true);
        rejectsInput(conv, "net.conv", t(2, 3, 5, 5), t(2, 2, 5, 5), "3 input channels", "[2, 2, 5, 5]");
        rejectsInput(conv, "net.conv", t(2, 3, 5, 5), t(3, 5, 5), "rank 4", "[3, 5, 5]");
        rejectsGradient(conv, "net.conv", t(2, 3, 5, 5), t(2, 4, 5, 4), "[2, 4, 5, 4]", "[2, 4, 5, 5]");
        Conv2d big = new Conv2d("big", 1, 1, 5, 1, Padding.VALID, false);
        rejectsInput(big, "net.big", t(1, 1, 6, 6), t(1, 1, 3, 7), "larger than the padded input", "3×7", "[1, 1, 3, 7]");
        Conv2d dilated = new Conv2d("d", 1, 1, 3, 3, 1, 1, 3, 3, Padding.VALID, false);
        rejectsInput(dilated, "net.d", t(1, 1, 7, 7), t(1, 1, 6, 9), "dilated", "[1, 1, 6, 9]");
    }

    @Test
    void poolingInputs() {
        MaxPool2d max = new MaxPool2d("pool", 2, 2, 0);
        rejectsInput(max, "net.pool", t(2, 3, 6, 6), t(3, 6, 6), "rank 4", "[3, 6, 6]");
        rejectsInput(max, "net.pool", t(2, 3, 6, 6), t(2, 3, 1, 6), "larger than the padded input", "[2, 3, 1, 6]");
        rejectsGradient(max, "net.pool", t(2, 3, 6, 6), t(2, 3, 3, 2), "[2, 3, 3, 2]", "[2, 3, 3, 3]");
        AvgPool2d avg = new AvgPool2d("avg", 3, 1, 1, false);
        rejectsInput(avg, "net.avg", t(1, 2, 4, 4), t(2, 16), "rank 4", "[2, 16]");
        GlobalAvgPool gap = new GlobalAvgPool("gap");
        rejectsInput(gap, "net.gap", t(2, 3, 4, 4), t(2, 3), "rank 4", "[2, 3]");
        rejectsGradient(gap, "net.gap", t(2, 3, 4, 4), t(2, 4), "[2, 4]", "[2, 3]");
    }

    @Test
    void denseInputs() {
        Linear fc = new Linear("fc", 8, 3);
        rejectsInput(fc, "net.fc", t(2, 8), t(2, 7), "8 input features", "[2, 7]");
        rejectsInput(fc, "net.fc", t(2, 8), t(2, 2, 2, 2), "rank 2", "[2, 2, 2, 2]");
        rejectsGradient(fc, "net.fc", t(2, 8), t(3, 3), "[3, 3]", "[2, 3]");
        Flatten flat = new Flatten("flatten");
        rejectsInput(flat, "net.flatten", t(2, 3, 2), t(6), "rank 1");
        // A view of the very array Flatten saw last time shares its data but not its shape.
        Tensor x = t(2, 3, 2);
        rejects(flat, "net.flatten", x, true, () -> flat.forward(x.view(12), true), "rank 1");
        // ...and a valid view of it must get its own output shape, not the cached one.
        assertArrayEquals(new int[] {4, 3}, flat.forward(x.view(4, 3), true).shape());
    }

    @Test
    void batchNormInputs() {
        BatchNorm2d bn = new BatchNorm2d("bn", 3);
        // Training would update the running statistics: the check must come first.
        rejectsInput(bn, "net.bn", t(2, 3, 3, 3), t(2, 4, 3, 3), "3 channels", "[2, 4, 3, 3]");
        rejects(bn, "net.bn", t(2, 3, 3, 3), true, () -> bn.forward(t(1, 3, 1, 1), true),
                "more than one value per channel", "[1, 3, 1, 1]");
        rejectsGradient(bn, "net.bn", t(2, 3, 3, 3), t(2, 3, 3, 2), "[2, 3, 3, 2]");
    }

    @Test
    void elementWiseLayersRejectAScalar() {
        for (Layer l : new Layer[] {new ReLU("relu"), new Sigmoid("sigmoid"), new Tanh("tanh"), new Dropout("drop", 0.5f, 3)}) {
            String path = "net." + l.name();
            rejectsInput(l, path, t(2, 3), new Tensor(), "batch dimension");
            rejectsGradient(l, path, t(2, 3), t(3, 2), "[3, 2]", "[2, 3]");
        }
    }

    @Test
    void backwardBeforeForward() {
        Conv2d conv = new Conv2d("conv", 1, 1, 3, 1, Padding.SAME, true);
        conv.setPath("net.conv");
        ShapeException e = assertThrows(ShapeException.class, () -> conv.backward(t(1, 1, 3, 3)));
        assertMessage(e, "net.conv", "before forward");
    }

    @Test
    void sequentialChecksTheWholeChainBeforeRunningAnyOfIt() {
        // Right channels but wrong spatial size: only the Linear at the end can tell. The conv and
        // the batch norm (running statistics) ahead of it must not have run.
        Sequential s = new Sequential("features",
                new Conv2d("conv", 1, 2, 3, 1, Padding.SAME, true), new BatchNorm2d("bn", 2), new ReLU("relu"),
                new Flatten("flatten"), new Linear("fc", 32, 3));
        s.init(new SplittableRandom(1));
        rejectsInput(s, "net.features", t(2, 1, 4, 4), t(2, 1, 5, 5), "net.features.fc", "32 input features", "[2, 50]");
    }

    @Test
    void blocksNameTheInnerLayer() {
        ResidualBlock b = new ResidualBlock("block", 3, 4, 2);
        b.init(new SplittableRandom(2));
        rejectsInput(b, "stage2.block0", t(2, 3, 6, 6), t(2, 2, 6, 6), "stage2.block0.conv1", "[2, 2, 6, 6]");
        rejectsGradient(b, "stage2.block0", t(2, 3, 6, 6), t(2, 4, 6, 6), "[2, 4, 6, 6]", "[2, 4, 3, 3]");
        InceptionModule m = new InceptionModule("inception1", 3, 2, 2, 3, 1, 2, 2);
        m.init(new SplittableRandom(3));
        rejectsInput(m, "inception1", t(2, 3, 5, 5), t(2, 4, 5, 5), "inception1.a.conv", "[2, 4, 5, 5]");
        rejectsGradient(m, "inception1", t(2, 3, 5, 5), t(2, 8, 5, 5), "[2, 8, 5, 5]", "[2, 9, 5, 5]");
    }

    @Test
    void badAttributes() {
        assertMessage(assertThrows(ShapeException.class,
                () -> new Conv2d("conv1", 3, 4, 3, 0, Padding.SAME, true)), "conv1", "stride", "0×0");
        assertMessage(assertThrows(ShapeException.class,
                () -> new Conv2d("conv1", 3, 4, 3, 3, 1, 1, 0, 1, Padding.VALID, true)), "conv1", "dilation", "0×1");
        assertMessage(assertThrows(ShapeException.class,
                () -> new Conv2d("conv1", 3, 4, 3, 1, Padding.explicit(0, -1, 0, 0), true)), "conv1", "negative", "b-1");
        assertMessage(assertThrows(ShapeException.class,
                () -> new Conv2d("conv1", 0, 4, 3, 1, Padding.VALID, true)), "conv1", "in=0");
        assertMessage(assertThrows(ShapeException.class, () -> new MaxPool2d("pool1", 2, 0, 0)), "pool1", "stride", "0×0");
        assertMessage(assertThrows(ShapeException.class, () -> new MaxPool2d("pool1", 3, 1, 2)),
                "pool1", "at most half", "2×2", "3×3");
        assertMessage(assertThrows(ShapeException.class, () -> new AvgPool2d("pool2", 2, 2, -1, true)),
                "pool2", "negative", "-1×-1");
        assertMessage(assertThrows(ShapeException.class, () -> new MaxPool2d("pool3", 0, 1, 0)), "pool3", "0×0");
        assertMessage(assertThrows(ShapeException.class, () -> new Dropout("drop", 1f, 1)), "drop", "[0, 1)", "1.0");
        assertMessage(assertThrows(ShapeException.class, () -> new Dropout("drop", -0.1f, 1)), "drop", "-0.1");
        assertMessage(assertThrows(ShapeException.class, () -> new Linear("fc1", 0, 3)), "fc1", "in=0");
        assertMessage(assertThrows(ShapeException.class, () -> new BatchNorm2d("bn", 0)), "bn", "got 0");
        assertMessage(assertThrows(ShapeException.class, () -> new BatchNorm2d("bn", 2, 1.5f, 1e-5f)), "bn", "1.5");
    }

    @Test
    void labelOutOfRangeInTheLoss() {
        SoftmaxCrossEntropy loss = new SoftmaxCrossEntropy();
        Tensor logits = t(3, 10);
        float good = loss.forward(logits, new int[] {1, 2, 9});
        Tensor d = loss.backward();
        float[] dBefore = d.data.clone();
        int correct = loss.correct();
        assertMessage(assertThrows(ShapeException.class, () -> loss.forward(logits, new int[] {1, 10, 2})),
                "softmax_cross_entropy", "label 10", "sample 1", "[0, 10)");
        assertMessage(assertThrows(ShapeException.class, () -> loss.forward(logits, new int[] {-1, 0, 0})),
                "softmax_cross_entropy", "label -1", "sample 0");
        assertMessage(assertThrows(ShapeException.class, () -> loss.forward(logits, new int[] {1, 2})),
                "softmax_cross_entropy", "2 labels", "batch of 3");
        assertMessage(assertThrows(ShapeException.class, () -> loss.forward(t(3, 10, 1), new int[] {1, 2, 3})),
                "softmax_cross_entropy", "[3, 10, 1]");
        assertSame(d, loss.backward());
        assertArrayEquals(dBefore, d.data, "the last good gradient was overwritten");
        assertTrue(correct == loss.correct() && good == loss.forward(logits, new int[] {1, 2, 9}));
    }
}
