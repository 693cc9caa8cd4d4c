package org.sparkcnn.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.sparkcnn.block.InceptionModule;
import org.sparkcnn.block.ResidualBlock;
import org.sparkcnn.block.Sequential;
import org.sparkcnn.layer.AvgPool2d;
import org.sparkcnn.layer.BatchNorm2d;
import org.sparkcnn.layer.Buffer;
import org.sparkcnn.layer.Conv2d;
import org.sparkcnn.layer.Dropout;
import org.sparkcnn.layer.Flatten;
import org.sparkcnn.layer.GlobalAvgPool;
import org.sparkcnn.layer.Layer;
import org.sparkcnn.layer.Linear;
import org.sparkcnn.layer.MaxPool2d;
import org.sparkcnn.layer.Padding;
import org.sparkcnn.layer.Param;
import org.sparkcnn.layer.ReLU;
import org.sparkcnn.layer.Tanh;
import org.sparkcnn.tensor.Tensor;

/**
 * Results must be bit-identical whatever the thread count (so a run is reproducible on any
 * machine): each layer is built three times from the same seed, given pools of 1, 2 and 3
 * threads, and run forward and backward on the same data; outputs, dx, parameter gradients and
 * running statistics are compared bit for bit. Batch 5 splits unevenly over 2 and 3 threads.
 */
class ParallelDeterminismTest {
    private static final Parallel[] POOLS = {new Parallel(1), new Parallel(2), new Parallel(3)};

    @AfterAll
    static void close() {
        for (Parallel p : POOLS) {
            p.close();
        }
    }

    private static void same(String what, Supplier<Layer> build, int... inShape) {
        List<float[]> first = null;
        for (Parallel pool : POOLS) {
            Layer layer = build.get();
            layer.init(new SplittableRandom(7));
            layer.setParallel(pool);
            SplittableRandom rng = new SplittableRandom(8);
            Tensor x = new Tensor(inShape);
            for (int i = 0; i < x.size(); i++) {
                x.data[i] = (float) rng.nextGaussian();
            }
            List<float[]> got = new ArrayList<>();
            for (boolean training : new boolean[] {true, false}) {
                Tensor y = layer.forward(x, training);
                got.add(y.data.clone());
                Tensor dy = new Tensor(y.shape());
                for (int i = 0; i < dy.size(); i++) {
                    dy.data[i] = (float) rng.nextGaussian();
                }
                got.add(layer.backward(dy).data.clone());
                collect(layer, got);
            }
            if (first == null) {
                first = got;
            } else {
                for (int i = 0; i < first.size(); i++) {
                    assertArrayEquals(first.get(i), got.get(i), what + ": result " + i + " differs with "
                            + pool.threads() + " threads");
                }
            }
        }
    }

    private static void collect(Layer l, List<float[]> out) {
        for (Param p : l.params()) {
            out.add(p.grad.data.clone());
        }
        for (Buffer b : l.buffers()) {
            out.add(b.value.data.clone());
        }
        for (Layer c : l.children()) {
            collect(c, out);
        }
    }

    @Test
    void convolutions() {
        same("conv same", () -> new Conv2d("c", 3, 4, 3, 1, Padding.SAME, true), 5, 3, 7, 6);
        same("conv stride 2 dilation 2", () -> new Conv2d("c", 2, 3, 3, 3, 2, 2, 2, 2, Padding.FULL, true), 5, 2, 7, 7);
        same("conv pointwise", () -> new Conv2d("c", 4, 3, 1, 1, Padding.VALID, false), 5, 4, 3, 5);
        same("conv batch 1", () -> new Conv2d("c", 2, 7, 3, 1, Padding.explicit(1, 0, 2, 1), true), 1, 2, 5, 5);
    }

    @Test
    void poolingAndElementWise() {
        same("max pool", () -> new MaxPool2d("p", 3, 2, 1), 5, 3, 7, 7);
        same("avg pool", () -> new AvgPool2d("p", 3, 2, 1, false), 5, 3, 7, 7);
        same("global avg", () -> new GlobalAvgPool("g"), 5, 3, 4, 4);
        same("relu", () -> new ReLU("r"), 5, 3, 4, 4);
        same("tanh", () -> new Tanh("t"), 5, 3, 4, 4);
        same("dropout", () -> new Dropout("d", 0.3f, 4), 5, 3, 4, 4);
    }

    @Test
    void denseAndBatchNorm() {
        same("linear", () -> new Linear("fc", 37, 11), 5, 37);
        same("batch norm", () -> new BatchNorm2d("bn", 3), 5, 3, 4, 4);
        same("flatten+linear", () -> new Sequential("s", new Flatten("f"), new Linear("fc", 48, 10)), 5, 3, 4, 4);
    }

    @Test
    void blocks() {
        same("residual projection", () -> new ResidualBlock("b", 3, 4, 2), 5, 3, 6, 6);
        same("residual identity", () -> new ResidualBlock("b", 3, 3, 1), 5, 3, 5, 5);
        same("inception", () -> new InceptionModule("i", 3, 2, 2, 3, 1, 2, 2), 5, 3, 6, 6);
    }
}
