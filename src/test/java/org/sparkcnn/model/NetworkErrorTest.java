package org.sparkcnn.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.sparkcnn.GradientCheck;
import org.sparkcnn.block.Sequential;
import org.sparkcnn.layer.BatchNorm2d;
import org.sparkcnn.layer.Conv2d;
import org.sparkcnn.layer.GlobalAvgPool;
import org.sparkcnn.layer.Linear;
import org.sparkcnn.layer.Padding;
import org.sparkcnn.layer.ReLU;
import org.sparkcnn.tensor.ShapeException;
import org.sparkcnn.tensor.Tensor;

/**
 * Network.forwardLoss and forward reject bad labels and inputs before running the model: the
 * exception names the model and the bad value, and parameters, gradients, batch-norm running
 * statistics and the last logits are unchanged (a training step with a corrupt batch must not
 * half-happen).
 */
class NetworkErrorTest {
    private static Network tiny() {
        Network net = new Network("tiny", new Sequential("",
                new Conv2d("conv", 1, 4, 3, 1, Padding.SAME, true), new BatchNorm2d("bn", 4), new ReLU("relu"),
                new GlobalAvgPool("gap"), new Linear("fc", 4, 10)), new int[] {1, 6, 6});
        net.setParallel(GradientCheck.SERIAL);
        return net.init(5);
    }

    private static void unchanged(Network net, Tensor x, Executable bad, String... fragments) {
        float loss = net.forwardLoss(x, new int[] {3, 7});
        net.backward();
        float[] params = net.parameterVector();
        float[] grads = new float[net.numParameters()];
        net.getGradients(grads);
        float[] mean = net.buffers().get("bn.running_mean").value.data;
        float[] var = net.buffers().get("bn.running_var").value.data;
        float[] meanBefore, varBefore;
        Tensor logits = net.forward(x, true); // the buffer forwardLoss also writes
        float[] logitsBefore = logits.data.clone();
        meanBefore = mean.clone();
        varBefore = var.clone();

        ShapeException e = assertThrows(ShapeException.class, bad);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message should contain '" + f + "': " + e.getMessage());
        }
        assertArrayEquals(params, net.parameterVector());
        float[] after = new float[net.numParameters()];
        net.getGradients(after);
        assertArrayEquals(grads, after, "gradients changed");
        assertArrayEquals(meanBefore, mean, "running mean changed");
        assertArrayEquals(varBefore, var, "running variance changed");
        assertArrayEquals(logitsBefore, logits.data, "logits buffer changed");
        assertTrue(Float.isFinite(loss));
    }

    @Test
    void labelOutOfRange() {
        Network net = tiny();
        Tensor x = GradientCheck.gaussian(new SplittableRandom(1), 2, 1, 6, 6);
        unchanged(net, x, () -> net.forwardLoss(x, new int[] {3, 10}), "model 'tiny'", "label 10", "sample 1", "[0, 10)");
        unchanged(net, x, () -> net.forwardLoss(x, new int[] {-2, 1}), "model 'tiny'", "label -2", "sample 0");
        unchanged(net, x, () -> net.forwardLoss(x, new int[] {1}), "model 'tiny'", "1 labels", "batch of 2");
    }

    @Test
    void inputOfTheWrongShape() {
        Network net = tiny();
        Tensor x = GradientCheck.gaussian(new SplittableRandom(2), 2, 1, 6, 6);
        Tensor bad = GradientCheck.gaussian(new SplittableRandom(3), 2, 1, 7, 6);
        unchanged(net, x, () -> net.forwardLoss(bad, new int[] {1, 2}), "model 'tiny'", "[2, 1, 7, 6]", "[N, 1, 6, 6]");
        unchanged(net, x, () -> net.forward(bad, false), "model 'tiny'", "[2, 1, 7, 6]");
        unchanged(net, x, () -> net.forward(new Tensor(1, 6, 6), true), "model 'tiny'", "[1, 6, 6]");
    }
}
