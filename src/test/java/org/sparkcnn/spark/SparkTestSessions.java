package org.sparkcnn.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkContext;
import org.apache.spark.network.util.JavaUtils;
import org.apache.spark.sql.SparkSession;

/**
 * SparkSessions for tests: {@code local[N]} (one JVM) and {@code local-cluster[W,C,M]} (a master
 * and W workers inside this JVM, each worker forking a real executor JVM). See
 * docs/testing-spark.md.
 * <p>
 * Both refuse to start while another SparkSession is alive in this JVM: {@code getOrCreate} would
 * silently hand back that one, with its master, instead of the session asked for. Stop sessions in
 * {@code @AfterAll}. Logging comes from src/test/resources/log4j2-test.properties, in the
 * executor JVMs too (they share the test classpath).
 */
public final class SparkTestSessions {
    /** Env var pointing at a folder with an (empty) {@code jars/} folder; set by Surefire (pom.xml). */
    public static final String SPARK_HOME_ENV = "SPARK_HOME";
    /** How long {@link #localCluster} waits for every executor JVM to register. */
    static final long EXECUTOR_WAIT_MS = 180_000;

    private SparkTestSessions() {
    }

    /**
     * {@code local[threads]}: driver and tasks in this JVM; a failed task fails its job at once
     * (local mode ignores {@code spark.task.maxFailures}).
     */
    public static SparkSession local(int threads, Map<String, String> extraConf) {
        return start(localMaster(threads, 1), "local", extraConf);
    }

    /**
     * {@code local[threads,maxFailures]}: like {@link #local(int, Map)}, but a task may run up to
     * {@code maxFailures} times (attempts, not retries: 2 = one retry) before its job fails.
     */
    public static SparkSession local(int threads, int maxFailures, Map<String, String> extraConf) {
        return start(localMaster(threads, maxFailures), "local", extraConf);
    }

    /** The master string: {@code local[N]}, or {@code local[N,F]} when {@code maxFailures > 1}. */
    public static String localMaster(int threads, int maxFailures) {
        if (threads < 1 || maxFailures < 1) {
            throw new IllegalArgumentException("threads and maxFailures must be at least 1, got "
                    + threads + " and " + maxFailures);
        }
        return maxFailures == 1 ? "local[" + threads + "]" : "local[" + threads + "," + maxFailures + "]";
    }

    /**
     * {@code local-cluster[workers,coresPerWorker,memoryMiB]}: every executor is a separate JVM with
     * the driver's classpath and the Vector API module. Returns once all {@code workers} executors
     * have registered, so the first job spreads over all of them. Each executor gets
     * {@code memoryMiB} of heap (the whole worker) and {@code -XX:ActiveProcessorCount=coresPerWorker},
     * so our default thread pool has one thread per executor core.
     * <p>
     * Needs env {@code SPARK_SCALA_VERSION=2.13} and {@code SPARK_HOME} (Surefire sets both, see
     * pom.xml); the {@code jars/} folder under SPARK_HOME is created here.
     */
    public static SparkSession localCluster(int workers, int coresPerWorker, int memoryMiB,
            Map<String, String> extraConf) {
        if (workers < 1 || coresPerWorker < 1 || memoryMiB < 512) {
            throw new IllegalArgumentException("need at least 1 worker, 1 core and 512 MiB, got "
                    + workers + ", " + coresPerWorker + ", " + memoryMiB);
        }
        prepareSparkHome();
        Map<String, String> conf = new LinkedHashMap<>();
        // The executor command is built by Spark's launcher: its classpath is SPARK_HOME/jars/*
        // plus this; without it executors cannot load Spark, Scala or our classes.
        conf.put("spark.executor.extraClassPath", System.getProperty("java.class.path"));
        // Spark prepends its own module flags (--add-modules=jdk.incubator.vector and the
        // java.base --add-opens, JavaModuleOptions) to this; we repeat the Vector API module so
        // the kernels keep working should that list ever change.
        // ActiveProcessorCount sizes our default Parallel pool (and the JVM's own threads) to the
        // executor's cores: -Dsparkcnn.threads cannot be passed here, Spark rejects any
        // extraJavaOptions containing "-Dspark" (INVALID_EXECUTOR_SPARK_OPTIONS). Serial GC: less
        // memory and fewer threads for small heaps on a shared machine.
        conf.put("spark.executor.extraJavaOptions", "--add-modules=jdk.incubator.vector"
                + " -XX:ActiveProcessorCount=" + coresPerWorker + " -XX:+UseSerialGC");
        // A worker never launches an executor larger than its memory: the application would wait
        // forever ("Initial job has not accepted any resources").
        conf.put("spark.executor.memory", memoryMiB + "m");
        conf.putAll(extraConf);
        long executorMiB = JavaUtils.byteStringAsMb(conf.get("spark.executor.memory"));
        if (executorMiB > memoryMiB) {
            throw new IllegalArgumentException("spark.executor.memory " + conf.get("spark.executor.memory")
                    + " exceeds the worker's " + memoryMiB + " MiB: no executor would ever start");
        }
        SparkSession spark = start("local-cluster[" + workers + "," + coresPerWorker + "," + memoryMiB + "]",
                "local-cluster", conf);
        try {
            awaitExecutors(spark.sparkContext(), workers, EXECUTOR_WAIT_MS);
        } catch (RuntimeException | Error e) {
            spark.stop();
            throw e;
        }
        return spark;
    }

