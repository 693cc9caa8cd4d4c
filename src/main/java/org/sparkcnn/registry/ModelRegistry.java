package org.sparkcnn.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.sparkcnn.fs.Folders;
import org.sparkcnn.io.JsonText;

/**
 * A model registry folder on any Hadoop file system (docs/retraining.md): immutable numbered
 * versions {@code v000001/} (model/, config.properties, metrics.json, fingerprint.json and
 * entry.json, the last one written last), a {@code champion} pointer naming one published
 * version, and the {@code _LOCK} of the run writing it. A version is written under a hidden name
 * and renamed into place (in place, entry.json last, where rename copies), and the pointer is
 * replaced in one rename, so a reader sees whole versions and a whole pointer, old or new.
 * Readers need no lock; writers ({@link #stage}, {@link #commit}) need {@link #lock}.
 */
public final class ModelRegistry {
    public static final String PREFIX = "registry:";
    public static final String CHAMPION = "champion", LOCK = "_LOCK", ENTRY = "entry.json", MODEL = "model",
            CONFIG = "config.properties", METRICS = "metrics.json", FINGERPRINT = "fingerprint.json",
            TRAINING_METRICS = "metrics.jsonl";
    private static final Pattern VERSION = Pattern.compile("v(\\d{6})");
    private static final Pattern SPEC = Pattern.compile("(.*)@(?:v?(\\d+)|(champion))");
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final FileSystem fs;
    private final Path root;

    private ModelRegistry(FileSystem fs, Path root) {
        this.fs = fs;
        this.root = root;
    }

    /** The registry at {@code path} (it need not exist yet: the first commit creates it). */
    public static ModelRegistry open(String path, Configuration conf) throws IOException {
        Path p = new Path(path);
        FileSystem fs = Folders.raw(p.getFileSystem(conf));
        return new ModelRegistry(fs, fs.makeQualified(p));
    }

    public Path root() {
        return root;
    }

    public FileSystem fs() {
        return fs;
    }

    /**
     * The model folder that {@code registry:PATH}, {@code registry:PATH@N} or {@code registry:PATH@champion}
     * names: the champion's or version N's {@code model/}. Errors name the registry and what is missing.
     */
    public static String resolve(String spec, Configuration conf) throws IOException {
        if (!spec.startsWith(PREFIX)) {
            throw new IllegalArgumentException("not a registry model: " + spec + " (expected registry:PATH[@N])");
        }
        String rest = spec.substring(PREFIX.length());
        Matcher m = SPEC.matcher(rest);
        String path = m.matches() ? m.group(1) : rest;
        if (path.isEmpty()) {
            throw new IllegalArgumentException("model " + spec + " names no registry folder (registry:PATH[@N])");
        }
        ModelRegistry r = open(path, conf);
        int version;
        if (m.matches() && m.group(2) != null) {
            version = Integer.parseInt(m.group(2));
            r.entry(version).orElseThrow(() -> new FileNotFoundException("model " + spec + ": registry " + r.root
                    + " has no complete version " + version + " (jobs/retrain.sh --registry " + path + " --list)"));
        } else {
            boolean exists = r.fs.exists(r.root);
            version = r.championVersion().orElseThrow(() -> new FileNotFoundException("model " + spec + ": registry "
                    + r.root + " has no champion yet" + (exists ? "" : " (the folder does not exist)")));
        }
        return r.modelPath(version).toString();
    }

    public Path versionPath(int version) {
        return new Path(root, RegistryEntry.folder(version));
    }

    public Path modelPath(int version) {
        return new Path(versionPath(version), MODEL);
    }

    /** Every complete version (its entry.json readable), by number. Incomplete or foreign folders are skipped. */
    public List<RegistryEntry> versions() throws IOException {
        List<RegistryEntry> out = new ArrayList<>();
        for (int v : folders().keySet()) {
            entry(v).ifPresent(out::add);
        }
        return out;
    }

    /** What the registry folder holds; nothing before the first run created it. */
    private FileStatus[] entries() throws IOException {
        try {
            return fs.listStatus(root);
        } catch (FileNotFoundException e) {
            return new FileStatus[0];
        }
    }

