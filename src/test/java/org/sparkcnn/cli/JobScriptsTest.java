package org.sparkcnn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * jobs/train.sh and jobs/import.sh as a user runs them, in processes of their own and without the
 * tests' SPARK_LOCAL_IP: a default run and a failing one print their own lines and at most one
 * error line (no Spark log lines, no stack trace), and a default run listens on 127.0.0.1 only.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class JobScriptsTest {
    private static final Path ROOT = Path.of("").toAbsolutePath();
    private static final String CONF = ROOT.resolve("conf/train.properties").toString();
    /** What no console line of a job may contain: Spark log lines and stack traces. */
    private static final Pattern NOISE = Pattern.compile("\\b(ERROR|WARN|INFO)\\b|^\\s+at |Exception|^Caused by");
    @TempDir
    static Path dir;
    static String train, test;

    @BeforeAll
    static void datasets() throws IOException, InterruptedException {
        // Maven has just compiled target/classes: tell jobs/lib.sh, so the scripts do not start a nested build
        assertTrue(Files.isRegularFile(ROOT.resolve("target/classpath.txt")), "run through Maven: mvn test");
        Files.write(ROOT.resolve("target/classes/.built"), new byte[0]);
        Path[] tr = JobRuns.fashionIdx(dir.resolve("idx"), "train", 96);
        Path[] te = JobRuns.fashionIdx(dir.resolve("idx"), "test", 32);
        train = dir.resolve("data/train").toString();
        test = dir.resolve("data/test").toString();
        Run a = script(null, "jobs/import.sh", "idx", "--images", tr[0].toString(), "--labels", tr[1].toString(), "--out",
                train, "--files", "2", "--master", "local[1]");
        Run b = script(null, "jobs/import.sh", "idx", "--images", te[0].toString(), "--labels", te[1].toString(), "--out",
                test, "--master", "local[1]");
        assertEquals(0, a.code, a.toString());
        assertEquals(0, b.code, b.toString());
        quiet(a);
    }

    /** A finished script: exit code, output lines, and the addresses it was seen listening on. */
    record Run(int code, List<String> out, List<String> err, Set<String> listening) {
        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + String.join("\n", out) + "\n--- stderr\n" + String.join("\n", err);
        }
    }

    /**
     * Runs {@code bash script args} in the test's folder (logs/ goes there) without SPARK_LOCAL_IP; with
     * {@code watch} non-null, polls the process's listening TCP sockets while it runs.
     */
    static Run script(Set<String> watch, String script, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("bash", ROOT.resolve(script).toString()));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(dir, "out", ".txt"), err = Files.createTempFile(dir, "err", ".txt");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectOutput(out.toFile())
                .redirectError(err.toFile());
        pb.environment().remove("SPARK_LOCAL_IP");
        pb.environment().put("JAVA_OPTS", "-Xmx1g");
        Process p = pb.start();
        Set<String> seen = new TreeSet<>();
        while (!p.waitFor(50, TimeUnit.MILLISECONDS)) {
            if (watch != null) {
                seen.addAll(listening(p.pid()));
            }
        }
        return new Run(p.exitValue(), Files.readAllLines(out, StandardCharsets.UTF_8),
                Files.readAllLines(err, StandardCharsets.UTF_8).stream()
                        .filter(l -> !l.startsWith("WARNING: Using incubator modules")).toList(), seen);
    }

    /** "address:port" of each TCP socket process {@code pid} listens on (from /proc; empty once it has gone). */
    static Set<String> listening(long pid) {
        Set<String> inodes = new HashSet<>();
        Set<String> found = new HashSet<>();
        try (var fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    Matcher m = Pattern.compile("socket:\\[(\\d+)]").matcher(Files.readSymbolicLink(fd).toString());
                    if (m.matches()) {
                        inodes.add(m.group(1));
                    }
                } catch (IOException gone) {
                    // the descriptor closed meanwhile
                }
            }
            for (String table : List.of("tcp", "tcp6")) {
                for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/net/" + table))) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length > 9 && f[3].equals("0A") && inodes.contains(f[9])) { // 0A: LISTEN
                        found.add(f[1]);
                    }
                }
            }
        } catch (IOException processGone) {
            // it ended between two looks
        }
        return found;
    }

    /** Whether a /proc/net address (hex, little-endian words) is 127.0.0.1, ::1 or ::ffff:127.0.0.1. */
    static boolean loopback(String hexAddressAndPort) {
        String a = hexAddressAndPort.split(":")[0];
        return a.equals("0100007F") || a.equals("00000000000000000000000001000000")
                || a.equals("0000000000000000FFFF00000100007F");
    }

    static void quiet(Run r) {
        for (List<String> lines : List.of(r.out, r.err)) {
            for (String l : lines) {
                assertFalse(NOISE.matcher(l).find(), "a log line or stack trace on the console: " + l + "\n" + r);
            }
        }
    }

    @Test
    void aDefaultTrainingRunPrintsItsOwnLinesOnlyAndListensOnLoopbackOnly() throws IOException, InterruptedException {
        Set<String> watch = new HashSet<>();
        Path run = dir.resolve("runs/default");
        Run r = script(watch, "jobs/train.sh", "--config", CONF, "--set", "train=" + train, "--set",
                "validation=" + test, "--set", "epochs=1", "--set", "batchSize=16", "--set", "output=" + run);
        assertEquals(0, r.code, r.toString());
        assertEquals(List.of(), r.err, r.toString());
        quiet(r);
        assertTrue(r.out.stream().anyMatch(l -> l.startsWith("epoch 1/1  train_loss")), r.toString());
        assertFalse(r.listening.isEmpty(), "saw no listening socket while the job ran");
        for (String a : r.listening) {
            assertTrue(loopback(a), "listened on " + a + " (not loopback): " + r.listening);
        }
        try (var logs = Files.list(run.resolve("logs"))) {
            Path log = logs.findFirst().orElseThrow();
            String text = Files.readString(log);
            assertTrue(text.contains("Running Spark version"), "Spark's log is not in " + log);
            assertFalse(text.contains("resolves to a loopback address"), "Spark looked for an external interface");
        }
    }

    @Test
    void aFailingTrainingRunPrintsOneErrorLineNamingTheFile() throws IOException, InterruptedException {
        Path notParquet = Files.createDirectories(dir.resolve("not-parquet"));
        Files.writeString(notParquet.resolve("part-0.parquet"), "these are not the images\n");
        Run r = script(null, "jobs/train.sh", "--config", CONF, "--set", "train=" + notParquet,
                "--set", "validation=", "--set", "output=" + dir.resolve("runs/failing"));
        assertEquals(1, r.code, r.toString());
        assertEquals(1, r.err.size(), r.toString());
        assertTrue(r.err.get(0).startsWith("error: ") && r.err.get(0).contains(notParquet + "/part-0.parquet"), r.toString());
        assertTrue(r.err.get(0).contains("Spark's log: " + dir.resolve("runs/failing/logs")), r.toString());
        quiet(new Run(0, r.out, List.of(), Set.of()));
    }

    @Test
    void aTruncatedIdxFileIsOneLineNamingTheFile() throws IOException, InterruptedException {
        Path[] idx = JobRuns.fashionIdx(dir.resolve("idx-cut"), "test", 50);
        byte[] b = Files.readAllBytes(idx[0]);
        Files.write(idx[0], java.util.Arrays.copyOf(b, b.length * 2 / 3));
        Run r = script(null, "jobs/import.sh", "idx", "--images", idx[0].toString(), "--labels", idx[1].toString(),
                "--out", dir.resolve("data/cut").toString(), "--master", "local[1]");
        assertTrue(r.code != 0, r.toString());
        assertEquals(1, r.err.size(), r.toString());
        assertTrue(r.err.get(0).startsWith("error: " + idx[0]), r.toString());
        assertFalse(Files.exists(dir.resolve("data/cut")));
    }

    /** The scoring scripts answer --help with their usage and exit codes, and a bad flag with one line and exit 2. */
    @Test
    void predictEvaluateAndExportAnswerHelpAndRefuseBadFlags() throws IOException, InterruptedException {
        for (String script : new String[] {"predict.sh", "evaluate.sh", "export.sh"}) {
            Run help = script(null, "jobs/" + script, "--help");
            assertEquals(0, help.code, help.toString());
            assertTrue(String.join("\n", help.out).contains("jobs/" + script), help.toString());
            Run bad = script(null, "jobs/" + script, "--bogus");
            assertEquals(2, bad.code, bad.toString());
            assertEquals(1, bad.err.size(), bad.toString());
            assertTrue(bad.err.get(0).startsWith("error: ") && bad.err.get(0).contains("--bogus"), bad.toString());
        }
    }
}
