package org.sparkcnn.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.sparkcnn.optim.PlateauSchedule;

/** The stopping rule (Keras' EarlyStopping), the plateau schedule (PyTorch's ReduceLROnPlateau) and their saved state. */
class TrainingControlTest {
    private static TrainingControl control(String... settings) {
        TrainConfig c = TrainConfig.distributed();
        for (String s : settings) {
            c.set(s, "test");
        }
        return TrainingControl.of(c, c.getDouble("learningRate", 0));
    }

    /** The epoch (1-based) after which the control stops on {@code values}, or 0. */
    private static int stopsAfter(TrainingControl c, double... values) {
        for (int e = 0; e < values.length; e++) {
            if (c.epochEnd(e + 1, values[e]).stop()) {
                return e + 1;
            }
        }
        return 0;
    }

    @Test
    void earlyStoppingStopsAfterPatienceEpochsWithoutImprovement() {
        TrainingControl c = control("earlyStopping=true", "patience=2");
        // 0.81 and 0.80 do not beat 0.79; 0.79 resets the count after 0.81
        assertEquals(6, stopsAfter(c, 1.0, 0.8, 0.81, 0.79, 0.80, 0.85, 0.7));
        assertEquals(4, c.bestEpoch());
        assertEquals(0.79, c.best());
        assertEquals(6, c.stoppedEpoch());
        assertTrue(c.stopLine(10).startsWith("stopping early after epoch 6/10: val_loss has not improved for 2 epochs"),
                c.stopLine(10));
        assertThrows(IllegalStateException.class, () -> c.epochEnd(7, 0.5));

        // an improvement must beat the best by more than minDelta
        TrainingControl delta = control("earlyStopping=true", "patience=2", "minDelta=0.05");
        assertEquals(4, stopsAfter(delta, 1.0, 0.8, 0.78, 0.76, 0.5));
        assertEquals(2, delta.bestEpoch());

        // patience 0: the first epoch without improvement; accuracies rise (mode auto = max); equal is no improvement
        TrainingControl acc = control("earlyStopping=true", "monitor=val_accuracy");
        assertEquals(3, stopsAfter(acc, 0.5, 0.6, 0.6, 0.9));
        assertEquals(2, acc.bestEpoch());
        // mode max on a loss, min on an accuracy
        assertEquals(2, stopsAfter(control("earlyStopping=true", "monitorMode=max"), 1.0, 0.9));
        assertEquals(0, stopsAfter(control("earlyStopping=true", "monitorMode=min", "monitor=train_accuracy"), 0.9, 0.8, 0.7));
        // NaN never improves
        assertEquals(2, stopsAfter(control("earlyStopping=true"), 1.0, Double.NaN));
        // off: never stops, but still knows the best epoch
        TrainingControl off = control("restoreBest=true");
        assertEquals(0, stopsAfter(off, 1.0, 2.0, 3.0, 4.0));
        assertEquals(1, off.bestEpoch());
        assertEquals(1.0, off.rateScale());
    }

    /** factor 0.5, patience 1, cooldown 1, min rate 0.02 from 0.1, no epoch improving after the first. */
    @Test
    void plateauLowersTheRateAfterPatiencePlusOneBadEpochsThenCoolsDownAndStopsAtTheMinimum() {
        PlateauSchedule p = new PlateauSchedule(0.1, 0.5, 1, 1, 0.02);
        List<Integer> reducedAt = new ArrayList<>();
        List<Double> rates = new ArrayList<>();
        for (int e = 1; e <= 14; e++) {
            if (p.epochEnd(e == 1)) {
                reducedAt.add(e);
            }
            rates.add(p.rate());
        }
        // epochs 2, 3 bad: 3 > patience 1 reduces; 4 is cooldown; 5, 6 bad: 6 reduces; 7 cooldown; 9 reaches 0.02
        assertEquals(List.of(3, 6, 9), reducedAt);
        assertEquals(0.05, rates.get(2), 1e-15);
        assertEquals(0.025, rates.get(5), 1e-15);
        assertEquals(0.02, rates.get(8), 1e-15);
        assertEquals(0.02, rates.get(13), 1e-15);
        // an improvement resets the count
        PlateauSchedule q = new PlateauSchedule(0.1, 0.1, 2, 0, 0);
        boolean[] improved = {true, false, false, true, false, false, false};
        int reductions = 0;
        for (boolean i : improved) {
            reductions += q.epochEnd(i) ? 1 : 0;
        }
        assertEquals(1, reductions);
        assertEquals(0.1, q.scale(), 1e-15);
        assertThrows(IllegalArgumentException.class, () -> new PlateauSchedule(0.1, 1, 1, 0, 0));
    }

