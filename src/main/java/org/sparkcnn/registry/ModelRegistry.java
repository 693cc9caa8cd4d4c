package org.sparkcnn.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
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
import org.sparkcnn.io.ModelFileException;

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
    /** Keys of entry.json and the pointer besides the entry's: the CRC32 of each file of the version, and their own. */
    private static final String FILES = "files", CRC = "crc32", MODEL_FILE = "model.bin";
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

    /**
     * Version {@code v}'s entry; empty when it does not exist or is incomplete (no entry.json yet).
     * An entry.json that is not whole (its own CRC32), names another version, or whose folder's
     * files differ from the CRC32s it lists is a {@link ModelFileException} naming the file.
     */
    public Optional<RegistryEntry> entry(int v) throws IOException {
        Path p = new Path(versionPath(v), ENTRY);
        ObjectNode n = readJson(p);
        if (n == null) {
            return Optional.empty();
        }
        RegistryEntry entry;
        try {
            entry = RegistryEntry.fromJson(n, p.toString());
        } catch (IllegalArgumentException e) {
            throw new ModelFileException(p.toString(), "not a registry entry: " + e.getMessage());
        }
        Set<String> known = new HashSet<>();
        entry.json(JSON).fieldNames().forEachRemaining(known::add);
        known.add(FILES);
        unseal(n, p, known);
        if (entry.version() != v) {
            throw new ModelFileException(p.toString(), "holds version " + entry.version() + ", its folder is "
                    + RegistryEntry.folder(v));
        }
        JsonNode files = n.path(FILES);
        if (!files.isMissingNode() && !files.isObject()) {
            throw new ModelFileException(p.toString(), "not a registry entry: '" + FILES + "' is not an object");
        }
        for (var it = files.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            Path file = new Path(versionPath(v), f.getKey());
            long crc;
            try {
                crc = crc(file);
            } catch (FileNotFoundException e) {
                throw new ModelFileException(file.toString(), "missing: " + p.getName() + " lists it");
            }
            if (!f.getValue().canConvertToLong() || f.getValue().asLong() != crc) {
                throw new ModelFileException(file.toString(), String.format(
                        "corrupt or replaced: its CRC32 is %08x, %s says %s", crc, p, hex(f.getValue())));
            }
        }
        return Optional.of(entry);
    }

    /**
     * The CRC32 of every file of a staged version but the model file itself (its manifest, listed
     * here, holds its length and CRC32), by path within the folder: what its entry.json lists.
     */
    private ObjectNode fileCrcs(Path dir) throws IOException {
        TreeMap<String, Long> crcs = new TreeMap<>();
        var it = fs.listFiles(dir, true);
        String base = dir.toUri().getPath();
        while (it.hasNext()) {
            Path f = it.next().getPath();
            String rel = f.toUri().getPath().substring(base.length() + 1);
            if (!rel.equals(ENTRY) && !rel.equals(MODEL + "/" + MODEL_FILE)) {
                crcs.put(rel, crc(f));
            }
        }
        ObjectNode n = JSON.createObjectNode();
        crcs.forEach(n::put);
        return n;
    }

    private long crc(Path file) throws IOException {
        CRC32 sum = new CRC32();
        try (InputStream in = new CheckedInputStream(fs.open(file), sum)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return sum.getValue();
    }

    /** The JSON object in {@code p}, read strictly; null when there is no such file. */
    private ObjectNode readJson(Path p) throws IOException {
        JsonNode n;
        try (InputStream in = fs.open(p)) {
            n = JsonText.MAPPER.readTree(in);
        } catch (FileNotFoundException e) {
            return null;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ModelFileException(p.toString(), "not JSON: " + JsonText.problem(e, p.getName()));
        }
        if (!(n instanceof ObjectNode)) {
            throw new ModelFileException(p.toString(), "not a JSON object");
        }
        return (ObjectNode) n;
    }

    /** {@code n} with a {@value #CRC} field: the CRC32 of its compact JSON without it, so any change to it shows. */
    private static ObjectNode seal(ObjectNode n) {
        return n.put(CRC, sealOf(n));
    }

    private static long sealOf(ObjectNode withoutSeal) {
        CRC32 sum = new CRC32();
        sum.update(JsonText.write(withoutSeal).getBytes(StandardCharsets.UTF_8));
        return sum.getValue();
    }

    /**
     * Checks that {@code n} holds only {@code known} keys (and its seal) and, when sealed, that the
     * seal matches; files written before seals (no {@value #CRC}, no {@value #FILES}) pass as they are.
     */
    private static void unseal(ObjectNode n, Path p, Set<String> known) throws ModelFileException {
        for (var it = n.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!known.contains(k) && !k.equals(CRC)) {
                throw new ModelFileException(p.toString(), "corrupt: unknown key " + JsonText.quote(k));
            }
        }
        JsonNode seal = n.get(CRC);
        if (seal == null) {
            if (n.has(FILES)) {
                throw new ModelFileException(p.toString(), "corrupt: it lists files but has no " + CRC);
            }
            return;
        }
        ObjectNode rest = n.deepCopy();
        rest.remove(CRC);
        long want = sealOf(rest);
        if (!seal.canConvertToLong() || seal.asLong() != want) {
            throw new ModelFileException(p.toString(), String.format(
                    "corrupt: its content's CRC32 is %08x, its %s says %s", want, CRC, hex(seal)));
        }
    }

    /** A CRC as stored (a JSON number) in hex, as messages show CRCs; anything else as it is. */
    private static String hex(JsonNode n) {
        return n.canConvertToLong() ? String.format("%08x", n.asLong()) : n.toString();
    }

    /**
     * The version the champion pointer names; empty before the first publication. A pointer that
     * is not whole (its CRC32), or names no complete published version, is a {@link ModelFileException}.
     */
    public Optional<Integer> championVersion() throws IOException {
        Path p = new Path(root, CHAMPION);
        ObjectNode n = readJson(p);
        if (n == null) {
            return Optional.empty();
        }
        unseal(n, p, Set.of("version"));
        if (!n.path("version").isInt() || n.get("version").asInt() < 1) {
            throw new ModelFileException(p.toString(), "expected {\"version\": N}");
        }
        int v = n.get("version").asInt();
        Optional<RegistryEntry> e = entry(v);
        if (e.isEmpty() || e.get().status() != RegistryEntry.Status.PUBLISHED) {
            throw new ModelFileException(p.toString(), "corrupt: it names " + RegistryEntry.folder(v) + ", which is "
                    + (e.isEmpty() ? "no complete version" : "a rejected version") + " (jobs/retrain.sh --list)");
        }
        return Optional.of(v);
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
            return DataFingerprint.fromJson(JsonText.MAPPER.readTree(in), p.toString());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ModelFileException(p.toString(), "not JSON: " + JsonText.problem(e, p.getName()));
        } catch (IllegalArgumentException e) {
            throw new ModelFileException(p.toString(), e.getMessage());
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
        ObjectNode n = entry.json(JSON);
        n.set(FILES, fileCrcs(s.dir()));
        write(s, ENTRY, JSON.writeValueAsBytes(seal(n)));
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
                (JsonText.write(seal(JsonText.object().put("version", version))) + "\n").getBytes(StandardCharsets.UTF_8));
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
