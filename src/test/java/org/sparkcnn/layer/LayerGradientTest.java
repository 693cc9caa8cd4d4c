package org.sparkcnn.layer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.sparkcnn.GradientCheck;
import org.sparkcnn.tensor.Tensor;

/** Backward of every non-convolution layer and of the loss against central differences. */
class LayerGradientTest {
    private static final int TRIALS = 3;

    private static <L extends AbstractLayer> L serial(L layer) {
        layer.setParallel(GradientCheck.SERIAL);
        return layer;
    }

    private static int[] image(SplittableRandom rng, int minHw) {
        return new int[] {1 + rng.nextInt(3), 1 + rng.nextInt(3), minHw + rng.nextInt(4), minHw + rng.nextInt(4)};
    }

    private static String str(int[] s) {
        return java.util.Arrays.toString(s);
    }

    @Test
    void maxPool() {
        SplittableRandom rng = new SplittableRandom(11);
        int[][] windows = {{2, 2, 2, 2, 0, 0}, {3, 3, 2, 2, 1, 1}, {3, 2, 1, 2, 1, 1}, {2, 2, 1, 1, 1, 0}};
        for (int[] k : windows) {
            for (int t = 0; t < TRIALS; t++) {
                int[] s = image(rng, 3);
                MaxPool2d pool = serial(new MaxPool2d("pool", k[0], k[1], k[2], k[3], k[4], k[5]));
                // Distinct values 0.05 apart, step 0.01: no window changes its winner.
                Tensor x = GradientCheck.distinct(rng, 0.05, s);
                GradientCheck.create().seed(t).checkLayer(pool, x).assertOk("max pool " + str(k) + " on " + str(s));
            }
        }
    }

    @Test
    void avgPoolIncludingAndExcludingPadding() {
        SplittableRandom rng = new SplittableRandom(12);
        int[][] windows = {{2, 2, 2, 2, 0, 0}, {3, 3, 2, 2, 1, 1}, {3, 2, 1, 2, 1, 1}, {2, 3, 2, 1, 1, 1}};
        for (boolean include : new boolean[] {true, false}) {
            for (int[] k : windows) {
                for (int t = 0; t < TRIALS; t++) {
                    int[] s = image(rng, 3);
                    AvgPool2d pool = serial(new AvgPool2d("pool", k[0], k[1], k[2], k[3], k[4], k[5], include));
                    GradientCheck.create().seed(t).checkLayer(pool, GradientCheck.gaussian(rng, s))
                            .assertOk("avg pool " + str(k) + " include=" + include + " on " + str(s));
                }
            }
        }
    }

    @Test
    void globalAvgPool() {
        SplittableRandom rng = new SplittableRandom(13);
        for (int t = 0; t < TRIALS; t++) {
            int[] s = image(rng, 1);
            GradientCheck.create().seed(t).checkLayer(serial(new GlobalAvgPool("gap")), GradientCheck.gaussian(rng, s))
                    .assertOk("global avg pool on " + str(s));
        }
    }

    @Test
    void reluAwayFromItsKink() {
        SplittableRandom rng = new SplittableRandom(14);
        for (int t = 0; t < TRIALS; t++) {
            int[] s = image(rng, 2);
            // |x| ≥ 0.05 > h: no element crosses zero when perturbed.
            GradientCheck.create().seed(t).checkLayer(serial(new ReLU("relu")), GradientCheck.awayFromZero(rng, 0.05, s))
                    .assertOk("relu on " + str(s));
        }
    }

    @Test
    void sigmoidAndTanh() {
        SplittableRandom rng = new SplittableRandom(15);
        for (int t = 0; t < TRIALS; t++) {
            int[] s = image(rng, 2);
            Tensor x = GradientCheck.gaussian(rng, s);
            GradientCheck.create().seed(t).checkLayer(serial(new Sigmoid("sigmoid")), x).assertOk("sigmoid on " + str(s));
            GradientCheck.create().seed(t).checkLayer(serial(new Tanh("tanh")), x).assertOk("tanh on " + str(s));
        }
    }

    @Test
    void linear() {
        SplittableRandom rng = new SplittableRandom(16);
        for (int t = 0; t < TRIALS + 1; t++) {
            int n = 1 + rng.nextInt(4), in = 1 + rng.nextInt(20), out = 1 + rng.nextInt(12);
            Linear fc = serial(new Linear("fc", in, out));
            GradientCheck.randomParams(fc, rng, 0.5);
            GradientCheck.create().seed(t).checkLayer(fc, GradientCheck.gaussian(rng, n, in))
                    .assertOk("linear " + in + "→" + out + " batch " + n);
        }
    }

    @Test
    void flatten() {
        SplittableRandom rng = new SplittableRandom(17);
        for (int t = 0; t < TRIALS; t++) {
            int[] s = image(rng, 1);
            GradientCheck.create().seed(t).checkLayer(serial(new Flatten("flatten")), GradientCheck.gaussian(rng, s))
                    .assertOk("flatten " + str(s));
        }
    }

    @Test
    void dropoutInTrainingWithAReplayedMask() {
        SplittableRandom rng = new SplittableRandom(18);
        for (float p : new float[] {0.2f, 0.5f}) {
            for (int t = 0; t < TRIALS; t++) {
                int[] s = image(rng, 2);
                Dropout d = serial(new Dropout("drop", p, 99));
                long maskSeed = rng.nextLong();
                // Reseeding before every forward reproduces the same mask, so L is a fixed linear map of x.
                GradientCheck.create().seed(t).training(true).beforeForward(() -> d.reseed(maskSeed))
                        .checkLayer(d, GradientCheck.gaussian(rng, s)).assertOk("dropout p=" + p + " on " + str(s));
            }
        }
    }

