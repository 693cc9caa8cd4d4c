package org.sparkcnn.spark;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.sparkcnn.fs.Folders;

/**
 * The folder of one training run ({@code output}): {@code model/}, {@code checkpoints/},
 * {@code metrics.jsonl}, {@code logs/}; and how a run starts in it. Deciding reads only, so a
 * refused start changes nothing on disk (docs/distributed.md, "Resuming and replacing a run").
 */
public final class RunFolder {
    /** The parts whose presence means the folder holds a run. */
    static final List<String> RUN_PARTS = List.of("model", "checkpoints", "metrics.jsonl");

    /** How the job was asked to start: fresh, {@code --resume}, or {@code --resume=auto}. */
    public enum Resume {
        NO, YES, AUTO
    }

    /**
     * Where a run writes ({@code dir}), the checkpoint it continues (or none), and the earlier run
     * it replaces once it completes ({@code replaces}, null unless {@code --overwrite} started afresh
     * over one: then {@code dir} is a hidden sibling, so the earlier run stays whole until then);
     * {@code skipped}: one line for each newer checkpoint that could not be used, for the user.
     */
    public record Start(String dir, Optional<CheckpointStore.Checkpoint> checkpoint, String replaces,
                        List<String> skipped) {
        public static Start fresh(String output) {
            return new Start(output, Optional.empty(), null, List.of());
        }
    }

    private RunFolder() {
    }

    /**
     * How a run asked to start in {@code output} starts, or an IllegalArgumentException saying why
     * it cannot: a fresh run over an earlier one without {@code overwrite}; {@code --resume} with no
     * usable checkpoint (each skipped one is named with its fault).
     */
    public static Start plan(String output, Resume resume, boolean overwrite, Configuration conf) throws IOException {
        if (resume == Resume.YES && overwrite) {
            throw new IllegalArgumentException("--resume and --overwrite contradict each other: --resume=auto --overwrite "
                    + "resumes when a checkpoint can be used and replaces the run otherwise");
        }
        Path out = new Path(output);
        FileSystem fs = Folders.raw(out.getFileSystem(conf));
        if (resume != Resume.NO) {
            List<String> skipped = new ArrayList<>();
            Optional<CheckpointStore.Checkpoint> c = new CheckpointStore(output + "/checkpoints", conf).newest(skipped::add);
            if (c.isPresent()) {
                return new Start(output, c, null, skipped);
            }
            if (resume == Resume.YES) {
                throw new IllegalArgumentException("cannot resume: no usable checkpoint under " + output + "/checkpoints ("
                        + (skipped.isEmpty() ? "none found" : String.join("; ", skipped)) + "); nothing was changed");
            }
        }
        String part = earlierRun(fs, out);
        if (part == null) {
            return Start.fresh(output);
        }
        if (!overwrite) {
            throw new IllegalArgumentException("output " + output + " already holds a run (" + part + ")"
                    + (resume == Resume.AUTO ? " and no usable checkpoint" : "") + ": continue it with --resume, replace it "
                    + "with --overwrite, or choose another output (--set output=...)");
        }
        return new Start(fs.makeQualified(Folders.staging(fs, fs.makeQualified(out), "overwrite")).toString(),
                Optional.empty(), output, List.of());
    }

    /** The first part of an earlier run found in {@code out}, or null when it holds none. */
    static String earlierRun(FileSystem fs, Path out) throws IOException {
        for (String part : RUN_PARTS) {
            Path p = new Path(out, part);
            if (fs.exists(p) && !(fs.getFileStatus(p).isDirectory() && fs.listStatus(p).length == 0)) {
                return part;
            }
        }
        return null;
    }

    /** Puts a completed run that was trained beside the earlier one in its place. */
    static void finish(Start start, Configuration conf) throws IOException {
        if (start.replaces() == null) {
            return;
        }
        Path target = new Path(start.replaces());
        FileSystem fs = Folders.raw(target.getFileSystem(conf));
        Folders.replace(fs, new Path(start.dir()), fs.makeQualified(target));
    }
}
