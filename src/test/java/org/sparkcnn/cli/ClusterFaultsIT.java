package org.sparkcnn.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15, items 1 and 2 (docs/reliability.md): on the standalone cluster of jobs/cluster.sh, a
 * training run whose executor is SIGKILLed mid-round, one whose tasks fail on their first attempt,
 * and one whose slow partition gets speculative copies all train the weights of an undisturbed run
 * with the same partitioning, and count every row of the epoch once. The two workers are on the
 * "hosts" 127.0.0.1 and localhost (both 127.0.0.1 alone): Spark places a speculative copy only on
 * another host than the original's.
 */
class ClusterFaultsIT {
    private static final int IMAGES = 240, ROUNDS = 2;
    /** The driver's log line opening a training round's stage, and a task attempt starting in it. */
    private static final Pattern ROUND_STAGE = Pattern.compile(
            "Submitting ResultStage (\\d+) \\(MapPartitionsRDD\\[\\d+] at treeAggregate at TrainingRun\\.java");
    private static final Pattern START = Pattern.compile(
            "Starting task (\\d+)\\.(\\d+) in stage (\\d+)\\.\\d+ \\(TID (\\d+)\\) \\(([^,]+),\\s*executor (\\d+),");

    @TempDir
    static Path dir;
    private static Path bin;
    private static String cluster, url, train;
    private static float[][] undisturbed;
    /** Every process of the test (its command line names the test's folder) and the addresses it listened on. */
    private static final Map<Long, Set<String>> listening = new ConcurrentHashMap<>();
    private static final Map<Long, String> commands = new ConcurrentHashMap<>();

    @BeforeAll
    static void clusterAndUndisturbedRun() throws Exception {
        bin = Submits.fakeSparkSubmit(dir);
        Path[] tr = JobRuns.fashionIdx(dir.resolve("idx"), "train", IMAGES);
        train = dir.resolve("train").toString();
        JobRuns.Result imp = JobRuns.importer("idx", "--images", tr[0].toString(), "--labels", tr[1].toString(),
                "--out", train, "--files", "3", "--master", "local[2]");
        assertEquals(0, imp.code(), imp.toString());
        cluster = dir.resolve("cluster").toString();
        JobScriptsTest.Run started = Submits.script(dir, bin, true, Map.of(), "cluster.sh", "start", "--dir", cluster,
                "--worker-hosts", "127.0.0.1,localhost");
        assertEquals(0, started.code(), started.toString());
        url = started.out().get(started.out().size() - 1);
        assertTrue(url.matches("spark://127\\.0\\.0\\.1:\\d+"), started.toString());
        undisturbed = SparkSubmitIT.weights(train("undisturbed", Map.of(), null).toString());
    }

    @AfterAll
    static void stopAndCheckAddresses() throws Exception {
        if (cluster != null) {
            JobScriptsTest.Run stopped = Submits.script(dir, bin, true, Map.of(), "cluster.sh", "stop", "--dir", cluster);
            assertEquals(0, stopped.code(), stopped.toString());
        }
        // master, workers (one of them "localhost"), executors and drivers: loopback only
        for (Map.Entry<Long, Set<String>> p : listening.entrySet()) {
            for (String a : p.getValue()) {
                assertTrue(JobScriptsTest.loopback(a), "process " + p.getKey() + " listened on " + a + ": "
                        + commands.get(p.getKey()));
            }
        }
        for (String kind : List.of("deploy.master.Master", "deploy.worker.Worker", "CoarseGrainedExecutorBackend",
                "deploy.SparkSubmit")) {
            assertTrue(commands.entrySet().stream().anyMatch(e -> e.getValue().contains(kind)
                    && !listening.get(e.getKey()).isEmpty()), "saw a " + kind + " listening: " + commands);
        }
    }

    @Test
    void anExecutorSigkilledMidRoundLosesNoRowAndTrainsTheUndisturbedWeights() throws Exception {
        // partition 1's very first attempt waits, in the first round, until its executor is killed
        Kill kill = new Kill(dir.resolve("run-kill"));
        Path run = train("kill", Map.of("SPARKCNN_FAULTS", "hang-first-attempt:1"), kill);
        assertNotNull(kill.pid, "found the executor running partition 1 of the first round");
        String log = driverLog(run);
        // killed before or after the task reached it: Spark logs the lost task, or only the lost executor
        assertTrue(log.contains("Lost executor " + kill.executor + " on "), "the driver lost executor " + kill.executor
                + ":\n" + log);
        assertTrue(!log.contains("Finished task 1.0 in stage " + kill.stage + ".0 (TID " + kill.tid + ")"),
                "the killed attempt never finished:\n" + log);
        List<String[]> attempts = attempts(log, 1);
        assertTrue(attempts.size() > ROUNDS, "partition 1 ran again: " + attempts.size() + " attempts in " + ROUNDS + " rounds");
        assertTrue(attempts.stream().anyMatch(a -> a[2].equals(kill.stage) && !a[5].equals(kill.executor)),
                "partition 1 of the first round ran again on another executor than the killed " + kill.executor);
        assertRunLike(run);
        long resubmitted = log.lines().filter(l -> l.contains("Resubmitting")).count();
        System.out.printf("ClusterFaultsIT: executor %s (pid %d, host %s) SIGKILLed in stage %s; partition 1: %d attempts"
                + " in %d rounds; %d 'Resubmitting' lines%n", kill.executor, kill.pid, kill.host, kill.stage,
                attempts.size(), ROUNDS, resubmitted);
    }

