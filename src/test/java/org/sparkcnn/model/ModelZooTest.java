package org.sparkcnn.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.sparkcnn.layer.Buffer;
import org.sparkcnn.layer.Param;
import org.sparkcnn.tensor.Tensor;

class ModelZooTest {
    @Test
    void parameterCountsMatchModelsMd() {
        assertEquals(61_706, ModelZoo.build("lenet5", 0).numParameters());
        assertEquals(3_274_634, ModelZoo.build("convnet", 0).numParameters());
        assertEquals(272_186, ModelZoo.build("resnet20", 0).numParameters());
        assertEquals(58_002, ModelZoo.build("inception", 0).numParameters());
    }

    @Test
    void everyModelMapsABatchToTenLogitsAndBack() {
        for (String name : ModelZoo.NAMES) {
            Network net = ModelZoo.build(name, 7);
            Tensor x = new Tensor(3, 1, 28, 28);
            SplittableRandom r = new SplittableRandom(1);
            for (int i = 0; i < x.size(); i++) {
                x.data[i] = (float) r.nextGaussian();
            }
            float loss = net.forwardLoss(x, new int[] {0, 4, 9});
            assertTrue(Float.isFinite(loss) && loss > 0, name + " loss " + loss);
            net.backward();
            float[] g = new float[net.numParameters()];
            net.getGradients(g);
            double norm = 0;
            for (float v : g) {
                norm += v * v;
            }
            assertTrue(norm > 0 && Double.isFinite(norm), name + " gradient norm " + norm);
            assertArrayEquals(new int[] {3, 10}, net.forward(x, false).shape());
        }
    }

    @Test
    void referenceParameterNamesAreUsed() {
        assertTrue(ModelZoo.build("lenet5", 0).params().containsKey("fc3.bias"));
        Network r = ModelZoo.build("resnet20", 0);
        assertTrue(r.params().containsKey("stage2.block0.shortcut.conv.weight"), r.params().keySet().toString());
        assertTrue(r.buffers().containsKey("stage1.block2.bn2.running_var"));
        assertTrue(ModelZoo.build("inception", 0).params().containsKey("inception1.c2.bn.weight"));
    }

    @Test
    void switchingThePoolBetweenForwardAndBackwardKeepsTheStep() {
        Tensor x = new Tensor(2, 1, 28, 28);
        for (int i = 0; i < x.size(); i++) {
            x.data[i] = (i % 17) / 17f;
        }
        Network a = ModelZoo.build("lenet5", 5);
        a.forwardLoss(x, new int[] {1, 2});
        a.backward();
        Network b = ModelZoo.build("lenet5", 5);
        b.forwardLoss(x, new int[] {1, 2});
        try (org.sparkcnn.kernel.Parallel one = new org.sparkcnn.kernel.Parallel(1)) {
            b.setParallel(one);
            b.backward();
        }
        float[] ga = new float[a.numParameters()], gb = new float[b.numParameters()];
        a.getGradients(ga);
        b.getGradients(gb);
        assertArrayEquals(ga, gb);
    }

    @Test
    void flatVectorsRoundTrip() {
        Network a = ModelZoo.build("lenet5", 1);
        Network b = ModelZoo.build("lenet5", 2);
        b.setParameters(a.parameterVector());
        assertArrayEquals(a.parameterVector(), b.parameterVector());
        assertThrows(IllegalArgumentException.class, () -> b.setParameters(new float[3]));
        assertThrows(IllegalArgumentException.class, () -> ModelZoo.build("no-such-net", 1));
    }

    /** Every parameter, gradient and buffer is a window of its network's one array, side by side in order. */
    @Test
    void parametersAndBuffersAreWindowsOfOneArrayEach() {
        for (String name : ModelZoo.NAMES) {
            Network net = ModelZoo.build(name, 3);
            int o = 0;
            for (Param p : net.paramList()) {
                assertSame(net.parameterArray(), p.value.data, name);
                assertSame(net.gradientArray(), p.grad.data, name);
                assertEquals(o, p.value.offset, name + " " + p.name);
                assertEquals(o, p.grad.offset, name + " " + p.name);
                o += p.value.size();
            }
            assertEquals(net.numParameters(), o);
            assertEquals(o, net.parameterArray().length);
            o = 0;
            for (Buffer b : net.buffers().values()) {
                assertSame(net.bufferArray(), b.value.data, name);
                assertEquals(o, b.value.offset, name + " " + b.name);
                o += b.value.size();
            }
            assertEquals(o, net.bufferArray().length);
        }
        // values set in a constructor (batch norm's weight 1, running variance 1) move into the arrays
        Network r = NetworkBuilder.build(ModelLibrary.describe("resnet20"), ModelZoo.MNIST, 10); // not initialised
        Param gamma = r.params().get("stage3.block2.bn1.weight");
        assertEquals(1f, r.parameterArray()[gamma.value.offset]);
        Buffer var = r.buffers().get("stage3.block2.bn1.running_var");
        assertEquals(1f, r.bufferArray()[var.value.offset]);
    }
}
