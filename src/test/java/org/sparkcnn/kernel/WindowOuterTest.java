package org.sparkcnn.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link WindowOuter} against its naive twin: the same fused multiply-adds per element in the same
 * order (j ascending, {@link Math#fma}), so the results must agree bit for bit, on random and
 * awkward shapes: one row, row counts that are not multiples of the 6- and 12-row tiles, one
 * and several vector columns, one step.
 */
class WindowOuterTest {
    @Test
    void equalsNaiveFusedMultiplyAddsBitForBit() {
        SplittableRandom rng = new SplittableRandom(61);
        int[][] fixed = {{1, 1, 1}, {6, 5, 2}, {7, 9, 1}, {12, 3, 1}, {13, 50, 3}, {25, 17, 4}, {144, 63, 1}, {5, 1, 5}};
        for (int[] f : fixed) {
            check(f[0], f[1], f[2] * WindowOuter.columns(1), rng);
        }
        for (int t = 0; t < 40; t++) {
            check(1 + rng.nextInt(40), 1 + rng.nextInt(100), WindowOuter.columns(1 + rng.nextInt(80)), rng);
        }
    }

    private static void check(int k, int n, int cols, SplittableRandom rng) {
        int xo = rng.nextInt(5);
        int[] off = new int[k];
        int most = 0;
        for (int p = 0; p < k; p++) {
            off[p] = rng.nextInt(3 * n + 1);
            most = Math.max(most, off[p]);
        }
        float[] x = random(rng, xo + most + n), d = random(rng, 3 + n * cols);
        int dOff = 3, co = rng.nextInt(4);
        float[] c = random(rng, co + k * cols + 2), before = c.clone();
        WindowOuter.multiply(k, n, cols, x, xo, off, d, dOff, c, co);
        String what = "k " + k + " n " + n + " cols " + cols;
        for (int p = 0; p < k; p++) {
            for (int q = 0; q < cols; q++) {
                float acc = 0f;
                for (int j = 0; j < n; j++) {
                    acc = Math.fma(x[xo + off[p] + j], d[dOff + j * cols + q], acc);
                }
                assertEquals(acc, c[co + p * cols + q], what + " C[" + p + "][" + q + "]");
            }
        }
        for (int i = 0; i < co; i++) {
            assertEquals(before[i], c[i], what + " before C");
        }
        for (int i = co + k * cols; i < c.length; i++) {
            assertEquals(before[i], c[i], what + " after C");
        }
    }

    private static float[] random(SplittableRandom rng, int size) {
        float[] v = new float[size];
        for (int i = 0; i < size; i++) {
            v[i] = (float) (rng.nextDouble() * 2 - 1);
        }
        return v;
    }
}
