package org.sparkcnn.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sparkcnn.data.Dataset;
import org.sparkcnn.data.ImageRecord;
import org.sparkcnn.data.MiniBatchStream;
import org.sparkcnn.data.ReaderConfig;
import org.sparkcnn.io.ModelFile;
import org.sparkcnn.kernel.Parallel;
import org.sparkcnn.model.ModelZoo;
import org.sparkcnn.model.Network;
import org.sparkcnn.optim.Adam;
import org.sparkcnn.optim.LearningRateSchedule;
import org.sparkcnn.optim.Optimizer;
import org.sparkcnn.optim.Sgd;
import org.sparkcnn.tensor.Tensor;

/**
 * Pins the exact bits that training gives today, so that a refactoring of the engine (the flat
 * parameter vector, the shared training step, the one SplitMix64) can show it changed nothing:
 * the loss, a few weights, and a hash of every parameter and buffer of the four zoo models after
 * a few SGD or Adam steps on fixed seeded batches, of a short {@link LocalTrainer} run, of two
 * {@link PartitionTrainer} rounds on an augmenting {@link MiniBatchStream}, and of a model file's
 * bytes. The values were recorded on this project's machine (AVX-512: 16 float lanes); on another
 * vector width the matrix kernels round differently (docs/engine.md), so the test is skipped there.
 * Run with {@code -Dpinned.print=true} to print the values instead of checking them.
 */
class PinnedWeightsTest {
    private static final boolean PRINT = Boolean.getBoolean("pinned.print");

    @BeforeAll
    static void sameVectorWidth() {
        assumeTrue(PRINT || FloatVector.SPECIES_PREFERRED.length() == 16,
                "values pinned for 16-lane vectors, this machine has " + FloatVector.SPECIES_PREFERRED.length());
    }

    // ---------------------------------------------------------------- zoo models, a few steps each

    @Test
    void lenet5Sgd() {
        zoo("lenet5", new Sgd(0.9, 0, 5e-4, true), new Object[] {1075097146, 1075494362, 1075385807, 1047809872, -1145532307, 1022854032, 1022816737, 1876028304, 1});
    }

    @Test
    void convnetSgd() {
        zoo("convnet", new Sgd(0.9, 5e-4), new Object[] {1074331174, 1098730582, 1088778210, 1047658461, -1132157878, -1165964287, 998177876, 1928630599, 1});
    }

    @Test
    void resnet20Sgd() {
        zoo("resnet20", new Sgd(0.9, 5e-4), new Object[] {1075418788, 1076176174, 1075095196, 1053568878, 1004508075, -1143562015, 1022405282, 752024479, -1760139416});
    }

    @Test
    void inceptionSgd() {
        zoo("inception", new Sgd(0.5, 0.1, 1e-4, false), new Object[] {1075146403, 1075689901, 1075125490, 1053543919, 1032727436, 1037429557, 1023299072, 1421935040, 233818125});
    }

    @Test
    void resnet20Adam() {
        zoo("resnet20", new Adam(0.9, 0.999, 1e-8, 1e-4, false), new Object[] {1075418788, 1079780746, 1080033881, 1054175840, -1148742999, 1021056423, 1012850345, 20172568, -766826390});
    }

    @Test
    void inceptionAdamW() {
        zoo("inception", new Adam(0.9, 0.99, 1e-8, 1e-2, true), new Object[] {1075146403, 1078194670, 1078106704, 1054309619, 1029213898, 1034158515, 1012224642, -1455818308, -1953148739});
    }

    /** Three steps on three seeded batches of 8; pins each loss, four weights, all parameters and buffers. */
    private static void zoo(String model, Optimizer opt, Object[] want) {
        try (Parallel pool = new Parallel(2)) {
            Network net = ModelZoo.build(model, 11).setParallel(pool);
            List<Object> got = new ArrayList<>();
            for (int s = 0; s < 3; s++) {
                Tensor x = images(8, 100 + s);
                float loss = net.forwardLoss(x, labels(8, 200 + s));
                net.backward();
                opt.step(net.paramList(), 0.02 / (s + 1));
                got.add(bits(loss));
            }
            got.addAll(fingerprint(net));
            check(model + " " + opt.getClass().getSimpleName(), want, got);
        }
    }

