package org.sparkcnn.spark;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.sparkcnn.io.Json;

/**
 * {@code metrics.jsonl} in the run folder: one JSON object per epoch. Many file systems cannot
 * append, so each epoch rewrites the small file through a temporary name and a rename. On resume,
 * lines of epochs after the checkpoint (from the interrupted run) are dropped.
 */
final class MetricsLog {
    private final FileSystem fs;
    private final Path file;
    private final List<String> lines = new ArrayList<>();

    MetricsLog(String outputDir, Configuration conf) throws IOException {
        this.file = new Path(outputDir, "metrics.jsonl");
        this.fs = file.getFileSystem(conf);
    }

    /** Keeps the existing lines of epochs up to {@code lastEpoch} (0 for a fresh run: none). */
    void keepUpTo(int lastEpoch) throws IOException {
        lines.clear();
        if (lastEpoch == 0 || !fs.exists(file)) {
            return;
        }
        try (BufferedReader r = new BufferedReader(new InputStreamReader(fs.open(file), StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (line.isBlank()) {
                    continue;
                }
                Object epoch = ((java.util.Map<?, ?>) Json.parse(line)).get("epoch");
                if (epoch instanceof Number && ((Number) epoch).intValue() <= lastEpoch) {
                    lines.add(line);
                }
            }
        } catch (RuntimeException e) {
            throw new IOException(file + ": not a metrics file of JSON lines (" + e.getMessage() + ")", e);
        }
    }

    void append(String jsonLine) throws IOException {
        lines.add(jsonLine);
        Path tmp = new Path(file.getParent(), "_tmp-metrics.jsonl");
        try (OutputStream out = fs.create(tmp, true)) {
            for (String l : lines) {
                out.write((l + "\n").getBytes(StandardCharsets.UTF_8));
            }
        }
        fs.delete(file, false);
        if (!fs.rename(tmp, file)) {
            throw new IOException("could not rename " + tmp + " to " + file);
        }
    }

    String path() {
        return file.toString();
    }
}
