package org.sparkcnn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkcnn.spark.FashionSample;
import org.sparkcnn.spark.SparkTestSessions;

/**
 * Every notebook in notebooks/ runs to the end under {@code jupyter nbconvert --to notebook --execute}
 * against two small runs this test trains itself (one with validation data, one without), read
 * through SPARKCNN_RUN, and draws real figures: each executed notebook holds image outputs, no
 * errors, and says which runs it read. Without Jupyter the test fails naming the Debian packages.
 */
class NotebooksIT {
    private static final Path ROOT = Path.of("").toAbsolutePath();
    static final String PACKAGES = "python3-matplotlib python3-pandas python3-nbconvert python3-ipykernel jupyter-core"
            + " jupyter-nbconvert";
    @TempDir
    Path dir;

    @Test
    void everyNotebookPlotsRealRuns() throws Exception {
        requireJupyter();
        List<Path> notebooks;
        try (Stream<Path> s = Files.list(ROOT.resolve("notebooks"))) {
            notebooks = s.filter(p -> p.toString().endsWith(".ipynb")).sorted().toList();
        }
        assertTrue(notebooks.size() >= 5, "notebooks found: " + notebooks);

        SparkSession spark = SparkTestSessions.local(2, Map.of());
        String train, test;
        try {
            train = FashionSample.write(spark, dir.resolve("train"), "train", 300, 2);
            test = FashionSample.write(spark, dir.resolve("test"), "test", 100, 1);
        } finally {
            spark.stop();
        }
        String run = dir.resolve("runs/small").toString(), noval = dir.resolve("runs/noval").toString();
        JobRuns.Result t = JobRuns.train("--set", "train=" + train, "--set", "validation=" + test, "--set",
                "output=" + run, "--set", "model=lenet5", "--set", "epochs=2", "--set", "batchSize=32", "--set",
                "learningRate=0.05", "--set", "partitions=2", "--set", "master=local[2]");
        assertEquals(0, t.code(), t.toString());
        JobRuns.Result u = JobRuns.train("--set", "train=" + train, "--set", "output=" + noval, "--set", "model=lenet5",
                "--set", "epochs=1", "--set", "batchSize=32", "--set", "partitions=2", "--set", "master=local[2]");
        assertEquals(0, u.code(), u.toString());

        Path executed = Files.createDirectories(dir.resolve("executed"));
        List<String> cmd = new ArrayList<>(List.of("jupyter", "nbconvert", "--to", "notebook", "--execute",
                "--ExecutePreprocessor.timeout=300", "--output-dir", executed.toString()));
        notebooks.forEach(n -> cmd.add(n.toString()));
        Run r = run(cmd, Map.of("SPARKCNN_RUN", run + File.pathSeparator + noval));
        assertEquals(0, r.code, "jupyter nbconvert failed:\n" + r.output);

        ObjectMapper json = new ObjectMapper();
        for (Path n : notebooks) {
            String name = n.getFileName().toString();
            JsonNode nb = json.readTree(executed.resolve(name).toFile());
            int images = 0;
            StringBuilder text = new StringBuilder();
            for (JsonNode cell : nb.get("cells")) {
                for (JsonNode out : cell.path("outputs")) {
                    assertTrue(!out.path("output_type").asText().equals("error"), name + ": " + out);
                    if (out.path("data").has("image/png")) {
                        images++;
                        assertTrue(out.path("data").get("image/png").asText().length() > 2000, name + ": an empty figure");
                    }
                    out.path("text").forEach(line -> text.append(line.asText()));
                    out.path("data").path("text/plain").forEach(line -> text.append(line.asText()));
                }
            }
            assertTrue(images >= 1, name + " drew no figure");
            assertTrue(text.toString().contains("runs: " + Path.of(run).toRealPath() + ", " + Path.of(noval).toRealPath()),
                    name + " did not read the two runs:\n" + text);
            if (name.equals("accuracy.ipynb")) {
                assertTrue(text.toString().contains("final accuracy %") && text.toString().contains("gap to 1 partition"),
                        name + " printed no accuracy table:\n" + text);
            }
            if (name.equals("filters.ipynb")) {
                assertEquals(2, images, "one sheet of filters per run");
            }
            if (name.equals("confusion-matrix.ipynb") || name.equals("misclassified.ipynb")) {
                assertTrue(text.toString().contains("noval: no "), name + " names the run without validation:\n" + text);
            }
        }
    }

    /** Fails, naming the packages, when there is no jupyter nbconvert on the PATH. */
    private void requireJupyter() throws InterruptedException {
        String missing = "the notebooks need Jupyter: apt-get install -y " + PACKAGES;
        try {
            Run r = run(List.of("jupyter", "nbconvert", "--version"), Map.of());
            if (r.code != 0) {
                fail(missing + " (jupyter nbconvert --version exited " + r.code + ": " + r.output.strip() + ")");
            }
        } catch (IOException e) {
            fail(missing + " (" + e.getMessage() + ")");
        }
    }

    private record Run(int code, String output) {
    }

    private Run run(List<String> cmd, Map<String, String> env) throws IOException, InterruptedException {
        Path log = Files.createTempFile(dir, "jupyter", ".txt");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(ROOT.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().putAll(env);
        pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");   // no __pycache__ in notebooks/
        pb.environment().put("PYDEVD_DISABLE_FILE_VALIDATION", "1");
        Process p = pb.start();
        if (!p.waitFor(600, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(String.join(" ", cmd) + " did not finish in 600 s");
        }
        return new Run(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    }
}
