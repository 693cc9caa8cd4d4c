package org.sparkcnn.spark;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.FileNotFoundException;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.sparkcnn.fs.Folders;
import org.sparkcnn.io.JsonText;
import org.sparkcnn.io.ModelFile;
import org.sparkcnn.io.ModelFileException;

/**
 * A directory holding one {@link ModelFile} and {@code _MANIFEST.json} (each file's length,
 * CRC32 and CRC32C), written so that readers never take a half-written one for complete: through a
 * temporary directory renamed into place, or, where rename is a copy (object stores), in place
 * with the manifest last. Complete means: the manifest exists and every file matches it.
 */
final class ManifestDir {
    static final String MANIFEST = "_MANIFEST.json";
    private static final int MAX_MANIFEST = 1 << 20;
    private static final Set<String> ENTRY_KEYS = Set.of("name", "length", "crc32", "crc32c");

    private ManifestDir() {
    }

    /**
     * The file system of {@code p}. Hadoop's checksummed local file system is unwrapped: on a
     * checksum error it moves the file into a {@code bad_files} directory at the top of the disk,
     * and the manifest's CRCs already do its job (so no {@code .crc} sidecars are written either).
     */
    static FileSystem fs(Path p, Configuration conf) throws IOException {
        return Folders.raw(p.getFileSystem(conf));
    }

    static boolean renameIsAtomic(FileSystem fs) {
        return !Folders.renameCopies(fs);
    }

    static void mkdirs(FileSystem fs, Path dir) throws IOException {
        boolean made;
        try {
            made = fs.mkdirs(dir);
        } catch (IOException e) {
            throw new IOException("cannot create directory " + dir + ": " + e.getMessage(), e);
        }
        if (!made) {
            throw new IOException("cannot create directory " + dir);
        }
    }

    /**
     * Writes {@code target/fileName}, then the manifest; {@code target} replaces an existing one only
     * once the new one is complete. Leftovers of crashed writes ({@code _tmp-<stem>…},
     * {@code _old-<stem>…} beside it) are removed first: one writer per directory. {@code point}
     * (or null) names the moment between the file and its manifest for {@code pause:POINT} faults
     * (docs/reliability.md).
     */
    static Path write(FileSystem fs, Path target, String fileName, CheckpointStore.IOWriter writer,
            boolean atomicRename, String stem, String point) throws IOException {
        Path parent = target.getParent();
        mkdirs(fs, parent);
        for (FileStatus s : fs.listStatus(parent)) {
            String n = s.getPath().getName();
            if (n.startsWith("_tmp-" + stem) || n.startsWith("_old-" + stem)) {
                fs.delete(s.getPath(), true);
            }
        }
        if (!atomicRename && !fs.exists(target)) {
            try {
                writeFiles(fs, target, fileName, writer, point);
            } catch (IOException | RuntimeException e) {
                deleteAfter(fs, target, e);
                throw e;
            }
            return target;
        }
        Path tmp = new Path(parent, "_tmp-" + target.getName() + "-" + Folders.random());
        try {
            writeFiles(fs, tmp, fileName, writer, point);
            commit(fs, tmp, target);
        } catch (IOException | RuntimeException e) {
            deleteAfter(fs, tmp, e);
            throw e;
        }
        return target;
    }

