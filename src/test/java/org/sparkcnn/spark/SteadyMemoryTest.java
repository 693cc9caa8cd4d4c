package org.sparkcnn.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.apache.spark.SparkEnv;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.BlockId;
import org.apache.spark.storage.BroadcastBlockId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkcnn.train.TrainConfig;

/**
 * docs/reliability.md, 8: a long run (syncEvery=1, several hundred rounds, with a run folder and
 * a validation set) in local[2] holds steady memory. After every round the broadcast state of
 * the rounds before is gone from the block manager; after the run no broadcast block, no cached
 * RDD and no storage memory is left; and the driver's heap after a full GC is within
 * {@link #HEAP_BOUND} of what it was after the first round. In local mode the executor is this JVM.
 */
class SteadyMemoryTest {
    /** How much more the heap may hold after the run than after round 1: Spark's status store keeps every job's record. */
    static final long HEAP_BOUND = 32L << 20;
    /** How long block removal (asynchronous in Spark) and the context cleaner may take before the test gives up. */
    static final long WAIT_MS = 120_000;
    static final int ROUNDS_PER_EPOCH = 12;
    static SparkSession spark;
    static String train, validation;
    @TempDir
    static Path data;
    @TempDir
    Path out;

    @BeforeAll
    static void start() throws IOException {
        spark = SparkTestSessions.local(2, Map.of("spark.kryo.registrator", KryoClasses.class.getName(),
                "spark.buffer.pageSize", "1m"));
        train = FashionSample.write(spark, data.resolve("train"), "train", 192, 2);
        validation = FashionSample.write(spark, data.resolve("test"), "test", 32, 1);
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** The broadcast values of the training state (RoundInput) in the driver's block manager. */
    static List<Long> stateBroadcasts() {
        List<Long> ids = new ArrayList<>();
        for (BlockId id : broadcastBlocks()) {
            if (id instanceof BroadcastBlockId b && b.field().isEmpty()) {
                scala.Option<scala.collection.Iterator<Object>> values = SparkEnv.get().blockManager().memoryStore().getValues(id);
                if (values.isDefined() && values.get().hasNext() && values.get().next() instanceof RoundInput) {
                    ids.add(b.broadcastId());
                }
            }
        }
        return ids;
    }

    /** Every broadcast block (values and pieces, of any broadcast) in the driver's block manager. */
    static List<BlockId> broadcastBlocks() {
        scala.Function1<BlockId, Object> broadcast = BlockId::isBroadcast;
        return new ArrayList<>(scala.jdk.javaapi.CollectionConverters.asJava(
                SparkEnv.get().blockManager().getMatchingBlockIds(broadcast)));
    }

    /** Waits until {@code done} holds (Spark removes blocks asynchronously); false after {@link #WAIT_MS}. */
    static boolean eventually(Supplier<Boolean> done) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT_MS * 1_000_000L;
        while (!done.get()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(50);
        }
        return true;
    }