    @Test
    void aTaskFailingOnItsFirstAttemptIsRetriedAndTrainsTheUndisturbedWeights() throws Exception {
        Path run = train("fail", Map.of("SPARKCNN_FAULTS", "fail-first-attempt:1"), null);
        String log = driverLog(run);
        long failures = log.lines().filter(l -> l.contains("Lost task 1.0 in stage")
                && l.contains("injected failure: first attempt of partition 1")).count();
        assertEquals(ROUNDS, failures, "one injected failure per round:\n" + log);
        assertEquals(2 * ROUNDS, attempts(log, 1).size(), "partition 1: two attempts per round");
        assertRunLike(run);
        System.out.printf("ClusterFaultsIT: %d injected task failures, partition 1: %d attempts%n", failures,
                attempts(log, 1).size());
    }

    @Test
    void speculativeCopiesOfASlowPartitionAreCountedOnceAndTrainTheUndisturbedWeights() throws Exception {
        // the original attempt sleeps 2 minutes; the copy on the other host does not sleep and wins
        Path run = train("speculation", Map.of("SPARKCNN_FAULTS", "slow-first-attempt:1:120000",
                "SPARK_SUBMIT_EXTRA", String.join(" ", "--conf spark.speculation=true",
                        "--conf spark.speculation.interval=100ms", "--conf spark.speculation.quantile=0.5",
                        "--conf spark.speculation.multiplier=1.5", "--conf spark.speculation.minTaskRuntime=100ms",
                        "--conf spark.speculation.efficiency.enabled=false")), null);
        String log = driverLog(run);
        Set<String> stages = roundStages(log);
        assertEquals(ROUNDS, stages.size(), log);
        Map<String, String> hostOfFirst = new HashMap<>();
        List<String[]> copies = new ArrayList<>();
        for (String[] a : attempts(log, 1)) {
            if (a[1].equals("0")) {
                hostOfFirst.put(a[2], a[4]);
            } else {
                copies.add(a);
            }
        }
        for (String stage : stages) {
            assertTrue(log.contains("Marking task 1 in stage " + stage + ".0"), "partition 1 speculatable in stage " + stage);
            String[] copy = copies.stream().filter(a -> a[2].equals(stage)).findFirst().orElse(null);
            assertNotNull(copy, "a speculative copy of partition 1 ran in stage " + stage + ":\n" + log);
            assertTrue(!copy[4].equals(hostOfFirst.get(stage)), "the copy ran on the other host: " + Arrays.toString(copy));
            assertTrue(log.contains("Killing attempt 0 for task 1.0 in stage " + stage + ".0"),
                    "the copy won and the original was killed, in stage " + stage);
        }
        assertRunLike(run);
        System.out.printf("ClusterFaultsIT: %d speculative copies of partition 1 in %d rounds%n", copies.size(), ROUNDS);
    }

    /** The run trained exactly the undisturbed weights and counted every image once in its epoch. */
    private static void assertRunLike(Path run) throws IOException {
        float[][] w = SparkSubmitIT.weights(run.toString());
        assertArrayEquals(undisturbed[0], w[0], "parameters equal the undisturbed run's, bit for bit");
        assertArrayEquals(undisturbed[1], w[1], "buffers equal the undisturbed run's, bit for bit");
        List<String> lines = Files.readAllLines(run.resolve("metrics.jsonl"));
        assertEquals(1, lines.size(), lines.toString());
        JsonNode epoch = new ObjectMapper().readTree(lines.get(0));
        assertEquals(IMAGES, epoch.get("train_images").asLong(), "every row once in the epoch: " + lines.get(0));
        assertEquals(ROUNDS, epoch.get("rounds").asInt(), lines.get(0));
    }

