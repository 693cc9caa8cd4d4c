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
 * The shell scripts that parse their own options answer --help (usage on stdout, exit 0) and a bad
 * option (usage on stderr, exit 2) before ensure_built, so neither runs a nested Maven build.
 */
class ScriptHelpTest {
    /** Exit status, stdout and stderr of {@code bash jobs/SCRIPT ARG}, run in the project folder. */
    private static String[] run(String script, String arg) throws IOException, InterruptedException {
        Path root = Path.of(System.getProperty("basedir", ".")).toAbsolutePath();
        Path out = Files.createTempFile("script", ".out"), err = Files.createTempFile("script", ".err");
        try {
            Process p = new ProcessBuilder("bash", "jobs/" + script, arg).directory(root.toFile())
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), script + " " + arg + " did not return within 60 s");
            return new String[] {Integer.toString(p.exitValue()), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8)};
        } finally {
            Files.delete(out);
            Files.delete(err);
        }
    }

    @Test
    void referenceCheckAndCompareSparkAnswerHelpAndRefuseBadOptions() throws IOException, InterruptedException {
        for (String script : new String[] {"reference-check.sh", "compare-spark.sh"}) {
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
}
