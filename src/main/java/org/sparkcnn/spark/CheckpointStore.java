package org.sparkcnn.spark;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.sparkcnn.io.ModelFile;
import org.sparkcnn.io.ModelFileException;

/**
 * Training checkpoints in {@code <dir>/epoch-NNNN/} ({@code state.bin}, a {@link ModelFile}, and
 * {@code _MANIFEST.json}) on any Hadoop file system, each visible only once complete, so a crash
 * mid-save never leaves a checkpoint that resuming would trust (docs/model-files.md).
 * One writer per directory.
 */
public final class CheckpointStore {
    /** Writes a file's content; the stream is closed by the store. */
    @FunctionalInterface
    public interface IOWriter {
        void write(OutputStream out) throws IOException;
    }

    /** A complete, valid checkpoint: {@code epoch} epochs were done when it was saved. */
    public record Checkpoint(int epoch, String path, ModelFile file) {
    }

    static final String STATE = "state.bin";
    static final String MODEL = "model.bin";
    private static final Pattern EPOCH = Pattern.compile("epoch-(\\d{4,9})");

    private final Path dir;
    private final FileSystem fs;
    private final boolean atomicRename;

    /** {@code dir} is a Hadoop URI or a plain path (on the default file system), e.g. {@code <output>/checkpoints}. */
    public CheckpointStore(String dir, Configuration conf) throws IOException {
        this(dir, conf, null);
    }

    /** {@code atomicRename} null: decided by the scheme; tests force the object-store path with false. */
    CheckpointStore(String dir, Configuration conf, Boolean atomicRename) throws IOException {
        Path p = new Path(dir);
        this.fs = ManifestDir.fs(p, conf);
        this.dir = fs.makeQualified(p);
        this.atomicRename = atomicRename != null ? atomicRename : ManifestDir.renameIsAtomic(fs);
    }

    static String name(int epoch) {
        return String.format("epoch-%04d", epoch);
    }

    /** Saves the checkpoint after {@code epoch} (1-based) epochs, replacing one of the same epoch; returns its path. */
    public String save(int epoch, IOWriter writer) throws IOException {
        if (epoch < 1) {
            throw new IllegalArgumentException("checkpoint epoch must be at least 1, got " + epoch);
        }
        return ManifestDir.write(fs, new Path(dir, name(epoch)), STATE, writer, atomicRename, "epoch-",
                "checkpoint-writing-" + epoch).toString();
    }

    /**
     * The newest complete and valid checkpoint, or empty when there is none (or no directory).
     * Each newer one that is incomplete or corrupt is passed to {@code report} as one line and skipped.
     */
    public Optional<Checkpoint> newest(Consumer<String> report) throws IOException {
        for (var e : epochs().entrySet()) {
            try {
                return Optional.of(checked(e.getKey(), e.getValue()));
            } catch (ModelFileException bad) {
                report.accept("skipping checkpoint " + e.getValue().getName() + ": "
                        + bad.getMessage().replace('\n', ' '));
            }
        }
        return Optional.empty();
    }

    /**
     * Deletes complete checkpoints (those with a manifest) beyond the newest {@code n}; 0 keeps all.
     * The newest valid one is kept even when newer ones are corrupt. Incomplete ones are left alone.
     */
    public void keepNewest(int n) throws IOException {
        keep(n, java.util.Set.of());
    }

    /**
     * {@link #keepNewest} that also keeps the checkpoints of the epochs in {@code also} (keepBest:
     * the best by the monitored metric). With {@code n} = 0 all are kept.
     */
    public void keep(int n, java.util.Set<Integer> also) throws IOException {
        if (n < 0) {
            throw new IllegalArgumentException("checkpoints to keep must be >= 0, got " + n);
        }
        if (n == 0) {
            return;
        }
        int newestValid = newest(line -> { }).map(Checkpoint::epoch).orElse(-1);
        int rank = 0;
        for (var e : epochs().entrySet()) {
            if (!fs.exists(new Path(e.getValue(), ManifestDir.MANIFEST)) || rank++ < n || e.getKey() == newestValid
                    || also.contains(e.getKey())) {
                continue;
            }
            if (!fs.delete(e.getValue(), true)) {
                throw new IOException("cannot delete old checkpoint " + e.getValue());
            }
        }
    }

    /** The checkpoint after {@code epoch} epochs, checked against its manifest; empty when there is none. */
    public Optional<Checkpoint> read(int epoch) throws IOException {
        Path p = epochs().get(epoch);
        return p == null ? Optional.empty() : Optional.of(checked(epoch, p));
    }

    /**
     * The checkpoint in {@code p}, checked against its manifest and against its folder's epoch: a
     * whole checkpoint folder's content copied or moved under another epoch's name has a valid
     * manifest, but its state says which epoch it is (files without an epoch, written before
     * checkpoints carried it, are taken as they are).
     */
    private Checkpoint checked(int epoch, Path p) throws IOException {
        ModelFile f = ManifestDir.read(fs, p, STATE);
        String saved = f.meta().get("epoch");
        if (saved != null && !saved.equals(Integer.toString(epoch))) {
            throw new ModelFileException(f.source(), "holds the state after epoch " + saved + ", but its folder is "
                    + name(epoch) + ": moved or copied from another checkpoint");
        }
        return new Checkpoint(epoch, p.toString(), f);
    }

    /** Checkpoint directories by epoch, newest first; temporaries and other files are not among them. */
    private TreeMap<Integer, Path> epochs() throws IOException {
        TreeMap<Integer, Path> found = new TreeMap<>((a, b) -> Integer.compare(b, a));
        FileStatus[] list;
        try {
            list = fs.listStatus(dir);
        } catch (FileNotFoundException e) {
            return found;
        }
        for (FileStatus s : list) {
            Matcher m = EPOCH.matcher(s.getPath().getName());
            if (s.isDirectory() && m.matches() && s.getPath().getName().equals(name(Integer.parseInt(m.group(1))))) {
                found.put(Integer.parseInt(m.group(1)), s.getPath());
            }
        }
        return found;
    }

    /** Writes the final model to {@code <dir>/model.bin} with a manifest, as atomically as a checkpoint; returns dir. */
    public static String writeModel(String dir, Configuration conf, IOWriter writer) throws IOException {
        Path p = new Path(dir);
        FileSystem fs = ManifestDir.fs(p, conf);
        p = fs.makeQualified(p);
        if (p.getParent() == null) {
            throw new IllegalArgumentException("the model directory cannot be the root of a file system: " + p);
        }
        return ManifestDir.write(fs, p, MODEL, writer, ManifestDir.renameIsAtomic(fs), p.getName() + "-", null)
                .toString();
    }

    /** The model written by {@link #writeModel}, checked against its manifest. */
    public static ModelFile readModel(String dir, Configuration conf) throws IOException {
        Path p = new Path(dir);
        FileSystem fs = ManifestDir.fs(p, conf);
        return ManifestDir.read(fs, fs.makeQualified(p), MODEL);
    }
}
