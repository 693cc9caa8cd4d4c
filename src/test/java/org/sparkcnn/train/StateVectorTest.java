package org.sparkcnn.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.sparkcnn.layer.Buffer;
import org.sparkcnn.layer.Param;
import org.sparkcnn.model.ModelZoo;
import org.sparkcnn.model.Network;
import org.sparkcnn.optim.Adam;
import org.sparkcnn.optim.Optimizer;
import org.sparkcnn.optim.Sgd;

/** The flat state the Spark trainer broadcasts: a gather/scatter round trip restores training exactly. */
class StateVectorTest {
    private static void randomGrads(Network net, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        for (Param p : net.paramList()) {
            for (int i = 0; i < p.grad.size(); i++) {
                p.grad.data[p.grad.offset + i] = (float) r.nextGaussian();
            }
        }
    }

    @Test
    void scatteredStateContinuesBitForBit() {
        for (Optimizer kind : new Optimizer[] {new Adam(), new Sgd(0.9, 1e-4)}) {
            Network a = ModelZoo.build("resnet20", 3);
            Optimizer oa = kind instanceof Adam ? new Adam() : new Sgd(0.9, 1e-4);
            for (int s = 0; s < 2; s++) {
                randomGrads(a, s);
                oa.step(a.paramList(), 0.01);
            }
            SplittableRandom r = new SplittableRandom(9);
            for (Buffer b : a.buffers().values()) {
                for (int i = 0; i < b.value.size(); i++) {
                    b.value.data[b.value.offset + i] = (float) r.nextDouble();
                }
            }
            StateVector va = new StateVector(a, oa);
            float[] state = new float[va.length()];
            va.gather(state);
            int buffers = a.buffers().values().stream().mapToInt(x -> x.value.size()).sum();
            assertTrue(buffers > 0);
            assertEquals(a.numParameters() * (1 + oa.slotsPerParameter()) + buffers, state.length);

            Network b = ModelZoo.build("resnet20", 99);
            Optimizer ob = kind instanceof Adam ? new Adam() : new Sgd(0.9, 1e-4);
            new StateVector(b, ob).scatter(state, oa.steps());
            for (String name : a.buffers().keySet()) {
                assertArrayEquals(a.buffers().get(name).value.copy().data, b.buffers().get(name).value.copy().data, name);
            }
            randomGrads(a, 5);
            oa.step(a.paramList(), 0.01);
            randomGrads(b, 5);
            ob.step(b.paramList(), 0.01);
            assertArrayEquals(a.parameterVector(), b.parameterVector(), kind.getClass().getSimpleName());
        }
    }

    @Test
    void aStateOfTheWrongLengthIsRefused() {
        Network net = ModelZoo.build("lenet5", 1);
        StateVector v = new StateVector(net, null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> v.scatter(new float[5], 0));
        assertTrue(e.getMessage().startsWith("model 'lenet5': state vector of 5 values, expected 61706"), e.getMessage());
    }
}