    /** The heap in use after full collections (until two agree within 1 MiB, at most five). */
    static long heapAfterGc() throws InterruptedException {
        long before = Long.MAX_VALUE, now = 0;
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(100);
            now = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            if (Math.abs(before - now) < (1 << 20)) {
                break;
            }
            before = now;
        }
        return now;
    }

    /**
     * The progress stream of the run: after each round's line (every round, since an epoch here has
     * fewer than 20) it records the state broadcasts still held, waiting for the removal of the
     * rounds before; after round 1 also the heap.
     */
    static final class Watch extends PrintStream {
        final List<String> problems = new ArrayList<>();
        final TreeSet<Long> seen = new TreeSet<>();
        int rounds, mostHeld;
        long heapAfterRound1 = -1, heapAfterEpoch1 = -1;

        Watch() {
            super(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        }

        @Override
        public void println(String line) {
            super.println(line);
            if (!line.matches("  epoch \\d+ round \\d+/\\d+ .*")) {
                return;
            }
            rounds++;
            try {
                // the round's own broadcast is destroyed (asynchronously) by now, and every one before it
                List<Long> held = stateBroadcasts();
                seen.addAll(held);
                mostHeld = Math.max(mostHeld, held.size());
                if (!eventually(() -> stateBroadcasts().isEmpty())) {
                    problems.add("after round " + rounds + " the state broadcasts " + stateBroadcasts() + " are still held");
                }
                if (rounds == 1) {
                    heapAfterRound1 = heapAfterGc();
                }
                if (rounds == ROUNDS_PER_EPOCH) {
                    heapAfterEpoch1 = heapAfterGc();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                problems.add("interrupted");
            }
        }

        String text() {
            return ((ByteArrayOutputStream) out).toString(StandardCharsets.UTF_8);
        }
    }

    @Test
    void aLongRunOfSingleStepRoundsHoldsSteadyMemory() throws Exception {
        TrainConfig c = TrainConfig.distributed();
        c.set("train", train, "test").set("validation", validation, "test").set("output", out.resolve("run").toString(), "test");
        c.set("model", "lenet5", "test").set("batchSize", "8", "test").set("partitions", "2", "test");
        c.set("mean", "0.2860", "test").set("std", "0.3530", "test").set("syncEvery", "1", "test");
        // 96 rows a partition in batches of 8: 12 rounds an epoch, one progress line each
        c.set("epochs", "30", "test").set("progressSeconds", "0", "test");
        Watch watch = new Watch();
        long storageBefore = SparkEnv.get().memoryManager().storageMemoryUsed();
        DistributedTrainer t = new DistributedTrainer(c.validate(), watch);
        RunFolder.Start start = RunFolder.plan(c.get("output"), RunFolder.Resume.NO, false,
                spark.sparkContext().hadoopConfiguration());
        TrainingResult result = t.fit(spark, TrainingData.fromPaths(spark, c), start);
        assertEquals(30, result.epochs(), watch.text());
        assertEquals(360, watch.rounds, "a progress line after every round: " + watch.text());
        assertEquals(List.of(), watch.problems);
        assertTrue(watch.mostHeld <= 1, "at most the round's own broadcast, being removed: " + watch.mostHeld);

        // after the run: the last broadcast destroyed, the cached training set and epoch frames released
        assertTrue(eventually(() -> stateBroadcasts().isEmpty()), "state broadcasts left: " + stateBroadcasts());
        assertTrue(spark.sparkContext().getPersistentRDDs().isEmpty(), "cached RDDs left: "
                + spark.sparkContext().getPersistentRDDs());
        assertTrue(spark.sharedState().cacheManager().isEmpty(), "cached Datasets left");
        long heapAfterRun = heapAfterGc();
        // Spark's own broadcasts (task binaries) go with the context cleaner once collected: none is kept alive
        assertTrue(eventually(() -> {
            System.gc();
            return broadcastBlocks().isEmpty();
        }), "broadcast blocks left: " + broadcastBlocks());
        assertTrue(eventually(() -> SparkEnv.get().memoryManager().storageMemoryUsed() == 0),
                "storage memory still used: " + SparkEnv.get().memoryManager().storageMemoryUsed());
        assertTrue(watch.heapAfterRound1 > 0);
        String figures = String.format(Locale.ROOT, "rounds %d, state broadcasts seen %d, heap after round 1 %.1f MiB,"
                + " after epoch 1 %.1f MiB, after the run %.1f MiB (growth %.1f MiB, bound %d MiB), storage memory before %d B, after 0 B",
                watch.rounds, watch.seen.size(), watch.heapAfterRound1 / 1048576.0, watch.heapAfterEpoch1 / 1048576.0, heapAfterRun / 1048576.0,
                (heapAfterRun - watch.heapAfterRound1) / 1048576.0, HEAP_BOUND >> 20, storageBefore);
        System.out.println("SteadyMemoryTest: " + figures);
        assertTrue(heapAfterRun <= watch.heapAfterRound1 + HEAP_BOUND, figures);
    }
}
