package org.sparkcnn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkcnn.spark.SparkTestSessions;

/**
 * After mvn package: the jobs find a spark-submit and submit the application jar to it, and the
 * jar alone (on a classpath of only what Spark itself ships: our compile-scope libraries left
 * out) imports, trains and predicts, giving the same predictions as the same scripts in plain-java
 * local mode. The spark-submit here is Spark's own SparkSubmit from the Maven jars, behind a
 * wrapper script on the PATH that records how it was called.
 */
class SparkSubmitIT {
    private static final Path ROOT = Path.of("").toAbsolutePath();
    @TempDir
    Path dir;

    private String version() throws IOException {
        for (String line : Files.readAllLines(ROOT.resolve("pom.xml"))) {
            if (line.startsWith("  <version>")) {
                return line.replaceAll(".*<version>(.*)</version>.*", "$1");
            }
        }
        throw new IllegalStateException("no version in pom.xml");
    }

    private Path fakeSparkSubmit() throws IOException {
        return Submits.fakeSparkSubmit(dir);
    }

    private JobScriptsTest.Run script(Path path, boolean local, String name, String... args)
            throws IOException, InterruptedException {
        return Submits.script(dir, path, local, Map.of(), name, args);
    }

    private JobScriptsTest.Run script(Path path, boolean local, Map<String, String> env, String name, String... args)
            throws IOException, InterruptedException {
        return Submits.script(dir, path, local, env, name, args);
    }

    @Test
    void theJobsSubmitTheApplicationJarAndGetThePlainJavaResults() throws Exception {
        Path jar = ROOT.resolve("target/sparkcnn-" + version() + ".jar");
        assertTrue(Files.isRegularFile(jar), jar + " is built by mvn package, before this test");
        Files.write(ROOT.resolve("target/classes/.built"), new byte[0]);
        Path bin = fakeSparkSubmit();
        Path[] tr = JobRuns.fashionIdx(dir.resolve("idx"), "train", 128);
        String train = dir.resolve("train").toString(), run = dir.resolve("run").toString();
        JobScriptsTest.Run imp = script(bin, false, "import.sh", "idx", "--images", tr[0].toString(), "--labels",
                tr[1].toString(), "--out", train, "--files", "2", "--master", "local[2]");
        assertEquals(0, imp.code(), imp.toString());
        JobScriptsTest.Run t = script(bin, false, "train.sh", "--config", ROOT.resolve("conf/train.properties").toString(),
                "--set", "train=" + train, "--set", "validation=", "--set", "output=" + run, "--set", "epochs=1", "--set", "partitions=2",
                "--set", "master=local[2]");
        assertEquals(0, t.code(), t.toString());
        JobScriptsTest.Run submitted = script(bin, false, "predict.sh", "--model", run, "--input", train, "--out",
                dir.resolve("p-submit").toString(), "--master", "local[2]");
        assertEquals(0, submitted.code(), submitted.toString());
        JobScriptsTest.Run local = script(bin, true, "predict.sh", "--model", run, "--input", train, "--out",
                dir.resolve("p-local").toString(), "--master", "local[2]");
        assertEquals(0, local.code(), local.toString());

        List<String> calls = Files.readAllLines(dir.resolve("submitted.txt"));
        assertEquals(3, calls.size(), "import, train and the first predict went through spark-submit: " + calls);
        for (String call : calls) {
            assertTrue(call.contains("--class org.sparkcnn.cli.") && call.contains(jar.toString()), call);
        }
        SparkSession spark = SparkTestSessions.local(1, Map.of());
        try {
            List<Row> a = spark.read().parquet(dir.resolve("p-submit").toString()).orderBy("id").collectAsList();
            List<Row> b = spark.read().parquet(dir.resolve("p-local").toString()).orderBy("id").collectAsList();
            assertEquals(128, a.size());
            assertEquals(b, a, "the same predictions through the jar and through plain java");
        } finally {
            spark.stop();
        }
    }

    /** The parameters and buffers of a run's model, as one array each. */
    static float[][] weights(String run) throws IOException {
        org.sparkcnn.model.Network net = org.sparkcnn.io.ModelFile.read(Path.of(run, "model", "model.bin")).network();
        return new float[][] {net.parameterArray(), net.bufferArray()};
    }

