package org.sparkcnn.fs;

import java.io.IOException;
import java.util.UUID;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Replacing a folder without losing it: the replacement is written beside it under a hidden name,
 * and only once complete takes its place. Also the plain local file system, for files people edit.
 */
public final class Folders {
    private Folders() {
    }

    /**
     * {@code fs} without Hadoop's checksummed local layer: that layer writes {@code .crc} side files
     * and then refuses a file edited by hand ("Checksum error"), and on a checksum error it moves the
     * file into a {@code bad_files} folder at the top of the disk.
     */
    public static FileSystem raw(FileSystem fs) {
        return fs instanceof LocalFileSystem ? ((LocalFileSystem) fs).getRaw() : fs;
    }

    /**
     * A new, not yet existing sibling of {@code target} to write its replacement in:
     * {@code <parent>/.<name>.<purpose>-<random>}. Hidden, so Spark and Hadoop readers of the parent
     * skip it. Leftovers of earlier attempts that crashed are removed first: one writer per target.
     */
    public static Path staging(FileSystem fs, Path target, String purpose) throws IOException {
        Path parent = target.getParent();
        if (parent == null) {
            throw new IllegalArgumentException("cannot replace the root of a file system: " + target);
        }
        String prefix = "." + target.getName() + "." + purpose + "-";
        if (fs.exists(parent)) {
            for (FileStatus s : fs.listStatus(parent)) {
                if (s.getPath().getName().startsWith(prefix)) {
                    fs.delete(s.getPath(), true);
                }
            }
        }
        return new Path(parent, prefix + random());
    }

    /**
     * Puts the complete folder {@code staged} in place of {@code target}: an existing target is
     * moved aside to {@code aside} (rename would nest into it), {@code staged} renamed into place,
     * and the old one deleted. If the rename fails the old one is put back, so {@code target} is
     * always either the old or the new folder.
     */
    public static void replace(FileSystem fs, Path staged, Path target, Path aside) throws IOException {
        boolean existed = fs.exists(target);
        if (existed && !fs.rename(target, aside)) {
            throw new IOException("cannot move " + target + " aside to " + aside + " to replace it");
        }
        if (!fs.rename(staged, target)) {
            if (existed && !fs.rename(aside, target)) {
                throw new IOException("cannot rename " + staged + " to " + target + ", nor put the old one back from "
                        + aside);
            }
            throw new IOException("cannot rename " + staged + " to " + target);
        }
        if (existed) {
            fs.delete(aside, true);
        }
    }

    /** {@link #replace} with the old folder moved aside to a hidden sibling. */
    public static void replace(FileSystem fs, Path staged, Path target) throws IOException {
        replace(fs, staged, target, new Path(target.getParent(), "." + target.getName() + ".old-" + random()));
    }

    /** Schemes whose rename copies object by object: renaming buys no atomicity, only time. */
    private static final java.util.Set<String> COPYING_RENAME = java.util.Set.of("s3a", "s3", "gs", "abfs", "abfss", "wasb",
            "wasbs", "oss");

    /** Whether {@code fs} renames by copying (object stores), so that a rename is neither atomic nor cheap. */
    public static boolean renameCopies(FileSystem fs) {
        return COPYING_RENAME.contains(fs.getUri().getScheme());
    }

    /**
     * Writes {@code bytes} as the file {@code target} so that a reader finds the old file or the
     * whole new one, and never none: a hidden sibling replaces it in one rename that overwrites
     * (POSIX rename locally, HDFS's rename-with-overwrite); on object stores, whose single PUT is
     * atomic, the file is written in place. For metrics, reports and pointers that readers poll.
     */
    public static void writeFile(FileSystem fileSystem, Path target, byte[] bytes) throws IOException {
        FileSystem fs = raw(fileSystem); // no .crc side files to keep in step
        if (renameCopies(fs)) {
            try (java.io.OutputStream out = fs.create(target, true)) {
                out.write(bytes);
            }
            return;
        }
        Path staged = staging(fs, target, "write");
        try {
            try (java.io.OutputStream out = fs.create(staged, false)) {
                out.write(bytes);
            }
            if (fs instanceof org.apache.hadoop.fs.RawLocalFileSystem local) {
                java.nio.file.Files.move(local.pathToFile(staged).toPath(), local.pathToFile(target).toPath(),
                        java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            } else {
                org.apache.hadoop.fs.FileContext.getFileContext(fs.getUri(), fs.getConf()).rename(staged, target,
                        org.apache.hadoop.fs.Options.Rename.OVERWRITE);
            }
        } finally {
            if (fs.exists(staged)) {
                fs.delete(staged, false);
            }
        }
        // a checksum Hadoop's local layer wrote for an earlier version would now refuse the file
        Path crc = new Path(target.getParent(), "." + target.getName() + ".crc");
        if (fileSystem != fs && fs.exists(crc)) {
            fs.delete(crc, false);
        }
    }

    public static String random() {
        return UUID.randomUUID().toString().substring(0, 8);
    }
}