    /** Removes what a failed write left, keeping the write's error as the one reported. */
    private static void deleteAfter(FileSystem fs, Path p, Exception failure) {
        try {
            fs.delete(p, true);
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }

    /** Renames {@code tmp} to {@code target}; an existing target is moved aside first and deleted after. */
    private static void commit(FileSystem fs, Path tmp, Path target) throws IOException {
        Folders.replace(fs, tmp, target, new Path(target.getParent(), "_old-" + target.getName() + "-" + Folders.random()));
    }

    private static void writeFiles(FileSystem fs, Path dir, String fileName, CheckpointStore.IOWriter writer,
            String point) throws IOException {
        mkdirs(fs, dir);
        Sink sink;
        try (FSDataOutputStream out = fs.create(new Path(dir, fileName), false)) {
            sink = new Sink(out);
            writer.write(sink);
            sink.flush();
        }
        org.sparkcnn.util.Faults.driver().pause(point); // the file whole, its manifest not yet written
        ObjectNode manifest = JsonText.object().put("format", 1);
        manifest.putArray("files").addObject().put("name", fileName).put("length", sink.length)
                .put("crc32", sink.crc.getValue()).put("crc32c", sink.crc32c.getValue());
        try (FSDataOutputStream out = fs.create(new Path(dir, MANIFEST), false)) {
            out.write((JsonText.write(manifest) + "\n").getBytes(StandardCharsets.UTF_8));
        }
    }

    /** Counts and checksums what the writer writes; close() only flushes, as the stream is ours to close. */
    private static final class Sink extends FilterOutputStream {
        final CRC32 crc = new CRC32();
        final CRC32C crc32c = new CRC32C();
        long length;

        Sink(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            crc.update(b);
            crc32c.update(b);
            length++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            crc.update(b, off, len);
            crc32c.update(b, off, len);
            length += len;
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }

    /**
     * The ModelFile in {@code dir}, after checking the manifest, lengths and CRCs. A missing,
     * incomplete or corrupt directory is a {@link ModelFileException} naming it and the problem;
     * other I/O errors (an unreachable file system) propagate as they are.
     */
    static ModelFile read(FileSystem fs, Path dir, String fileName) throws IOException {
        String where = dir.toString();
        Path manifestPath = new Path(dir, MANIFEST);
        if (!fs.exists(dir)) {
            throw new ModelFileException(where, "no such directory");
        }
        byte[] text;
        try (InputStream in = fs.open(manifestPath)) {
            text = in.readNBytes(MAX_MANIFEST + 1);
        } catch (FileNotFoundException e) {
            throw new ModelFileException(where, "incomplete: its manifest " + MANIFEST + " is missing");
        }
        if (text.length > MAX_MANIFEST) {
            throw new ModelFileException(where, MANIFEST + " is over " + MAX_MANIFEST + " bytes: corrupt");
        }
        Map<String, long[]> files = manifest(where, new String(text, StandardCharsets.UTF_8));
        if (!files.containsKey(fileName)) {
            throw new ModelFileException(where, MANIFEST + " does not list " + fileName);
        }
        ModelFile model = null;
        for (Map.Entry<String, long[]> f : files.entrySet()) {
            ModelFile m = check(fs, new Path(dir, f.getKey()), f.getValue(), f.getKey().equals(fileName), where);
            model = m != null ? m : model;
        }
        return model;
    }

    /** Compares one file with its manifest entry; parses it as a ModelFile if {@code parse}. */
    private static ModelFile check(FileSystem fs, Path p, long[] entry, boolean parse, String where)
            throws IOException {
        long length = entry[0], crc = entry[1], crc32c = entry[2];
        FileStatus st;
        try {
            st = fs.getFileStatus(p);
        } catch (FileNotFoundException e) {
            throw new ModelFileException(where, "incomplete: " + p.getName() + ", listed in " + MANIFEST + ", is missing");
        }
        if (st.getLen() != length) {
            throw new ModelFileException(where, "incomplete or truncated: " + p.getName() + " holds " + st.getLen()
                    + " bytes, its " + MANIFEST + " says " + length);
        }
        ModelFile model = null;
        ModelFileException bad = null;
        CRC32 sum = new CRC32();
        CRC32C sumC = new CRC32C();
        // one pass: parse while checksumming, so a large checkpoint on an object store is fetched once
        try (CheckedInputStream in = new CheckedInputStream(new CheckedInputStream(fs.open(p), sumC), sum)) {
            if (parse) {
                try {
                    model = ModelFile.read(in, p.toString(), st.getLen()); // sizes checked before allocating
                } catch (ModelFileException e) {
                    bad = e;
                }
            }
            in.transferTo(OutputStream.nullOutputStream());
        }
        if (sum.getValue() != crc) { // the more basic fault: report it rather than what it broke
            throw new ModelFileException(where, String.format("corrupt: the CRC32 of %s is %08x, its " + MANIFEST
                    + " says %08x", p.getName(), sum.getValue(), crc));
        }
        if (crc32c >= 0 && sumC.getValue() != crc32c) {
            throw new ModelFileException(where, String.format("corrupt, or its files come from different saves: the"
                    + " CRC32C of %s is %08x, its " + MANIFEST + " says %08x", p.getName(), sumC.getValue(), crc32c));
        }
        if (bad != null) {
            throw bad;
        }
        return model;
    }

    /**
     * {name: {length, crc32, crc32c (-1 when absent)}} from the manifest's JSON, every field checked.
     * CRC32C tells valid model files apart: their CRC32 is always 2144df1c, since each ends with the
     * CRC32 of what precedes it. Manifests written before it was added (no crc32c) still read.
     */
    private static Map<String, long[]> manifest(String where, String text) throws ModelFileException {
        Object doc;
        try {
            doc = JsonText.parse(text, MANIFEST);
        } catch (IllegalArgumentException e) {
            throw new ModelFileException(where, "corrupt manifest: " + e.getMessage());
        }
        Object list = doc instanceof Map ? ((Map<?, ?>) doc).get("files") : null;
        if (!(list instanceof List) || !Integer.valueOf(1).equals(((Map<?, ?>) doc).get("format"))) {
            throw new ModelFileException(where, "corrupt manifest: " + MANIFEST + ": expected {\"format\":1,\"files\":[…]}");
        }
        Map<String, long[]> files = new LinkedHashMap<>();
        for (Object o : (List<?>) list) {
            Map<?, ?> f = o instanceof Map ? (Map<?, ?>) o : Map.of();
            Object name = f.get("name");
            long length = number(f.get("length"), 1L << 53), crc = number(f.get("crc32"), 0xffffffffL),
                    crc32c = f.containsKey("crc32c") ? number(f.get("crc32c"), 0xffffffffL) : -2;
            if (!(name instanceof String) || ((String) name).isEmpty() || ((String) name).contains("/")
                    || ((String) name).startsWith(".") || length < 0 || crc < 0 || crc32c == -1
                    || !ENTRY_KEYS.containsAll(f.keySet())) {
                throw new ModelFileException(where, "corrupt manifest: " + MANIFEST + ": bad file entry " + o);
            }
            files.put((String) name, new long[] {length, crc, Math.max(crc32c, -1)});
        }
        return files;
    }

    /** A non-negative integer up to {@code max}, or -1. */
    private static long number(Object v, long max) {
        if ((v instanceof Integer || v instanceof Long) && ((Number) v).longValue() >= 0 && ((Number) v).longValue() <= max) {
            return ((Number) v).longValue();
        }
        return -1;
    }
}
