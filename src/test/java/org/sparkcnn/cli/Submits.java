package org.sparkcnn.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The job scripts run as a user runs them, through a spark-submit made of the build's Spark jars. */
final class Submits {
    static final Path ROOT = Path.of("").toAbsolutePath();

    private Submits() {
    }

    /**
     * A spark-submit as Spark's bin/spark-submit is: Spark's launcher builds the driver's command
     * (class path, --driver-java-options, spark.driver.extraJavaOptions, memory, module flags), and
     * it is executed, on a Spark home made of the build's Spark jars alone.
     */
    static Path fakeSparkSubmit(Path dir) throws IOException {
        Path jars = Files.createDirectories(dir.resolve("spark-home/jars"));
        for (String jar : Files.readString(ROOT.resolve("target/classpath.txt")).trim().split(":")) {
            if (!jar.contains("picocli") && !jar.contains("tribuo")) {
                Path link = jars.resolve(Path.of(jar).getFileName());
                if (Files.notExists(link)) {
                    Files.createSymbolicLink(link, Path.of(jar));
                }
            }
        }
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path script = bin.resolve("spark-submit");
        Files.writeString(script, String.join("\n", "#!/usr/bin/env bash",
                "echo \"$*\" >> " + dir.resolve("submitted.txt"),
                "export SPARK_HOME=" + jars.getParent() + " SPARK_SCALA_VERSION=2.13",
                "cmd=$(mktemp)",
                // the launcher prints its messages, a NUL and a newline, then the command's NUL-separated words
                "java -Xmx128m -cp \"$SPARK_HOME/jars/*\" org.apache.spark.launcher.Main org.apache.spark.deploy.SparkSubmit"
                        + " \"$@\" > \"$cmd\" || exit $?",
                "words=(); first=true",
                "while IFS= read -d '' -r w; do",
                "  if $first; then first=false; [ -n \"$w\" ] && printf '%s\\n' \"$w\" >&2; continue; fi",
                "  words+=(\"${w#$'\\n'}\")",
                "done < \"$cmd\"",
                "rm -f \"$cmd\"",
                "exec \"${words[@]}\"", ""));
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return bin;
    }

    static JobScriptsTest.Run script(Path dir, Path path, boolean local, Map<String, String> env, String name, String... args)
            throws IOException, InterruptedException {
        Path out = Files.createTempFile(dir, "out", ".txt"), err = Files.createTempFile(dir, "err", ".txt");
        Process p = start(dir, path, local, env, out, err, name, args);
        assertTrue(p.waitFor(600, TimeUnit.SECONDS), name + " did not finish");
        return finished(p, out, err);
    }

    /** {@link #script} started in {@code dir} and not waited for; its output goes to {@code out} and {@code err}. */
    static Process start(Path dir, Path path, boolean local, Map<String, String> env, Path out, Path err, String name,
            String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("bash", ROOT.resolve("jobs/" + name).toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectOutput(out.toFile())
                .redirectError(err.toFile());
        pb.environment().put("PATH", path + ":" + System.getenv("PATH"));
        pb.environment().remove("SPARK_HOME");
        pb.environment().put("JAVA_OPTS", "-Xmx1g");
        if (local) {
            pb.environment().put("SPARKCNN_LOCAL", "1");
        }
        pb.environment().putAll(env);
        return pb.start();
    }

    /** What a process of {@link #start} left once it ended. */
    static JobScriptsTest.Run finished(Process p, Path out, Path err) throws IOException {
        return new JobScriptsTest.Run(p.exitValue(), Files.readAllLines(out, StandardCharsets.UTF_8),
                Files.readAllLines(err, StandardCharsets.UTF_8), java.util.Set.of());
    }
}