    /**
     * jobs/train.sh submitted to the cluster (env: SPARKCNN_FAULTS, and SPARK_SUBMIT_EXTRA appended
     * to SPARK_SUBMIT_ARGS), while a watcher notes every listening socket and {@code kill} acts.
     */
    private static Path train(String name, Map<String, String> env, Kill kill) throws Exception {
        Path run = dir.resolve("run-" + name);
        Map<String, String> vars = new HashMap<>(env);
        vars.put("SPARK_SUBMIT_ARGS", "--master " + url + " --conf spark.driver.host=127.0.0.1"
                + " --conf spark.driver.bindAddress=127.0.0.1 --executor-memory 800m "
                + vars.getOrDefault("SPARK_SUBMIT_EXTRA", ""));
        vars.remove("SPARK_SUBMIT_EXTRA");
        Watcher watcher = new Watcher(kill);
        watcher.start();
        JobScriptsTest.Run r;
        try {
            r = Submits.script(dir, bin, false, vars, "train.sh", "--config", Submits.ROOT.resolve("conf/train.properties")
                    .toString(), "--set", "train=" + train, "--set", "validation=", "--set", "epochs=1", "--set",
                    "partitions=2", "--set", "batchSize=32", "--set", "syncEvery=2", "--set", "output=" + run,
                    "--set", "master=");
        } finally {
            watcher.done = true;
            watcher.join();
        }
        if (watcher.failed != null) {
            throw new AssertionError("the watcher of run " + name + " failed", watcher.failed);
        }
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().stream().anyMatch(l -> l.contains(ROUNDS + " rounds per epoch")), r.toString());
        return run;
    }

    private static String driverLog(Path run) throws IOException {
        try (var logs = Files.list(run.resolve("logs"))) {
            return Files.readString(logs.findFirst().orElseThrow());
        }
    }

    /** The ids of the stages that trained a round. */
    private static Set<String> roundStages(String log) {
        Set<String> stages = new LinkedHashSet<>();
        Matcher m = ROUND_STAGE.matcher(log);
        while (m.find()) {
            stages.add(m.group(1));
        }
        return stages;
    }

    /** Each attempt of partition {@code p}'s training task: {partition, attempt, stage, TID, host, executor}. */
    private static List<String[]> attempts(String log, int p) {
        Set<String> stages = roundStages(log);
        List<String[]> found = new ArrayList<>();
        Matcher m = START.matcher(log);
        while (m.find()) {
            if (m.group(1).equals(Integer.toString(p)) && stages.contains(m.group(3))) {
                found.add(new String[] {m.group(1), m.group(2), m.group(3), m.group(4), m.group(5).trim(), m.group(6)});
            }
        }
        return found;
    }

    /** Kills, with SIGKILL, the executor JVM that runs partition 1's first attempt in the first round. */
    private static final class Kill {
        final Path run;
        volatile Long pid;
        volatile String stage, tid, executor, host;

        Kill(Path run) {
            this.run = run;
        }

        void poll() throws IOException {
            if (pid != null || Files.notExists(run.resolve("logs"))) {
                return;
            }
            String log;
            try (var logs = Files.list(run.resolve("logs"))) {
                Path file = logs.findFirst().orElse(null);
                if (file == null) {
                    return;
                }
                log = Files.readString(file);
            }
            Set<String> stages = roundStages(log);
            if (stages.isEmpty()) {
                return;
            }
            String first = stages.iterator().next();
            for (String[] a : attempts(log, 1)) {
                if (a[2].equals(first) && a[1].equals("0")) {
                    for (ProcessHandle p : (Iterable<ProcessHandle>) ProcessHandle.allProcesses()::iterator) {
                        List<String> words = Arrays.asList(command(p.pid()).split("\0"));
                        int i = words.indexOf("--executor-id");
                        if (words.contains("org.apache.spark.executor.CoarseGrainedExecutorBackend") && i >= 0
                                && words.get(i + 1).equals(a[5]) && String.join(" ", words).contains(dir.toString())) {
                            stage = first;
                            tid = a[3];
                            host = a[4];
                            executor = a[5];
                            assertTrue(p.destroyForcibly(), "SIGKILL to executor " + executor);
                            pid = p.pid();
                            return;
                        }
                    }
                }
            }
        }
    }

    /** Notes the listening sockets of the test's processes every 100 ms while a run lasts, and polls a kill. */
    private static final class Watcher extends Thread {
        private final Kill kill;
        volatile boolean done;
        volatile Throwable failed;

        Watcher(Kill kill) {
            this.kill = kill;
            setDaemon(true);
        }

        @Override
        public void run() {
            try {
                while (!done) {
                    for (ProcessHandle p : (Iterable<ProcessHandle>) ProcessHandle.allProcesses()::iterator) {
                        String cmd = command(p.pid());
                        if (cmd.split("\0", 2)[0].endsWith("java") && cmd.contains(dir.toString())) {
                            commands.putIfAbsent(p.pid(), cmd.replace('\0', ' '));
                            listening.computeIfAbsent(p.pid(), k -> ConcurrentHashMap.newKeySet())
                                    .addAll(JobScriptsTest.listening(p.pid()));
                        }
                    }
                    if (kill != null) {
                        kill.poll();
                    }
                    Thread.sleep(100);
                }
            } catch (Throwable t) {
                failed = t;
            }
        }
    }

    /** A process's command line, words separated by NUL ("" once it has gone). */
    private static String command(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline")), StandardCharsets.UTF_8);
        } catch (IOException gone) {
            return "";
        }
    }
}
