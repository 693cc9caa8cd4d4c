package org.sparkcnn.spark;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.sparkcnn.io.ModelFile;
import org.sparkcnn.model.Network;
import org.sparkcnn.registry.ModelRegistry;

/**
 * A trained classifier on the driver, as the bytes of its model file (what travels to executors,
 * so that every copy there is rebuilt from exactly what was checked here) and the file they
 * parse to. Where it comes from does not matter: a run folder of jobs/train.sh, its model/
 * folder, a model file, a saved Spark ML model, or a network just fitted.
 */
public final class TrainedModel {
    private final ModelFile file;
    private final byte[] bytes;
    private final String fingerprint;

    private TrainedModel(ModelFile file, byte[] bytes) {
        this.file = file;
        this.bytes = bytes;
        this.fingerprint = sha256(bytes);
    }

    /**
     * The model at {@code path}: a run folder (PATH/model/model.bin), a model folder
     * (PATH/model.bin, checked against its manifest), a saved Spark ML model (PATH/data), a
     * model file, or a registry's version ({@code registry:PATH[@N]}). Every check of {@link ModelFile#read} applies; errors name the path.
     */
    public static TrainedModel read(String path, Configuration conf) throws IOException {
        ModelFile f = readFile(path, conf);
        return of(f.network(), f.about(), f.meta(), f.source());
    }

    /** The checked model file behind {@code path} (see {@link #read}), its network not built. */
    public static ModelFile readFile(String path, Configuration conf) throws IOException {
        String at = locate(path, conf);
        Path p = new Path(at);
        FileSystem fs = p.getFileSystem(conf);
        FileStatus status = fs.getFileStatus(p);
        if (status.isDirectory()) {
            return CheckpointStore.readModel(at, conf);
        }
        try (InputStream in = fs.open(p)) {
            return ModelFile.read(in, path, status.getLen());
        }
    }

    /**
     * Where the model behind {@code path} lies: the path itself when it is a file, else the first
     * of PATH, PATH/model and PATH/data that holds a model.bin (a model folder). {@code registry:PATH}
     * is the champion of the model registry PATH, {@code registry:PATH@N} its version N (docs/retraining.md).
     */
    public static String locate(String path, Configuration conf) throws IOException {
        if (path.startsWith(ModelRegistry.PREFIX)) {
            return ModelRegistry.resolve(path, conf);
        }
        Path p = new Path(path);
        FileSystem fs = p.getFileSystem(conf);
        if (!fs.exists(p)) {
            throw new FileNotFoundException("model " + path + " does not exist");
        }
        if (fs.getFileStatus(p).isFile()) {
            return path;
        }
        for (String candidate : new String[] {"", "model", "data"}) {
            Path d = candidate.isEmpty() ? p : new Path(p, candidate);
            if (fs.isFile(new Path(d, CheckpointStore.MODEL))) {
                return d.toString();
            }
        }
        throw new FileNotFoundException("model " + path + " holds no " + CheckpointStore.MODEL + ", nor model/"
                + CheckpointStore.MODEL + " or data/" + CheckpointStore.MODEL + ": expected a run folder of"
                + " jobs/train.sh, its model folder, a saved Spark ML model or a model file");
    }

    /** A model of {@code net} with what its file would carry (class names, normalisation, metadata). */
    public static TrainedModel of(Network net, List<String> classNames, float[] mean, float[] std,
            Map<String, String> meta) {
        return of(net, new ModelFile.About(net.description(), classNames, mean, std), meta, net.name());
    }

    private static TrainedModel of(Network net, ModelFile.About about, Map<String, String> meta, String source) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ModelFile.write(out, net, null, meta, about.classNames(), about.mean(), about.std());
            byte[] bytes = out.toByteArray();
            return new TrainedModel(ModelFile.read(new ByteArrayInputStream(bytes), source), bytes);
        } catch (IOException e) {
            throw new IllegalStateException("model " + source + " does not survive writing and reading back: "
                    + e.getMessage(), e);
        }
    }

    /** The per-epoch metrics lines the model carries (JSON, as metrics.jsonl); empty when it has none. */
    public List<String> history() {
        String h = file.meta().get(MetricsLog.META_KEY);
        List<String> lines = new ArrayList<>();
        if (h != null) {
            for (String line : h.split("\n")) {
                if (!line.isBlank()) {
                    lines.add(line);
                }
            }
        }
        return lines;
    }

    /** The model file's bytes: what {@link #file()} parses from. */
    public byte[] bytes() {
        return bytes.clone();
    }

    byte[] sharedBytes() {
        return bytes;
    }

    public ModelFile file() {
        return file;
    }

    /** SHA-256 of the bytes: the same model gives the same name on every executor. */
    public String fingerprint() {
        return fingerprint;
    }

    public String source() {
        return file.source();
    }

    /** A new network holding the model's parameters and buffers. */
    public Network network() throws IOException {
        return file.network();
    }

    public int[] inputShape() {
        return file.inputShape();
    }

    public int classes() {
        return file.classes();
    }

    /** The file's class names, or "0", "1", … for a file without them. */
    public List<String> classNames() {
        List<String> names = file.about().classNames();
        if (names != null) {
            return names;
        }
        List<String> numbers = new ArrayList<>();
        for (int i = 0; i < classes(); i++) {
            numbers.add(Integer.toString(i));
        }
        return numbers;
    }

    /** Per-channel mean the inputs are normalised with; 0 for a file without normalisation. */
    public float[] mean() {
        float[] m = file.about().mean();
        return m != null ? perChannel(m) : new float[inputShape()[0]];
    }

    /** Per-channel std; 1 for a file without normalisation. */
    public float[] std() {
        float[] s = file.about().std();
        if (s != null) {
            return perChannel(s);
        }
        float[] ones = new float[inputShape()[0]];
        Arrays.fill(ones, 1f);
        return ones;
    }

    private float[] perChannel(float[] v) {
        int c = inputShape()[0];
        if (v.length == c) {
            return v.clone();
        }
        float[] out = new float[c];
        Arrays.fill(out, v[0]);
        return out;
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }
}
