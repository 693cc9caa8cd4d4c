package org.sparkcnn.spark;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.sparkcnn.fs.Folders;
import org.sparkcnn.io.JsonText;

/**
 * {@code metrics.jsonl} in the run folder: one JSON object per epoch, a plain file people may read
 * and edit (no Hadoop {@code .crc} side file, none verified). The state of a run is its
 * checkpoint: each checkpoint carries the lines up to its epoch, and a resumed run rewrites the
 * file from them, so a hand-edited or damaged file never blocks a resume. Many file systems cannot
 * append, so each epoch rewrites the small file through a temporary name and a rename.
 */
final class MetricsLog {
    static final String FILE = "metrics.jsonl";
    /** The checkpoint metadata key holding the lines up to that checkpoint's epoch. */
    static final String META_KEY = "metrics";
    private final FileSystem fs;
    private final Path file;
    private final List<String> lines = new ArrayList<>();

    MetricsLog(String outputDir, Configuration conf) throws IOException {
        this.file = new Path(outputDir, FILE);
        this.fs = Folders.raw(file.getFileSystem(conf));
    }

    /**
     * Starts from the checkpoint's {@code history} after {@code lastEpoch} epochs (a fresh run: 0
     * and ""). Checkpoints written before the history was kept have none (null): then the file's
     * lines up to {@code lastEpoch} that parse are kept. A file that differs from what is kept is
     * saved beside under a new name, which is returned (else null): nothing the user wrote is lost.
     * A file that only lags behind the history (the driver died between the checkpoint and the
     * file) is brought up to date, with nothing set aside.
     */
    String restart(int lastEpoch, String history) throws IOException {
        lines.clear();
        String onDisk = fs.exists(file) ? read() : null;
        if (history != null) {
            history.lines().filter(l -> !l.isBlank()).forEach(lines::add);
        } else if (onDisk != null) {
            onDisk.lines().filter(l -> epochOf(l) >= 1 && epochOf(l) <= lastEpoch).forEach(lines::add);
        }
        if (lastEpoch == 0 || onDisk == null || onDisk.equals(history())) {
            return null;
        }
        if (history().startsWith(onDisk) && (onDisk.isEmpty() || onDisk.endsWith("\n"))) {
            write(); // the run stopped between its checkpoint and this file: only the newest lines are missing
            return null;
        }
        Path aside = new Path(file.getParent(), FILE + ".before-resume-" + Folders.random());
        if (!fs.rename(file, aside)) {
            throw new IOException("cannot move " + file + " aside to " + aside);
        }
        write();
        return aside.toString();
    }

    /** The epoch of a line, or -1 when it is not a JSON object with an integer epoch. */
    private static int epochOf(String line) {
        try {
            Object epoch = ((Map<?, ?>) JsonText.parse(line, FILE)).get("epoch");
            return epoch instanceof Integer ? (Integer) epoch : -1;
        } catch (RuntimeException e) {
            return -1;
        }
    }

    private String read() throws IOException {
        try (InputStream in = fs.open(file)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    void add(String jsonLine) {
        lines.add(jsonLine);
    }

    /** The file's content: every line so far, each ended by a newline. */
    String history() {
        StringBuilder sb = new StringBuilder();
        lines.forEach(l -> sb.append(l).append('\n'));
        return sb.toString();
    }

    void write() throws IOException {
        Folders.writeFile(fs, file, history().getBytes(StandardCharsets.UTF_8));
        fs.delete(new Path(file.getParent(), "." + FILE + ".crc"), false); // left by runs of earlier versions
        MetricsViews.write(fs, file.getParent(), lines);
    }

    String path() {
        return file.toString();
    }
}
