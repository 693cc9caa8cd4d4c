package org.sparkcnn.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.sparkcnn.data.Dataset;
import org.sparkcnn.data.IdxFiles;
import org.sparkcnn.data.IdxReader;

/** Runs the jobs' mains as a user would, in this JVM or through jobs/*.sh, and looks at what they leave. */
final class JobRuns {
    /** What a run printed and its exit code. */
    record Result(int code, String out, String err) {
        /** The stderr lines, less the JVM's notice about the incubator module. */
        List<String> errLines() {
            return err.lines().filter(l -> !l.startsWith("WARNING: Using incubator modules")).toList();
        }

        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private JobRuns() {
    }

    /** A main's job run through {@link CliSpark#execute} in this JVM, its stdout and stderr captured. */
    static synchronized Result inJvm(CliSpark.Job job, String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = CliSpark.execute(args, job);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static Result train(String... args) {
        return inJvm(Train::run, args);
    }

    static Result importer(String... args) {
        return inJvm(Import::run, args);
    }

    /** The first {@code n} Fashion-MNIST images of a split as gzipped IDX files in {@code dir}: {images, labels}. */
    static Path[] fashionIdx(Path dir, String split, int n) throws IOException {
        String prefix = split.equals("test") ? "t10k" : "train";
        Files.createDirectories(dir);
        IdxReader.Idx images = IdxReader.read(Dataset.FASHION_DIR.resolve(prefix + "-images-idx3-ubyte.gz"), n);
        IdxReader.Idx labels = IdxReader.read(Dataset.FASHION_DIR.resolve(prefix + "-labels-idx1-ubyte.gz"), n);
        return new Path[] {IdxFiles.write(dir.resolve(prefix + "-images.gz"), images.data, images.dims),
            IdxFiles.write(dir.resolve(prefix + "-labels.gz"), labels.data, labels.dims)};
    }

    /** Every file under {@code root} (hidden ones too) with the SHA-256 of its bytes: equal maps, equal trees. */
    static Map<String, String> checksums(Path root) throws IOException {
        Map<String, String> sums = new TreeMap<>();
        if (!Files.exists(root)) {
            return sums;
        }
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.walk(root)) {
            s.filter(Files::isRegularFile).forEach(files::add);
        }
        for (Path f : files) {
            try {
                byte[] d = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f));
                sums.put(root.relativize(f).toString(), java.util.HexFormat.of().formatHex(d));
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
        return sums;
    }
}