    // ---------------------------------------------------------------- the trainers

    @Test
    void localTrainerTwoEpochs() {
        Dataset d = new Dataset(images(48, 7).data, labels(48, 8), new int[] {1, 28, 28}, 10);
        Network net = ModelZoo.build("lenet5", 5);
        LearningRateSchedule lr = LearningRateSchedule.warmup(LearningRateSchedule.cosine(0.05, 0.001, 6), 2);
        LocalTrainer t = new LocalTrainer(net, new Sgd(0.9, 5e-4), lr, 16, 5);
        List<Object> got = new ArrayList<>();
        for (int e = 0; e < 2; e++) {
            LocalTrainer.Stats s = t.trainEpoch(d, e);
            got.add(Double.doubleToLongBits(s.loss));
            got.add(Double.doubleToLongBits(s.accuracy));
        }
        got.addAll(fingerprint(net));
        check("LocalTrainer", new Object[] {4612633895697907712L, 4592170420042115755L, 4612040108953042944L, 4595923419731591168L, 1053361274, -1131108408, -1127364543, 1039816501, 1741651839, 1}, got);
    }

    /**
     * Two rounds of one partition, Adam state carried in the state vector, on a stream with random
     * crops and flips (MiniBatchStream's hash) and dropout reseeded per round (convnet).
     */
    @Test
    void partitionTrainerResnet20() {
        partitionRounds("resnet20", new Object[] {3, 14L, 4630321754487652352L, 1L, -1492456723, 3, 14L, 4629933733988794368L, 4L, 1937053209, 1033954340, 1037406374, -1114440821, 1010151277, -1009881841, 529899721, -715781147});
    }

    @Test
    void partitionTrainerConvnet() {
        partitionRounds("convnet", new Object[] {3, 14L, 4640238946918334464L, 0L, 1079912640, 3, 14L, 4629817843288899584L, 1L, 697542155, 1025978301, 974729360, 954698520, 1010488421, 1311436414, 1, -629850786});
    }

    private static void partitionRounds(String model, Object[] want) {
        Network net = ModelZoo.build(model, 3);
        Optimizer opt = new Adam(0.9, 0.999, 1e-8, 1e-4, false);
        PartitionTrainer pt = new PartitionTrainer(net, opt, true);
        StateVector sv = pt.stateVector();
        float[] state = new float[sv.length()];
        sv.gather(state);
        List<Object> got = new ArrayList<>();
        long steps = 0;
        for (int round = 0; round < 2; round++) {
            ReaderConfig cfg = new ReaderConfig(1, 28, 28, 10);
            cfg.batchSize = 6;
            cfg.mean[0] = 0.25f;
            cfg.std[0] = 0.5f;
            cfg.cropPadding = 2;
            cfg.flip = true;
            cfg.seed = 17;
            cfg.epoch = round;
            cfg.partition = 1;
            MiniBatchStream batches = new MiniBatchStream(records(14, 30 + round).iterator(), cfg);
            PartitionTrainer.Result r = pt.train(state, steps, steps, LearningRateSchedule.constant(0.003),
                    batches, 3, 1000 + round, "round " + round);
            got.add(r.batches);
            got.add(r.samples);
            got.add(Double.doubleToLongBits(r.lossSum));
            got.add(r.correct);
            // parameters and buffers only: the optimiser's part of the vector may change its layout
            got.add(Arrays.hashCode(Arrays.copyOf(r.delta, sv.optimizerOffset())));
            for (int i = 0; i < state.length; i++) {
                state[i] += r.delta[i];
            }
            steps += r.batches;
        }
        sv.scatter(state, steps);
        got.addAll(fingerprint(net));
        got.add(stateHash(opt));
        check("PartitionTrainer " + model, want, got);
    }

