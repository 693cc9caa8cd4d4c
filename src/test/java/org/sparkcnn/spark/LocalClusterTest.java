package org.sparkcnn.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.Serializable;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.sparkcnn.model.ModelZoo;
import org.sparkcnn.model.Network;
import org.sparkcnn.tensor.Tensor;

/**
 * Jobs on {@code local-cluster[2,1,1024]}: two executor JVMs separate from this one, which load our
 * classes from the test classpath and run the Vector API kernels.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class LocalClusterTest {
    static SparkSession spark;
    static JavaSparkContext jsc;

    @BeforeAll
    static void start() {
        long t0 = System.nanoTime();
        spark = SparkTestSessions.localCluster(2, 1, 1024, Map.of());
        jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        System.out.printf("LocalClusterTest: local-cluster[2,1,1024] up with 2 executors in %.1f s%n",
                (System.nanoTime() - t0) / 1e9);
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            long t0 = System.nanoTime();
            spark.stop();
            System.out.printf("LocalClusterTest: stopped in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        }
    }

    /** What a task saw in the JVM it ran in. */
    static final class Probe implements Serializable {
        private static final long serialVersionUID = 1L;
        long pid;
        String executorId;
        boolean vectorModule;
        String jvmArgs;
        float[] logits;
        int broadcastLength;
        double broadcastSum;
    }

    /** lenet5 (seed 1) on a batch of two 28×28 images: all zeros, and a fixed pattern. */
    static float[] lenetLogits() {
        Network net = ModelZoo.build("lenet5", 1);
        Tensor x = new Tensor(2, 1, 28, 28);
        for (int i = 784; i < x.size(); i++) {
            x.data[i] = (i * 37 % 256) / 255f;
        }
        return net.forward(x, false).data.clone();
    }

    static double sum(float[] a) {
        double s = 0;
        for (float v : a) {
            s += v;
        }
        return s;
    }

    static float[] big() {
        float[] a = new float[1_000_000];
        for (int i = 0; i < a.length; i++) {
            a[i] = (i % 1000) * 0.001f - 0.25f;
        }
        return a;
    }

    @Test
    void tasksRunInTwoExecutorJvmsThatRunOurVectorKernelsAndSeeBroadcasts() {
        long t0 = System.nanoTime();
        float[] values = big();
        Broadcast<float[]> b = jsc.broadcast(values);
        List<Probe> probes = jsc.parallelize(List.of(0, 1), 2).map(p -> {
            Probe r = new Probe();
            r.pid = ProcessHandle.current().pid();
            r.executorId = SparkEnv.get().executorId();
            r.vectorModule = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
            r.jvmArgs = String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments());
            r.logits = lenetLogits();
            float[] seen = b.value();
            r.broadcastLength = seen.length;
            r.broadcastSum = sum(seen);
            return r;
        }).collect();
        double seconds = (System.nanoTime() - t0) / 1e9;

        long driverPid = ProcessHandle.current().pid();
        float[] expected = lenetLogits();
        assertEquals(20, expected.length);
        assertEquals(2, probes.size());
        for (Probe p : probes) {
            assertNotEquals(driverPid, p.pid, "a task ran in the driver JVM");
            assertNotEquals("driver", p.executorId);
            assertTrue(p.vectorModule, "executor JVM without jdk.incubator.vector: " + p.jvmArgs);
            assertArrayEquals(expected, p.logits, "logits on executor " + p.executorId);
            assertEquals(Float.floatToIntBits((float) sum(expected)), Float.floatToIntBits((float) sum(p.logits)));
            assertEquals(values.length, p.broadcastLength);
            assertEquals(sum(values), p.broadcastSum, 0.0, "broadcast seen by executor " + p.executorId);
        }
        Set<Long> pids = probes.stream().map(p -> p.pid).collect(Collectors.toSet());
        Set<String> executors = probes.stream().map(p -> p.executorId).collect(Collectors.toSet());
        assertEquals(2, pids.size(), "both tasks ran in one executor JVM");
        assertEquals(2, executors.size());
        System.out.printf("LocalClusterTest: probe job in %.1f s; driver pid %d, executor pids %s%n",
                seconds, driverPid, pids);
    }

    @Test
    void aTaskThatFailsOnceIsRetriedOnTheCluster() {
        long t0 = System.nanoTime();
        // spark.task.maxFailures is 4 by default outside local mode
        List<Long> attempts = LocalRetryTest.job(spark, true);
        // (partition, attempt, sum of squares) per partition: 1..50 and 51..100
        assertEquals(List.of(0L, 0L, 42925L, 1L, 1L, 295425L), attempts);
        System.out.printf("LocalClusterTest: retried job in %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }
}
