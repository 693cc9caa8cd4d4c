package org.sparkcnn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Dependencies point one way: the engine and the local trainer never import Spark or Hadoop (they
 * compile against the JDK alone); only fs, data.parquet, spark and cli may.
 */
class ArchitectureTest {
    private static final Path SRC = Path.of("src/main/java/org/sparkcnn");
    private static final List<String> SPARK_FREE = List.of("tensor", "kernel", "layer", "block", "model", "optim",
            "train", "data", "io", "reference", "util", "onnx");

    @Test
    void engineAndLocalTrainingImportNoSpark() throws IOException {
        List<String> offenders = new ArrayList<>();
        int files = 0;
        for (String pkg : SPARK_FREE) {
            // data's own files only: data.parquet is the Spark side of data reading
            try (Stream<Path> s = Files.list(SRC.resolve(pkg))) {
                for (Path f : (Iterable<Path>) s.filter(p -> p.toString().endsWith(".java"))::iterator) {
                    files++;
                    String text = Files.readString(f);
                    if (text.contains("org.apache.spark") || text.contains("org.apache.hadoop")
                            || text.contains("scala.")) {
                        offenders.add(SRC.relativize(f).toString());
                    }
                }
            }
        }
        assertTrue(files > 50, "the scan found only " + files + " files: wrong source root?");
        assertEquals(List.of(), offenders, "Spark-free packages that mention Spark, Hadoop or Scala");
    }

    /**
     * No Java deserialization in main code: a model, checkpoint or stage file is parsed field by
     * field and checked (docs/model-files.md), never handed to ObjectInputStream, which would run
     * code chosen by whoever wrote the file. (Spark's own task closures are Spark's business.)
     */
    @Test
    void mainCodeNeverDeserializesJavaObjects() throws IOException {
        List<String> offenders = new ArrayList<>();
        try (Stream<Path> s = Files.walk(SRC)) {
            for (Path f : (Iterable<Path>) s.filter(p -> p.toString().endsWith(".java"))::iterator) {
                String text = Files.readString(f);
                if (text.contains("ObjectInputStream") || text.contains("readObject")) {
                    offenders.add(SRC.relativize(f).toString());
                }
            }
        }
        assertEquals(List.of(), offenders, "main code that deserializes Java objects");
    }

    /** Nothing below the Spark trainer uses it or the mains (the registry is below it: the trainer resolves registry: paths); the trainer does not use the mains. */
    @Test
    void dependenciesPointOneWay() throws IOException {
        List<String> offenders = new ArrayList<>();
        List<String> below = new ArrayList<>(SPARK_FREE);
        below.add("fs");
        below.add("data/parquet");
        below.add("spark");
        below.add("registry");
        for (String pkg : below) {
            try (Stream<Path> s = Files.list(SRC.resolve(pkg))) {
                for (Path f : (Iterable<Path>) s.filter(p -> p.toString().endsWith(".java"))::iterator) {
                    String text = Files.readString(f);
                    boolean usesTrainer = !pkg.equals("spark") && text.contains("org.sparkcnn.spark.");
                    if (usesTrainer || text.contains("org.sparkcnn.cli.")) {
                        offenders.add(SRC.relativize(f).toString());
                    }
                }
            }
        }
        assertEquals(List.of(), offenders, "files that depend on a layer above their own");
    }
}
