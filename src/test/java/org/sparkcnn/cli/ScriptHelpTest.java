package org.sparkcnn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Every script answers --help (usage on stdout, exit 0) and a bad option (exit 2): the shell scripts that
 * parse their own options before ensure_built, so neither runs a nested Maven build; the Java mains with
 * the usage picocli generates from their options.
 */
class ScriptHelpTest {
    /** Exit status, stdout and stderr of {@code bash jobs/SCRIPT ARGS}, run in the project folder. */
    private static String[] run(String script, String... args) throws IOException, InterruptedException {
        Path root = Path.of(System.getProperty("basedir", ".")).toAbsolutePath();
        Path out = Files.createTempFile("script", ".out"), err = Files.createTempFile("script", ".err");
        try {
            java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of("bash", "jobs/" + script));
            cmd.addAll(java.util.List.of(args));
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(root.toFile()).redirectOutput(out.toFile())
                    .redirectError(err.toFile());
            pb.environment().put("SPARKCNN_LOCAL", "1");
            pb.environment().put("JAVA_OPTS", "-Xmx256m");
            Process p = pb.start();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), script + " " + String.join(" ", args) + " did not return within 60 s");
            return new String[] {Integer.toString(p.exitValue()), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8).lines()
                        .filter(l -> !l.startsWith("WARNING: Using incubator modules")).map(l -> l + "\n")
                        .collect(java.util.stream.Collectors.joining())};
        } finally {
            Files.delete(out);
            Files.delete(err);
        }
    }

    @Test
    void theBenchmarkScriptsAnswerHelpAndRefuseBadOptions() throws IOException, InterruptedException {
        for (String script : new String[] {"compare-spark.sh", "scale.sh"}) {
            for (String help : new String[] {"--help", "-h"}) {
                String[] r = run(script, help);
                assertEquals("0", r[0], script + " " + help + ": " + r[2]);
                assertTrue(r[1].startsWith("usage: jobs/" + script), r[1]);
                assertEquals("", r[2], script + " " + help);
            }
            String[] r = run(script, "--bogus");
            assertEquals("2", r[0], script + " --bogus");
            assertTrue(r[2].contains("'--bogus'") && r[2].contains("usage: jobs/" + script), r[2]);
            assertEquals("", r[1]);
        }
    }

    /**
     * The scripts that run a Java main answer --help with picocli's generated usage, which ends with the
     * exit codes (exit 0, nothing on stderr), and a bad option or command with one error line and exit 2.
     */
    @Test
    void theJavaMainsAnswerHelpWithTheirGeneratedUsageAndRefuseBadOptionsWithExit2()
            throws IOException, InterruptedException {
        // Maven has just compiled target/classes: tell jobs/lib.sh, so the scripts do not start a nested build
        Path root = Path.of(System.getProperty("basedir", ".")).toAbsolutePath();
        assertTrue(Files.isRegularFile(root.resolve("target/classpath.txt")), "run through Maven: mvn test");
        Files.write(root.resolve("target/classes/.built"), new byte[0]);
        String[][] scripts = {{"train.sh"}, {"train-local.sh"}, {"import.sh"}, {"import.sh", "folder"}, {"model.sh"},
            {"model.sh", "summary"}, {"bench.sh"}, {"bench-rounds.sh"}, {"export.sh"}, {"reference-check.sh"}};
        for (String[] s : scripts) {
            String[] command = java.util.Arrays.copyOfRange(s, 1, s.length);
            String name = String.join(" ", s);
            String[] help = run(s[0], append(command, "--help"));
            assertEquals("0", help[0], name + " --help: " + help[2]);
            assertTrue(help[1].startsWith("Usage: jobs/" + name + " "), help[1]);
            assertTrue(help[1].endsWith(String.format(CommandLines.EXIT_CODES + "%n")), help[1]);
            assertEquals("", help[2], name + " --help");
            String[] bad = run(s[0], append(command, "--bogus"));
            assertEquals("2", bad[0], name + " --bogus: " + bad[2]);
            assertEquals("error: unknown option '--bogus'" + (command.length > 0 ? " for " + command[0] : "")
                    + " (see --help)\n", bad[2], name);
        }
        for (String script : new String[] {"import.sh", "model.sh"}) {
            String[] none = run(script);
            assertEquals("2", none[0], script + ": " + none[2]);
            assertTrue(none[2].startsWith("error: expected a command: ") && none[2].lines().count() == 1, none[2]);
            String[] unknown = run(script, "bogus");
            assertEquals("2", unknown[0], script + " bogus: " + unknown[2]);
            assertTrue(unknown[2].startsWith("error: unknown command 'bogus': expected "), unknown[2]);
        }
        String[] list = run("model.sh", "list");
        assertEquals("0", list[0], list[2]);
        assertTrue(list[1].startsWith("lenet5\n"), list[1]);
    }

    private static String[] append(String[] a, String last) {
        String[] b = java.util.Arrays.copyOf(a, a.length + 1);
        b[a.length] = last;
        return b;
    }
}