    @Test
    void onTheStandaloneClusterOfClusterShTheJarTrainsTheWeightsOfLocalMode() throws Exception {
        Path bin = fakeSparkSubmit();
        String cluster = dir.resolve("cluster").toString();
        Path[] tr = JobRuns.fashionIdx(dir.resolve("idx"), "train", 160);
        String train = dir.resolve("train").toString();
        assertEquals(0, script(bin, true, "import.sh", "idx", "--images", tr[0].toString(), "--labels", tr[1].toString(),
                "--out", train, "--files", "3", "--master", "local[2]").code());
        JobScriptsTest.Run started = script(bin, true, "cluster.sh", "start", "--dir", cluster, "--memory", "1g");
        assertEquals(0, started.code(), started.toString());
        String url = started.out().get(started.out().size() - 1);
        try {
            assertTrue(url.matches("spark://127\\.0\\.0\\.1:\\d+"), started.toString());
            JobScriptsTest.Run status = script(bin, true, "cluster.sh", "status", "--dir", cluster);
            assertEquals(url, status.out().get(status.out().size() - 1), status.toString());
            for (String name : new String[] {"master", "worker-1", "worker-2"}) {
                long pid = Long.parseLong(Files.readString(Path.of(cluster, name + ".pid")).trim());
                java.util.Set<String> listening = JobScriptsTest.listening(pid);
                assertTrue(!listening.isEmpty(), name + " listens");
                listening.forEach(a -> assertTrue(JobScriptsTest.loopback(a), name + " listens on " + a));
            }
            String[] common = {"--config", ROOT.resolve("conf/train.properties").toString(), "--set", "train=" + train,
                "--set", "validation=", "--set", "epochs=2", "--set", "partitions=2", "--set", "syncEvery=2"};
            List<String> onCluster = new ArrayList<>(List.of(common));
            // conf/train.properties says master=local[2]: empty, spark-submit's master applies
            onCluster.addAll(List.of("--set", "output=" + dir.resolve("run-cluster"), "--set", "master="));
            JobScriptsTest.Run c = script(bin, false, Map.of("SPARK_SUBMIT_ARGS", "--master " + url
                    + " --conf spark.driver.host=127.0.0.1 --conf spark.driver.bindAddress=127.0.0.1"
                    + " --executor-memory 800m"), "train.sh", onCluster.toArray(new String[0]));
            assertEquals(0, c.code(), c.toString());
            List<String> local = new ArrayList<>(List.of(common));
            local.addAll(List.of("--set", "output=" + dir.resolve("run-local"), "--set", "master=local[2]"));
            JobScriptsTest.Run l = script(bin, true, "train.sh", local.toArray(new String[0]));
            assertEquals(0, l.code(), l.toString());
            float[][] a = weights(dir.resolve("run-cluster").toString()), b = weights(dir.resolve("run-local").toString());
            assertTrue(java.util.Arrays.equals(a[0], b[0]) && java.util.Arrays.equals(a[1], b[1]),
                    "the standalone cluster and local[2] train the very same weights");
            assertTrue(String.join("\n", Files.readAllLines(Path.of(cluster, "master.log")))
                    .contains("Registering app sparkcnn-train"), "the job ran on the cluster's master");
            // conf/log4j2-executor.properties reached the executors (jobs/lib.sh ships it): our pattern, and
            // Spark's info lines gone but the executor's own
            List<String> executorLog = new ArrayList<>();
            for (int w = 1; w <= 2; w++) {
                try (var files = Files.walk(Path.of(cluster, "work-" + w))) {
                    for (Path f : files.filter(f -> f.getFileName().toString().equals("stderr")).toList()) {
                        executorLog.addAll(Files.readAllLines(f));
                    }
                }
            }
            assertTrue(executorLog.stream().anyMatch(line -> line.matches(
                    "\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO .* Executor: Running task .*")),
                    "executor log in our pattern: " + executorLog);
            assertTrue(executorLog.stream().noneMatch(line -> line.matches(".* INFO .*(BlockManager|MemoryStore|"
                    + "TransportClientFactory|CoarseGrainedExecutorBackend): .*")), "no Spark info lines: " + executorLog);
            // and conf/log4j2.properties the driver's: Spark's info lines in the run's log file, none on the console
            assertTrue(c.err().stream().noneMatch(line -> line.contains(" INFO ")), "driver console: " + c.err());
            try (var logs = Files.list(dir.resolve("run-cluster").resolve("logs"))) {
                String driverLog = Files.readString(logs.findFirst().orElseThrow());
                assertTrue(driverLog.contains("INFO SparkContext: Submitted application: sparkcnn-train"), driverLog);
            }
        } finally {
            JobScriptsTest.Run stopped = script(bin, true, "cluster.sh", "stop", "--dir", cluster);
            assertEquals(0, stopped.code(), stopped.toString());
        }
        for (String name : new String[] {"master", "worker-1", "worker-2"}) {
            assertTrue(Files.notExists(Path.of(cluster, name + ".pid")), name + ".pid removed by stop");
        }
    }
}