    /** Creates {@code $SPARK_HOME/jars} (the launcher insists it exists; it stays empty). */
    static Path prepareSparkHome() {
        String home = System.getenv(SPARK_HOME_ENV);
        if (home == null || home.isBlank()) {
            throw new IllegalStateException("local-cluster needs env SPARK_HOME (a folder for an empty jars/"
                    + " folder, e.g. target/spark-home) and SPARK_SCALA_VERSION=2.13; Surefire sets both"
                    + " (pom.xml); set them yourself when running tests from elsewhere");
        }
        if (System.getenv("SPARK_SCALA_VERSION") == null) {
            throw new IllegalStateException("local-cluster needs env SPARK_SCALA_VERSION=2.13 (Surefire sets it)");
        }
        try {
            return Files.createDirectories(Path.of(home, "jars"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + home + "/jars", e);
        }
    }

    private static SparkSession start(String master, String kind, Map<String, String> extraConf) {
        for (scala.Option<SparkSession> other : List.of(SparkSession.getActiveSession(),
                SparkSession.getDefaultSession())) {
            if (other.isDefined() && !other.get().sparkContext().isStopped()) {
                throw new IllegalStateException("a SparkSession on " + other.get().sparkContext().master()
                        + " is still running in this JVM: stop it before starting " + master);
            }
        }
        Map<String, String> conf = new LinkedHashMap<>();
        conf.put("spark.serializer", "org.apache.spark.serializer.KryoSerializer");
        conf.put("spark.ui.enabled", "false");
        conf.put("spark.ui.showConsoleProgress", "false");
        conf.put("spark.driver.host", "127.0.0.1");
        conf.put("spark.driver.bindAddress", "127.0.0.1");
        conf.put("spark.sql.shuffle.partitions", "2");
        conf.put("spark.default.parallelism", "2");
        conf.putAll(extraConf);
        SparkSession.Builder b = SparkSession.builder().master(master).appName("sparkcnn-test-" + kind);
        conf.forEach(b::config);
        SparkSession spark = b.getOrCreate();
        if (!spark.sparkContext().master().equals(master)) {
            // a SparkContext created without a session was reused: not the one asked for
            String running = spark.sparkContext().master();
            throw new IllegalStateException("a SparkContext on " + running
                    + " is still running in this JVM: stop it before starting " + master);
        }
        return spark;
    }

    /** Waits until {@code executors} executors (the driver not counted) have registered. */
    static void awaitExecutors(SparkContext sc, int executors, long timeoutMs) {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        int seen;
        while ((seen = sc.statusTracker().getExecutorInfos().length - 1) < executors) {
            if (sc.isStopped()) {
                // e.g. the master removed the application after 10 failed executor launches
                throw new IllegalStateException("the SparkContext stopped before " + executors
                        + " executors registered; executor logs are under $SPARK_HOME/work/" + sc.applicationId());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("only " + seen + " of " + executors + " executors registered after "
                        + timeoutMs + " ms; executor logs are under $SPARK_HOME/work/" + sc.applicationId());
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for executors", e);
            }
        }
    }
}