    /** The model file of a trained network with Adam state: its bytes, which the format fixes. */
    @Test
    void modelFileBytes() throws IOException {
        Network net = ModelZoo.build("inception", 9);
        Optimizer opt = new Adam();
        for (int s = 0; s < 2; s++) {
            net.forwardLoss(images(4, 50 + s), labels(4, 60 + s));
            net.backward();
            opt.step(net.paramList(), 0.01);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ModelFile.write(out, net, opt, Map.of("note", "pinned"));
        byte[] bytes = asFormatOne(out.toByteArray());
        check("model file", new Object[] {715379, 766289163}, List.of(bytes.length, Arrays.hashCode(bytes)));
    }

    /**
     * The file as format 1 wrote it: the pinned bytes predate format 2, whose only change is the
     * header's description field. So the check still covers every tensor byte and the rest of the header.
     */
    private static byte[] asFormatOne(byte[] file) {
        java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(file).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int h = in.getInt(12);
        String header = new String(file, 16, h, java.nio.charset.StandardCharsets.UTF_8);
        String v1 = header.replace("{\"format\":2,", "{\"format\":1,").replaceFirst(",\n\"description\":\"(\\\\.|[^\"\\\\])*\"", "");
        byte[] hb = v1.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate(file.length - h + hb.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        out.put(file, 0, 8).putInt(1).putInt(hb.length).put(hb).put(file, 16 + h, file.length - 16 - h - 4);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(out.array(), 0, out.position());
        out.putInt((int) crc.getValue());
        return out.array();
    }

    // ---------------------------------------------------------------- helpers

    /** Gaussian images [n, 1, 28, 28] from {@code seed}. */
    static Tensor images(int n, long seed) {
        Tensor x = new Tensor(n, 1, 28, 28);
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < x.size(); i++) {
            x.data[i] = (float) r.nextGaussian();
        }
        return x;
    }

    static int[] labels(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] l = new int[n];
        for (int i = 0; i < n; i++) {
            l[i] = r.nextInt(10);
        }
        return l;
    }

    /** Grey 28×28 rows with random bytes and labels. */
    private static List<ImageRecord> records(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<ImageRecord> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ImageRecord rec = new ImageRecord();
            rec.file = "pinned";
            rec.row = i;
            rec.height = 28;
            rec.width = 28;
            rec.channels = 1;
            rec.mode = 0;
            rec.data = new byte[784];
            for (int j = 0; j < 784; j++) {
                rec.data[j] = (byte) r.nextInt(256);
            }
            rec.label = r.nextInt(10);
            rec.labelPresent = true;
            out.add(rec);
        }
        return out;
    }

    /** Four weights spread over the parameter vector, a hash of all of it, and one of all buffers. */
    private static List<Object> fingerprint(Network net) {
        float[] w = net.parameterVector();
        List<Object> f = new ArrayList<>();
        for (int i : new int[] {0, w.length / 3, 2 * w.length / 3, w.length - 1}) {
            f.add(bits(w[i]));
        }
        f.add(Arrays.hashCode(w));
        StateVector sv = new StateVector(net, null);
        float[] all = new float[sv.length()];
        sv.gather(all);
        f.add(Arrays.hashCode(Arrays.copyOfRange(all, w.length, all.length)));
        return f;
    }

    /** The optimiser's per-parameter arrays, in their documented order. */
    private static int stateHash(Optimizer opt) {
        int h = Long.hashCode(opt.steps());
        for (float[] a : opt.state()) {
            h = 31 * h + Arrays.hashCode(a);
        }
        return h;
    }

    private static int bits(float v) {
        return Float.floatToIntBits(v);
    }

    private static void check(String what, Object[] want, List<Object> got) {
        if (PRINT) {
            StringBuilder s = new StringBuilder(what + ": new Object[] {");
            for (int i = 0; i < got.size(); i++) {
                Object v = got.get(i);
                s.append(i == 0 ? "" : ", ").append(v).append(v instanceof Long ? "L" : "");
            }
            System.out.println(s.append("}"));
            return;
        }
        assertEquals(Arrays.asList(want), got, what);
    }
}