    @Test
    void thePlateauScheduleThroughTheControlScalesTheRate() {
        TrainingControl c = control("schedule=plateau", "plateauPatience=0", "plateauFactor=0.5", "learningRate=0.2",
                "minLearningRate=0.04");
        TrainingControl.Decision d = c.epochEnd(1, 1.0);
        assertTrue(d.improved() && !d.rateReduced());
        assertTrue(c.epochEnd(2, 1.0).rateReduced());
        assertEquals(0.5, c.rateScale());
        assertTrue(c.reducedLine(2).endsWith("learning rate reduced to 0.100000"), c.reducedLine(2));
        c.epochEnd(3, 1.0);
        assertEquals(0.25, c.rateScale());
        assertTrue(c.epochEnd(4, 1.0).rateReduced());
        assertEquals(0.2, c.rateScale(), 1e-15); // 0.04 / 0.2: the minimum
        assertTrue(!c.epochEnd(5, 1.0).rateReduced());
    }

    @Test
    void theBestEpochsRankByTheMonitorTiesEarlierFirstNaNNever() {
        TrainingControl c = control("keepBest=2");
        double[] v = {0.5, 0.3, 0.4, 0.3, Double.NaN};
        for (int e = 0; e < v.length; e++) {
            c.epochEnd(e + 1, v[e]);
        }
        assertEquals(List.of(2, 4), c.bestEpochs(2));
        assertEquals(List.of(2, 4, 3, 1), c.bestEpochs(10));
        TrainingControl acc = control("keepBest=2", "monitor=train_accuracy");
        acc.epochEnd(1, 0.5);
        acc.epochEnd(2, 0.7);
        acc.epochEnd(3, 0.6);
        assertEquals(List.of(2, 3), acc.bestEpochs(2));
    }

    /** Saved mid-patience and restored into a new control, it decides every later epoch as the uninterrupted one. */
    @Test
    void restoredStateDecidesAsTheUninterruptedControl() {
        String[] settings = {"earlyStopping=true", "patience=3", "schedule=plateau", "plateauPatience=0",
                "plateauCooldown=1", "plateauFactor=0.5", "restoreBest=true"};
        double[] v = {1.0, 0.9, 0.95, 0.97, 0.85, 0.9, 0.91, 0.92, 0.93};
        TrainingControl straight = control(settings);
        List<TrainingControl.Decision> want = new ArrayList<>();
        for (int e = 0; e < v.length && straight.stoppedEpoch() == 0; e++) {
            want.add(straight.epochEnd(e + 1, v[e]));
        }
        for (int cut = 1; cut < want.size(); cut++) {
            TrainingControl before = control(settings);
            List<TrainingControl.Decision> got = new ArrayList<>();
            for (int e = 0; e < cut; e++) {
                got.add(before.epochEnd(e + 1, v[e]));
            }
            TrainingControl after = control(settings);
            after.restore(before.toMeta(), "checkpoint");
            assertEquals(before.toMeta(), after.toMeta());
            for (int e = cut; e < v.length && after.stoppedEpoch() == 0; e++) {
                got.add(after.epochEnd(e + 1, v[e]));
            }
            assertEquals(want, got, "cut after epoch " + cut);
            assertEquals(straight.toMeta(), after.toMeta(), "cut after epoch " + cut);
        }
        assertEquals(8, straight.stoppedEpoch());
        assertEquals(5, straight.bestEpoch());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> control(settings).restore(java.util.Map.of("control.best", "x"), "epoch-0003"));
        assertTrue(e.getMessage().startsWith("epoch-0003: unreadable training-control state"), e.getMessage());
    }

    @Test
    void aValidationMonitorWithoutValidationDataIsAConfigErrorNamingTheKey() {
        TrainConfig c = TrainConfig.distributed().set("train=t", "test").set("output=o", "test")
                .set("earlyStopping=true", "run.properties");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, c::validate);
        assertTrue(e.getMessage().startsWith("monitor=val_loss (the default) needs validation data"), e.getMessage());
        c.set("monitor=train_loss", "--set").validate();
        c.set("monitor=val_accuracy", "--set").set("earlyStopping=false", "--set").validate(); // nothing watches it
        e = assertThrows(IllegalArgumentException.class, () -> c.set("keepBest=1", "--set").validate());
        assertTrue(e.getMessage().startsWith("--set: monitor=val_accuracy needs validation data"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> TrainConfig.distributed().set("plateauFactor=1", "--set").validateWithoutPaths());
        assertTrue(e.getMessage().contains("--set: plateauFactor=1 is not a number in (0, 1)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new TrainConfig().set("monitor=val_acc", "--set").validate());
        assertTrue(e.getMessage().contains("--set: monitor=val_acc is not one of val_loss, val_accuracy"), e.getMessage());
    }
}