    /** Version folders by number, complete or not. */
    private TreeMap<Integer, Path> folders() throws IOException {
        TreeMap<Integer, Path> found = new TreeMap<>();
        for (FileStatus s : entries()) {
            Matcher m = VERSION.matcher(s.getPath().getName());
            if (s.isDirectory() && m.matches()) {
                found.put(Integer.parseInt(m.group(1)), s.getPath());
            }
        }
        return found;
    }

    /** Version {@code v}'s entry; empty when it does not exist or is incomplete (no entry.json yet). */
    public Optional<RegistryEntry> entry(int v) throws IOException {
        Path p = new Path(versionPath(v), ENTRY);
        JsonNode n;
        try (InputStream in = fs.open(p)) {
            n = JSON.readTree(in);
        } catch (FileNotFoundException e) {
            return Optional.empty();
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new IllegalArgumentException(p + ": not JSON: " + e.getOriginalMessage(), e);
        }
        RegistryEntry entry = RegistryEntry.fromJson(n, p.toString());
        if (entry.version() != v) {
            throw new IllegalArgumentException(p + ": holds version " + entry.version() + ", its folder is "
                    + RegistryEntry.folder(v));
        }
        return Optional.of(entry);
    }

    /** The version the champion pointer names; empty before the first publication. */
    public Optional<Integer> championVersion() throws IOException {
        Path p = new Path(root, CHAMPION);
        JsonNode n;
        try (InputStream in = fs.open(p)) {
            n = JSON.readTree(in);
        } catch (FileNotFoundException e) {
            return Optional.empty();
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new IllegalArgumentException(p + ": not JSON: " + e.getOriginalMessage(), e);
        }
        if (n == null || !n.path("version").canConvertToInt()) {
            throw new IllegalArgumentException(p + ": expected {\"version\": N}");
        }
        return Optional.of(n.get("version").asInt());
    }

    public Optional<RegistryEntry> champion() throws IOException {
        Optional<Integer> v = championVersion();
        return v.isPresent() ? entry(v.get()) : Optional.empty();
    }

    /** The newest version trained on the same data (fingerprint id) with the same configuration (id), if any. */
    public Optional<RegistryEntry> trainedBefore(String fingerprintId, String configId) throws IOException {
        List<RegistryEntry> all = versions();
        for (int i = all.size() - 1; i >= 0; i--) {
            RegistryEntry e = all.get(i);
            if (e.fingerprintId().equals(fingerprintId) && e.configId().equals(configId)) {
                return Optional.of(e);
            }
        }
        return Optional.empty();
    }

    /** The fingerprint version {@code v} was trained on. */
    public DataFingerprint fingerprint(int v) throws IOException {
        Path p = new Path(versionPath(v), FINGERPRINT);
        try (InputStream in = fs.open(p)) {
            return DataFingerprint.fromJson(JSON.readTree(in), p.toString());
        }
    }

    /** Takes the registry's lock (see {@link RegistryLock}); the registry folder is created when missing. */
    public RegistryLock lock(long staleMillis, String command, Consumer<String> warn) throws IOException {
        if (!fs.exists(root) && !fs.mkdirs(root)) {
            throw new IOException("cannot create the registry folder " + root);
        }
        return RegistryLock.acquire(fs, new Path(root, LOCK), staleMillis, command, warn);
    }

    /**
     * Under the lock: completes what a run that died after publishing a version but before moving
     * the pointer left undone (the champion is always the newest published version), and removes
     * hidden leftovers of runs that died while writing. Returns what it did, one line each.
     */
    public List<String> recover(RegistryLock lock) throws IOException {
        lock.verify();
        List<String> done = new ArrayList<>();
        for (FileStatus s : entries()) {
            String n = s.getPath().getName();
            if (n.startsWith(".v") && n.contains(".stage-")) {
                fs.delete(s.getPath(), true);
                done.add("removed " + s.getPath() + ", left by a run that failed while writing it");
            }
        }
        Optional<Integer> champ = championVersion();
        List<RegistryEntry> all = versions();
        for (int i = all.size() - 1; i >= 0; i--) {
            RegistryEntry e = all.get(i);
            if (e.status() == RegistryEntry.Status.PUBLISHED) {
                if (champ.isEmpty() || champ.get() < e.version()) {
                    pointTo(e.version());
                    done.add("moved the champion pointer to " + RegistryEntry.folder(e.version()) + ", published by a run"
                            + " that stopped before moving it");
                }
                break;
            }
        }
        return done;
    }

