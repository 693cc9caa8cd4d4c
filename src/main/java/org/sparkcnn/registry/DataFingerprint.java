package org.sparkcnn.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;

/**
 * What a training set was when a version was trained on it: every file under its folder (path
 * relative to it, size, and modification time or SHA-256 of the content) and its row count. The
 * {@link #id()} hashes those (not the folder's own path), so the same files give the same id and
 * any added, removed, resized, touched (metadata mode) or changed (content mode) file another one.
 */
public final class DataFingerprint {
    /** metadata: sizes and modification times (no data read); content: sizes and SHA-256 of every byte. */
    public enum Mode {
        METADATA, CONTENT;

        public static Mode parse(String s, String where) {
            for (Mode m : values()) {
                if (m.name().equalsIgnoreCase(s)) {
                    return m;
                }
            }
            throw new IllegalArgumentException(where + " takes metadata or content, got '" + s + "'");
        }
    }

    /** One file: path relative to the data folder, size, modification time (ms), SHA-256 (content mode, else null). */
    public record FileEntry(String path, long size, long modified, String sha256) {
    }

    private final String data;
    private final Mode mode;
    private final List<FileEntry> files;
    private final long rows;
    private final String id;

    DataFingerprint(String data, Mode mode, List<FileEntry> files, long rows) {
        this.data = data;
        this.mode = mode;
        this.files = List.copyOf(files);
        this.rows = rows;
        this.id = sha256(canonical().getBytes(StandardCharsets.UTF_8));
    }

    /** The fingerprint of the dataset folder (or file) {@code data} holding {@code rows} rows. Hidden files are left out. */
    public static DataFingerprint of(FileSystem fs, Path data, Mode mode, long rows) throws IOException {
        Path root = fs.makeQualified(data);
        List<FileEntry> files = new ArrayList<>();
        String prefix = root.toUri().getPath();
        RemoteIterator<LocatedFileStatus> it = fs.listFiles(root, true);
        while (it.hasNext()) {
            LocatedFileStatus s = it.next();
            String full = s.getPath().toUri().getPath();
            String rel = full.equals(prefix) ? s.getPath().getName() : full.substring(prefix.length() + 1);
            if (hidden(rel)) {
                continue;
            }
            files.add(new FileEntry(rel, s.getLen(), s.getModificationTime(), mode == Mode.CONTENT ? hash(fs, s.getPath())
                    : null));
        }
        files.sort(Comparator.comparing(FileEntry::path));
        return new DataFingerprint(root.toString(), mode, files, rows);
    }

    private static boolean hidden(String rel) {
        for (String part : rel.split("/")) {
            if (part.startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    /** What the id hashes: the mode, rows and, per file, path, size and time or hash. */
    private String canonical() {
        StringBuilder sb = new StringBuilder(mode.name()).append('\n').append(rows).append('\n');
        for (FileEntry f : files) {
            sb.append(f.path()).append('\t').append(f.size()).append('\t')
                    .append(mode == Mode.CONTENT ? f.sha256() : Long.toString(f.modified())).append('\n');
        }
        return sb.toString();
    }

    public String id() {
        return id;
    }

    public long rows() {
        return rows;
    }

    public String data() {
        return data;
    }

    public List<FileEntry> files() {
        return files;
    }

    public long bytes() {
        return files.stream().mapToLong(FileEntry::size).sum();
    }

    /** The short form --list prints: id, data, mode, files, bytes, rows. */
    public ObjectNode summary(ObjectMapper mapper) {
        ObjectNode n = mapper.createObjectNode();
        n.put("id", id);
        n.put("data", data);
        n.put("mode", mode.name().toLowerCase(Locale.ROOT));
        n.put("files", files.size());
        n.put("bytes", bytes());
        n.put("rows", rows);
        return n;
    }

    /** fingerprint.json: the summary and every file. */
    public ObjectNode json(ObjectMapper mapper) {
        ObjectNode n = summary(mapper);
        ArrayNode list = n.putArray("file_list");
        for (FileEntry f : files) {
            ObjectNode e = list.addObject();
            e.put("path", f.path());
            e.put("size", f.size());
            e.put("modified", f.modified());
            if (f.sha256() != null) {
                e.put("sha256", f.sha256());
            }
        }
        return n;
    }

    /** Reads {@link #json} back; the id is recomputed, and must be the one stored. */
    public static DataFingerprint fromJson(JsonNode n, String where) {
        try {
            List<FileEntry> files = new ArrayList<>();
            for (JsonNode e : n.required("file_list")) {
                files.add(new FileEntry(e.required("path").asText(), e.required("size").asLong(),
                        e.required("modified").asLong(), e.hasNonNull("sha256") ? e.get("sha256").asText() : null));
            }
            DataFingerprint f = new DataFingerprint(n.required("data").asText(),
                    Mode.parse(n.required("mode").asText(), where), files, n.required("rows").asLong());
            if (!f.id.equals(n.required("id").asText())) {
                throw new IllegalArgumentException(where + ": the stored id " + n.get("id").asText()
                        + " is not the hash of the files listed");
            }
            return f;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": not a data fingerprint: " + e.getMessage(), e);
        }
    }

    private static String hash(FileSystem fs, Path p) throws IOException {
        MessageDigest md = digest();
        try (InputStream in = new DigestInputStream(fs.open(p), md)) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(md.digest());
    }

    static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(digest().digest(bytes));
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }
}
