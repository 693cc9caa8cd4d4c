package org.sparkcnn.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The server's averaging, plain and with block momentum (SlowMo's update with a slow rate of 1). */
class ParameterServerTest {

    /** A round of {@code samples} images whose sample-weighted change sums to {@code weightedDelta}. */
    private static TrainSum round(long samples, int maxBatches, float... weightedDelta) {
        TrainSum t = new TrainSum();
        t.weightedDelta = weightedDelta;
        t.samples = samples;
        t.maxBatches = maxBatches;
        return t;
    }

    @Test
    void plainAveragingMovesByTheSampleWeightedMean() {
        ParameterServer s = new ParameterServer(new float[] {1, 2, 3}, 0, 0);
        s.apply(round(4, 10, 4, -8, 2), 0.1, "round 1");
        assertArrayEquals(new float[] {2, 0, 3.5f}, s.state());
        assertEquals(10, s.globalStep());
        assertEquals(10, s.optimizerSteps());
        assertNull(s.velocity());
    }

    /** Momentum 0 is plain averaging bit for bit, whatever the rate. */
    @Test
    void zeroMomentumIsPlainAveraging() {
        ParameterServer plain = new ParameterServer(new float[] {0.3f, -1.7f, 2.9f}, 0, 0);
        ParameterServer zero = new ParameterServer(new float[] {0.3f, -1.7f, 2.9f}, 0, 0, 2, 0, null, Double.NaN);
        for (int r = 0; r < 3; r++) {
            plain.apply(round(3, 5, 0.7f * r, -0.11f, 1.3f), 0.05, "r");
            zero.apply(round(3, 5, 0.7f * r, -0.11f, 1.3f), 0.05, "r");
        }
        assertArrayEquals(plain.state(), zero.state());
        assertNull(zero.velocity());
    }

    /**
     * u = β·u + Δ/γ, x += γ·u on the parameters only: with β = 0.5 and rates 0.5 then 0.25, a
     * parameter whose mean change is 1 in each round moves by 1, then by 0.25·(0.5·2 + 4) = 1.25;
     * the buffer behind it moves by the plain mean.
     */
    @Test
    void momentumCarriesTheVelocityAcrossRoundsOnTheParametersOnly() {
        ParameterServer s = new ParameterServer(new float[] {0, 0, 10}, 0, 0, 2, 0.5, null, Double.NaN);
        s.apply(round(2, 4, 2, -4, 2), 0.5, "round 1");
        assertArrayEquals(new float[] {1, -2, 11}, s.state());
        assertArrayEquals(new float[] {2, -4}, s.velocity());
        s.apply(round(2, 4, 2, 0, 2), 0.25, "round 2");
        assertArrayEquals(new float[] {2.25f, -2.5f, 12}, s.state());
        assertArrayEquals(new float[] {5, -2}, s.velocity());
        // a saved velocity continues where it was: the copy steps like the original
        ParameterServer copy = new ParameterServer(s.state(), s.optimizerSteps(), s.globalStep(), 2, 0.5, s.velocity(),
                s.previousRate());
        s.apply(round(1, 1, 0.5f, 0.5f, 0.5f), 0.1, "round 3");
        copy.apply(round(1, 1, 0.5f, 0.5f, 0.5f), 0.1, "round 3");
        assertArrayEquals(s.state(), copy.state());
        assertArrayEquals(s.velocity(), copy.velocity());
    }

    /**
     * While the rate rises the carried push is β times the previous change, not β·γ/γ' times it
     * (SlowMo's 1 at rates 0.25 then 0.5 would push x by 3 in round 2, not 2.5); a copy made
     * without the previous rate would carry the whole velocity and step differently.
     */
    @Test
    void aRisingRateNeverAmplifiesTheCarriedChange() {
        ParameterServer s = new ParameterServer(new float[] {0, 0}, 0, 0, 2, 0.5, null, Double.NaN);
        s.apply(round(1, 1, 1, -1), 0.25, "round 1");
        assertArrayEquals(new float[] {1, -1}, s.state());
        assertEquals(0.25, s.previousRate());
        ParameterServer forgetful = new ParameterServer(s.state(), 1, 1, 2, 0.5, s.velocity(), Double.NaN);
        s.apply(round(1, 1, 2, 0), 0.5, "round 2");
        assertArrayEquals(new float[] {3.5f, -1.5f}, s.state());
        assertArrayEquals(new float[] {5, -1}, s.velocity());
        assertEquals(0.5, s.previousRate());
        forgetful.apply(round(1, 1, 2, 0), 0.5, "round 2");
        assertArrayEquals(new float[] {4, -2}, forgetful.state());
        // a round at rate 0 decays the velocity by β and leaves the previous rate alone
        s.apply(round(1, 1, 0, 0), 0, "round 3");
        assertArrayEquals(new float[] {2.5f, -0.5f}, s.velocity());
        assertEquals(0.5, s.previousRate());
    }

    /** A non-finite result leaves state and velocity as they were, and names the round. */
    @Test
    void aNonFiniteUpdateChangesNothing() {
        ParameterServer s = new ParameterServer(new float[] {1, 1}, 0, 0, 2, 0.9, null, Double.NaN);
        s.apply(round(1, 1, 1, 1), 0.1, "round 1");
        float[] state = s.state().clone(), velocity = s.velocity().clone();
        ArithmeticException e = assertThrows(ArithmeticException.class,
                () -> s.apply(round(1, 1, 1, Float.MAX_VALUE), 1e-30, "epoch 2, round 1"));
        assertTrue(e.getMessage().contains("epoch 2, round 1") && e.getMessage().contains("serverMomentum"), e.getMessage());
        assertArrayEquals(state, s.state());
        assertArrayEquals(velocity, s.velocity());
        assertThrows(IllegalArgumentException.class, () -> new ParameterServer(new float[2], 0, 0, 2, 1, null, Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> new ParameterServer(new float[2], 0, 0, 3, 0.5, null, Double.NaN));
    }
}