    @Test
    void dropoutInEvaluationIsTheIdentity() {
        SplittableRandom rng = new SplittableRandom(19);
        Dropout d = serial(new Dropout("drop", 0.5f, 1));
        GradientCheck.create().training(false).checkLayer(d, GradientCheck.gaussian(rng, 2, 3, 4, 4))
                .assertOk("dropout eval");
    }

    @Test
    void batchNormTraining() {
        SplittableRandom rng = new SplittableRandom(20);
        for (int t = 0; t < TRIALS + 1; t++) {
            int[] s = {1 + rng.nextInt(3), 1 + rng.nextInt(3), 2 + rng.nextInt(3), 2 + rng.nextInt(3)};
            BatchNorm2d bn = serial(new BatchNorm2d("bn", s[1]));
            randomAffine(bn, rng);
            // Training mode normalises with the batch statistics, which depend on every x in the channel.
            GradientCheck.create().seed(t).training(true).checkLayer(bn, GradientCheck.gaussian(rng, s))
                    .assertOk("batch norm training on " + str(s));
        }
    }

    @Test
    void batchNormEvaluation() {
        SplittableRandom rng = new SplittableRandom(21);
        for (int t = 0; t < TRIALS; t++) {
            int[] s = image(rng, 1);
            BatchNorm2d bn = serial(new BatchNorm2d("bn", s[1]));
            randomAffine(bn, rng);
            for (int c = 0; c < s[1]; c++) {
                bn.runningMean().value.data[c] = (float) rng.nextGaussian();
                bn.runningVar().value.data[c] = (float) (0.5 + rng.nextDouble() * 1.5);
            }
            GradientCheck.create().seed(t).training(false).checkLayer(bn, GradientCheck.gaussian(rng, s))
                    .assertOk("batch norm eval on " + str(s));
        }
    }

    private static void randomAffine(BatchNorm2d bn, SplittableRandom rng) {
        for (int c = 0; c < bn.channels; c++) {
            bn.weight().value.data[c] = (float) (0.5 + rng.nextDouble());
            bn.bias().value.data[c] = (float) rng.nextGaussian();
        }
    }

    @Test
    void softmaxCrossEntropyMeanLossGradient() {
        SplittableRandom rng = new SplittableRandom(22);
        for (int t = 0; t < TRIALS + 2; t++) {
            int n = 1 + rng.nextInt(5), k = 2 + rng.nextInt(9);
            Tensor logits = GradientCheck.gaussian(rng, n, k);
            for (int i = 0; i < logits.size(); i++) {
                logits.data[i] *= 3; // confident as well as unsure rows
            }
            int[] labels = new int[n];
            for (int i = 0; i < n; i++) {
                labels[i] = rng.nextInt(k);
            }
            SoftmaxCrossEntropy loss = new SoftmaxCrossEntropy();
            float l = loss.forward(logits, labels);
            assertTrue(l > 0 && Float.isFinite(l));
            float[] analytic = loss.backward().data.clone();
            GradientCheck.create().tolerance(1e-2, 2e-4)
                    .check(() -> loss.forward(logits, labels), List.of(new GradientCheck.Target("logits", logits.data, analytic)))
                    .assertOk("softmax cross-entropy " + n + "×" + k);
        }
    }

    /**
     * With label smoothing ε the loss is −Σ q_j log softmax(z)_j with q = (1 − ε)·onehot + ε/K,
     * computed here in float64 on its own; the gradient passes the finite-difference check, and
     * ε = 0 is the plain loss bit for bit.
     */
    @Test
    void softmaxCrossEntropyWithLabelSmoothing() {
        SplittableRandom rng = new SplittableRandom(23);
        for (int t = 0; t < TRIALS + 2; t++) {
            int n = 1 + rng.nextInt(5), k = 2 + rng.nextInt(9);
            float eps = (float) (0.05 + 0.4 * rng.nextDouble());
            Tensor logits = GradientCheck.gaussian(rng, n, k);
            int[] labels = new int[n];
            for (int i = 0; i < n; i++) {
                labels[i] = rng.nextInt(k);
            }
            double expected = 0;
            for (int i = 0; i < n; i++) {
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int j = 0; j < k; j++) {
                    max = Math.max(max, logits.data[i * k + j]);
                }
                for (int j = 0; j < k; j++) {
                    sum += Math.exp(logits.data[i * k + j] - max);
                }
                for (int j = 0; j < k; j++) {
                    double q = (j == labels[i] ? 1 - eps : 0) + eps / (double) k;
                    expected -= q * (logits.data[i * k + j] - max - Math.log(sum)) / n;
                }
            }
            SoftmaxCrossEntropy loss = new SoftmaxCrossEntropy();
            assertEquals(expected, loss.forward(logits, labels, eps), 1e-5 * Math.max(1, expected));
            float[] analytic = loss.backward().data.clone();
            GradientCheck.create().tolerance(1e-2, 2e-4)
                    .check(() -> loss.forward(logits, labels, eps), List.of(new GradientCheck.Target("logits", logits.data, analytic)))
                    .assertOk("smoothed softmax cross-entropy " + n + "×" + k + " ε " + eps);
            SoftmaxCrossEntropy plain = new SoftmaxCrossEntropy(), zero = new SoftmaxCrossEntropy();
            assertEquals(Float.floatToIntBits(plain.forward(logits, labels)), Float.floatToIntBits(zero.forward(logits, labels, 0f)));
            assertArrayEquals(plain.backward().data, zero.backward().data, 0f);
        }
        assertThrows(IllegalArgumentException.class, () -> new SoftmaxCrossEntropy().forward(new Tensor(1, 2), new int[1], 1f));
    }
}