    /** A version being written: its number and the folder to write its files in. */
    public record Staged(int version, Path dir, boolean inPlace) {
    }

    /** Under the lock: the next version's number and a hidden folder to write it in (in place on object stores). */
    public Staged stage(RegistryLock lock) throws IOException {
        lock.verify();
        TreeMap<Integer, Path> existing = folders();
        int next = existing.isEmpty() ? 1 : existing.lastKey() + 1;
        boolean inPlace = Folders.renameCopies(fs);
        Path dir = inPlace ? versionPath(next)
                : new Path(root, "." + RegistryEntry.folder(next) + ".stage-" + Folders.random());
        if (!fs.mkdirs(dir)) {
            throw new IOException("cannot create " + dir);
        }
        return new Staged(next, dir, inPlace);
    }

    /** Writes a small file of a staged version. */
    public void write(Staged s, String name, byte[] bytes) throws IOException {
        try (OutputStream out = fs.create(new Path(s.dir(), name), false)) {
            out.write(bytes);
        }
    }

    /**
     * Makes the staged version visible: entry.json written last, the folder renamed to its
     * number, and, for a published entry, the champion pointer moved to it. The lock is checked
     * first: a run that lost it publishes nothing.
     */
    public RegistryEntry commit(Staged s, RegistryEntry entry, RegistryLock lock) throws IOException {
        if (entry.version() != s.version()) {
            throw new IllegalArgumentException("entry of version " + entry.version() + " for staged version " + s.version());
        }
        lock.verify();
        write(s, ENTRY, JSON.writeValueAsBytes(entry.json(JSON)));
        if (!s.inPlace() && !fs.rename(s.dir(), versionPath(s.version()))) {
            throw new IOException("cannot rename " + s.dir() + " to " + versionPath(s.version()));
        }
        if (entry.status() == RegistryEntry.Status.PUBLISHED) {
            org.sparkcnn.util.Faults.driver().pause("registry-pointer-pending"); // the version whole, the champion not moved
            pointTo(s.version());
        }
        return entry;
    }

    /** Removes a staged version that will not be committed (a failed run). */
    public void abort(Staged s) throws IOException {
        if (!s.inPlace() || !fs.exists(new Path(s.dir(), ENTRY))) {
            fs.delete(s.dir(), true);
        }
    }

    private void pointTo(int version) throws IOException {
        Folders.writeFile(fs, new Path(root, CHAMPION),
                (JsonText.write(java.util.Map.of("version", version)) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The configuration's identity for idempotence: a hash of its values, less the keys that do not
     * change what is trained (where data and output lie, the warm-start path, the master, progress).
     */
    public static String configId(Map<String, String> values) {
        TreeMap<String, String> kept = new TreeMap<>(values);
        for (String k : List.of("train", "validation", "output", "initModel", "master", "progressSeconds")) {
            kept.remove(k);
        }
        StringBuilder sb = new StringBuilder();
        kept.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
        return DataFingerprint.sha256(sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** One line per version for --list: version, status (champion, published, rejected), metric, fingerprint, reason. */
    public List<String> listing() throws IOException {
        Optional<Integer> champ = championVersion();
        ObjectMapper compact = new ObjectMapper();
        List<String> lines = new ArrayList<>();
        for (RegistryEntry e : versions()) {
            com.fasterxml.jackson.databind.node.ObjectNode n = compact.createObjectNode();
            n.put("version", e.version());
            n.put("status", champ.isPresent() && champ.get() == e.version() ? "champion" : e.status().label());
            n.put("metric", e.metric());
            n.put("metric_name", e.metricName());
            if (e.championMetric() == null) {
                n.putNull("champion_metric");
            } else {
                n.put("champion_metric", e.championMetric());
            }
            n.set("fingerprint", fingerprint(e.version()).summary(compact));
            n.put("reason", e.reason());
            if (e.warmStart() == null) {
                n.putNull("warm_start");
            } else {
                n.put("warm_start", e.warmStart());
            }
            n.put("created", java.time.Instant.ofEpochMilli(e.created()).toString());
            n.put("model", modelPath(e.version()).toString());
            lines.add(compact.writeValueAsString(n));
        }
        return lines;
    }
}
