package org.sparkcnn.block;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.sparkcnn.kernel.Parallel;
import org.sparkcnn.layer.AbstractLayer;
import org.sparkcnn.layer.GlobalAvgPool;
import org.sparkcnn.layer.Layer;
import org.sparkcnn.layer.Linear;
import org.sparkcnn.layer.Profiler;
import org.sparkcnn.layer.ReLU;
import org.sparkcnn.model.ModelLibrary;
import org.sparkcnn.model.Network;
import org.sparkcnn.optim.Sgd;
import org.sparkcnn.tensor.Tensor;

/**
 * Fused batch norm, ReLU and residual add (Sequential, Residual, BatchNorm2d) against the separate
 * passes: every library network and the code-built blocks, 3 SGD steps in training mode and a
 * forward and backward in evaluation mode, must give bit-identical losses, gradients, weights,
 * running statistics and logits. The fused side runs on 3 threads and the unfused on 2, so this
 * also checks that the fused passes do not depend on the thread count. 30×30 images give planes
 * (900, 225, …) whose length is not a multiple of the vector width, so the scalar tails run too.
 */
class FusionTest {
    private static final Parallel TWO = new Parallel(2), THREE = new Parallel(3);
    private static final int BATCH = 4, CLASSES = 5;

    @AfterAll
    static void closePools() {
        TWO.close();
        THREE.close();
    }

    @Test
    void everyLibraryNetworkGivesTheSameBitsFusedAndUnfused() {
        for (String name : ModelLibrary.NAMES) {
            int[] shape = {3, 30, 30};
            compare(name, shape, () -> ModelLibrary.build(name, shape, CLASSES, 11));
        }
    }

    @Test
    void theCodeBuiltBlocksGiveTheSameBitsFusedAndUnfused() {
        int[] shape = {3, 15, 15};
        compare("blocks", shape, () -> {
            Network net = new Network("blocks", new Sequential("",
                    new ConvBnRelu("stem", 3, 8, 3, 1),
                    new ResidualBlock("a", 8, 8, 1),
                    new ResidualBlock("b", 8, 12, 2),
                    new InceptionModule("c", 12, 4, 4, 6, 2, 3, 3),
                    new GlobalAvgPool("pool"),
                    new Linear("fc", 16, CLASSES)), shape);
            return net.init(5);
        });
    }

    @Test
    void theProfileStillListsEveryLayerWithTheFusedReluNearZero() {
        Network net = ModelLibrary.build("resnet20", new int[] {1, 12, 12}, CLASSES, 3);
        Tensor x = images(new int[] {1, 12, 12}, 1);
        int[] labels = labels(1);
        Profiler p = Profiler.start();
        try {
            net.forwardLoss(x, labels);
            net.backward();
        } finally {
            Profiler.stop();
        }
        List<String> profiled = new ArrayList<>();
        for (AbstractLayer l : p.entries().keySet()) {
            profiled.add(l.path());
        }
        List<String> leaves = new ArrayList<>();
        leaves(net.root(), leaves);
        assertEquals(leaves, profiled);
        assertTrue(profiled.contains("stage1.block0.relu1") && profiled.contains("stage1.block0.relu"));
    }

    private static void leaves(Layer l, List<String> out) {
        if (l.children().isEmpty()) {
            out.add(((AbstractLayer) l).path());
        }
        for (Layer c : l.children()) {
            leaves(c, out);
        }
    }

    private static void compare(String name, int[] shape, Supplier<Network> build) {
        Network fused = build.get().setParallel(THREE);
        Network plain = build.get().setParallel(TWO);
        Sequential.setFusion(plain.root(), false);
        int passing = countPassThrough(fused.root()), expected = countReluAfterBnOrResidual(fused.root());
        assertEquals(expected, passing, name + ": every ReLU after a batch norm or residual is fused");
        assertEquals(0, countPassThrough(plain.root()), name + ": setFusion(false) unfuses");
        if (!name.equals("lenet5") && !name.equals("convnet")) {
            assertTrue(passing > 0, name + " has fused pairs");
        }
        Tensor x = images(shape, BATCH);
        int[] labels = labels(BATCH);
        Sgd sf = new Sgd(0.9, 0, 5e-4, false), sp = new Sgd(0.9, 0, 5e-4, false);
        for (int step = 0; step < 3; step++) {
            String at = name + " step " + step + ": ";
            float lf = fused.forwardLoss(x, labels), lp = plain.forwardLoss(x, labels);
            assertEquals(Float.floatToIntBits(lp), Float.floatToIntBits(lf), at + "loss");
            fused.backward();
            plain.backward();
            assertArrayEquals(plain.gradientArray(), fused.gradientArray(), at + "gradients");
            sf.step(fused.paramList(), 0.05);
            sp.step(plain.paramList(), 0.05);
            assertArrayEquals(plain.parameterArray(), fused.parameterArray(), at + "weights");
            assertArrayEquals(plain.bufferArray(), fused.bufferArray(), at + "running statistics");
        }
        assertArrayEquals(plain.forward(x, false).data, fused.forward(x, false).data, name + ": logits in evaluation");
        // backward after an evaluation-mode forward (the masked evaluation paths)
        fused.loss().forward(fused.forward(x, false), labels);
        plain.loss().forward(plain.forward(x, false), labels);
        fused.backward();
        plain.backward();
        assertArrayEquals(plain.gradientArray(), fused.gradientArray(), name + ": gradients in evaluation mode");
    }

    private static Tensor images(int[] shape, int n) {
        SplittableRandom rng = new SplittableRandom(5);
        Tensor x = new Tensor(n, shape[0], shape[1], shape[2]);
        for (int i = 0; i < x.data.length; i++) {
            x.data[i] = (float) rng.nextGaussian();
        }
        return x;
    }

    private static int[] labels(int n) {
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % CLASSES;
        }
        return labels;
    }

    private static int countPassThrough(Layer l) {
        int n = l instanceof ReLU && ((ReLU) l).passesThrough() ? 1 : 0;
        for (Layer c : l.children()) {
            n += countPassThrough(c);
        }
        return n;
    }

    private static int countReluAfterBnOrResidual(Layer l) {
        int n = 0;
        List<Layer> cs = l.children();
        for (int i = 0; i < cs.size(); i++) {
            Layer c = cs.get(i);
            if (l instanceof Sequential && i > 0 && c instanceof ReLU
                    && (cs.get(i - 1) instanceof org.sparkcnn.layer.BatchNorm2d || cs.get(i - 1) instanceof Residual)) {
                n++;
            }
            n += countReluAfterBnOrResidual(c);
        }
        return n;
    }
}
