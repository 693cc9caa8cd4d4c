package org.sparkcnn.train;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
import org.sparkcnn.model.ModelLibrary;
import org.sparkcnn.optim.Adam;
import org.sparkcnn.optim.LearningRateSchedule;
import org.sparkcnn.optim.Optimizer;
import org.sparkcnn.optim.Sgd;

/**
 * Training settings as plain data: a table of keys, each with its default, meaning and check;
 * values come from a properties file (conf/*.properties) and {@code key=value} overrides.
 * {@link #TrainConfig()} holds the keys of single-JVM training, {@link #distributed()} those of the
 * Spark job; both share the model and optimiser keys. An unknown key or a bad value is an error
 * that names the key and where it came from.
 */
public final class TrainConfig {
    /**
     * The kind of value a key takes, for tools that present the keys typed (Spark ML Params):
     * {@code CHOICE} keys take one of {@link Key#choices}; {@code STRING} keys may have their own
     * form, checked by the key (syncEvery: "epoch" or a number; mean and std: "dataset" or numbers).
     */
    public enum Type {
        INT, LONG, DOUBLE, BOOLEAN, STRING, CHOICE
    }

    /** A key's type, default, meaning and the check its value must pass: the one definition of a setting. */
    public static final class Key {
        public final String name, defaultValue, doc;
        public final Type type;
        /** The allowed values of a {@link Type#CHOICE} key, else empty. */
        public final List<String> choices;
        final Consumer<TrainConfig> check;

        Key(String name, Type type, List<String> choices, String defaultValue, String doc, Consumer<TrainConfig> check) {
            this.name = name;
            this.type = type;
            this.choices = List.copyOf(choices);
            this.defaultValue = defaultValue;
            this.doc = doc;
            this.check = check;
        }
    }

    private static final List<Key> COMMON = new ArrayList<>();
    private static final List<Key> LOCAL_ONLY = new ArrayList<>();
    private static final List<Key> SPARK_ONLY = new ArrayList<>();
    /** The keys of single-JVM training (jobs/train-local.sh), in help order. */
    public static final Map<String, Key> LOCAL_KEYS;
    /** The keys of the Spark job (jobs/train.sh), in help order. */
    public static final Map<String, Key> SPARK_KEYS;
    /**
     * The Spark job's keys that name where data is read and the run is written: used by
     * TrainingData.fromPaths and the run folder, ignored when training on DataFrames.
     */
    public static final List<String> PATH_KEYS = List.of("train", "validation", "output");

    static {
        key(COMMON, "model", Type.STRING, "lenet5", "a library network (" + String.join(", ", ModelLibrary.NAMES)
                + ") or a network description file (docs/models.md)", c -> c.model());
        key(COMMON, "epochs", Type.INT, "2", "passes over the training set", c -> c.getInt("epochs", 1));
        key(COMMON, "batchSize", Type.INT, "64", "images per mini-batch (per partition in the Spark job)",
                c -> c.getInt("batchSize", 1));
        choice(COMMON, "optimizer", List.of("sgd", "adam", "adamw"), "sgd", "sgd, adam or adamw", c -> c.optimizer());
        key(COMMON, "learningRate", Type.DOUBLE, "0.01", "base learning rate", c -> c.positive("learningRate"));
        key(COMMON, "momentum", Type.DOUBLE, "0.9", "SGD momentum (0 for plain SGD)", c -> c.getDouble("momentum", 0));
        key(COMMON, "nesterov", Type.BOOLEAN, "false", "SGD with Nesterov momentum", c -> c.getBoolean("nesterov"));
        key(COMMON, "weightDecay", Type.DOUBLE, "0", "L2 weight decay (decoupled for adamw)", c -> c.getDouble("weightDecay", 0));
        key(COMMON, "labelSmoothing", Type.DOUBLE, "0", "label smoothing ε in [0, 1) of the training loss: targets"
                + " (1 − ε)·onehot + ε/classes, as PyTorch's label_smoothing; validation loss stays plain cross-entropy",
                c -> c.halfOpenFraction("labelSmoothing"));
        choice(COMMON, "schedule", List.of("constant", "step", "cosine", "plateau"), "constant",
                "learning-rate schedule: constant, step, cosine, or plateau (constant, lowered when monitor stalls)",
                c -> c.schedule(1));
        key(COMMON, "stepEvery", Type.INT, "1", "step schedule: epochs between decays", c -> c.getInt("stepEvery", 1));
        key(COMMON, "stepGamma", Type.DOUBLE, "0.1", "step schedule: factor per decay", c -> c.getDouble("stepGamma", Double.MIN_VALUE));
        key(COMMON, "warmupSteps", Type.INT, "0", "linear warm-up over this many optimiser steps", c -> c.getInt("warmupSteps", 0));
        key(COMMON, "seed", Type.LONG, "42", "seed for initialisation, shuffling, augmentation and dropout", c -> c.getLong("seed"));
        // knowing when to stop (docs/training.md): Keras' EarlyStopping, PyTorch's ReduceLROnPlateau
        choice(COMMON, "monitor", Monitor.METRICS, "val_loss", "metric watched by earlyStopping, restoreBest, keepBest and"
                + " schedule=plateau (val_*: needs validation data)", null);
        choice(COMMON, "monitorMode", List.of("auto", "min", "max"), "auto",
                "whether the monitor should fall (min) or rise (max); auto: max for accuracies, min for losses", null);
        key(COMMON, "minDelta", Type.DOUBLE, "0", "smallest change of the monitor that counts as an improvement",
                c -> c.getDouble("minDelta", 0));
        key(COMMON, "earlyStopping", Type.BOOLEAN, "false", "stop once the monitor has not improved for patience epochs",
                c -> c.getBoolean("earlyStopping"));
        key(COMMON, "patience", Type.INT, "0", "early stopping: epochs without improvement before stopping (0: the first)",
                c -> c.getInt("patience", 0));
        key(COMMON, "restoreBest", Type.BOOLEAN, "false", "the final model gets the weights of the monitor's best epoch",
                c -> c.getBoolean("restoreBest"));
        key(COMMON, "plateauFactor", Type.DOUBLE, "0.1", "plateau schedule: factor the rate is multiplied by, in (0, 1)",
                c -> c.openFraction("plateauFactor"));
        key(COMMON, "plateauPatience", Type.INT, "10", "plateau schedule: epochs without improvement tolerated; the rate"
                + " falls after one more", c -> c.getInt("plateauPatience", 0));
        key(COMMON, "plateauCooldown", Type.INT, "0", "plateau schedule: epochs after a reduction before counting again",
                c -> c.getInt("plateauCooldown", 0));
        key(COMMON, "minLearningRate", Type.DOUBLE, "0", "plateau schedule: the rate never falls below this",
                c -> c.getDouble("minLearningRate", 0));

        key(LOCAL_ONLY, "threads", Type.INT, "0", "intra-op threads (0 = available processors)", c -> c.getInt("threads", 0));
        key(LOCAL_ONLY, "data", Type.STRING, "/usr/share/datasets/fashion-mnist", "folder with the Fashion-MNIST IDX files", c -> { });
        key(LOCAL_ONLY, "trainLimit", Type.INT, "-1", "use only the first N training images (-1 = all)", c -> c.getInt("trainLimit", -1));
        key(LOCAL_ONLY, "testLimit", Type.INT, "-1", "use only the first N test images (-1 = all)", c -> c.getInt("testLimit", -1));

        key(SPARK_ONLY, "train", Type.STRING, "", "training dataset: Parquet path in the ImageLayout (docs/data.md); required",
                c -> c.required("train"));
        key(SPARK_ONLY, "validation", Type.STRING, "", "validation dataset evaluated after every epoch (empty = none)",
                c -> c.validationForMonitor());
        key(SPARK_ONLY, "output", Type.STRING, "", "run folder (any Hadoop path): model/, checkpoints/, metrics.jsonl; required",
                c -> c.required("output"));
        key(SPARK_ONLY, "initModel", Type.STRING, "", "warm start: a trained model (run folder, model folder, model file,"
                + " registry:PATH[@N]) whose parameters and buffers training starts from; its network and classes must be"
                + " this run's, and mean/std left to 'dataset' take the model's; empty = a fresh initialisation",
                c -> { });
        key(SPARK_ONLY, "master", Type.STRING, "", "Spark master; empty = spark-submit's, else local[*]", c -> { });
        key(SPARK_ONLY, "partitions", Type.INT, "0", "training partitions = parallel model copies (0 = Spark's default parallelism)",
                c -> c.getInt("partitions", 0));
        key(SPARK_ONLY, "syncEvery", Type.STRING, "epoch", "average the partitions' models every epoch or every N mini-batches",
                c -> c.syncEvery());
        choice(SPARK_ONLY, "optimizerState", List.of("average", "reset"), "average",
                "momentum/Adam moments across rounds: average (kept by the parameter server) or reset", null);
        choice(SPARK_ONLY, "lrScaling", List.of("none", "linear"), "none",
                "none, or linear: learning rate × partitions (use with warmupSteps)", null);
        key(SPARK_ONLY, "serverMomentum", Type.DOUBLE, "0", "block momentum β in [0, 1) of the parameter server on the"
                + " averaged change of the parameters (SlowMo); 0 = plain averaging (0.5 with syncEvery 50 brought"
                + " lenet5 at 4 partitions within 0.06 points of one, docs/accuracy.md)",
                c -> c.halfOpenFraction("serverMomentum"));
        key(SPARK_ONLY, "threads", Type.INT, "0", "engine threads per task (0 = spark.task.cpus)", c -> c.getInt("threads", 0));
        key(SPARK_ONLY, "treeDepth", Type.INT, "2", "depth of the treeAggregate that combines partition results",
                c -> c.getInt("treeDepth", 1));
        key(SPARK_ONLY, "keepCheckpoints", Type.INT, "3", "checkpoints kept in output/checkpoints (0 = all)",
                c -> c.getInt("keepCheckpoints", 0));
        key(SPARK_ONLY, "keepBest", Type.INT, "0", "also keep the checkpoints of the N best epochs by the monitor",
                c -> c.getInt("keepBest", 0));
        key(SPARK_ONLY, "mean", Type.STRING, "dataset", "per-channel mean subtracted after scaling pixels to [0, 1]: dataset (the"
                + " training set's, stored by the import; empty = the same), one value, or one per channel",
                c -> c.normalisation("mean"));
        key(SPARK_ONLY, "std", Type.STRING, "dataset", "per-channel standard deviation divided by: dataset, one value, or one per channel",
                c -> c.normalisation("std"));
        key(SPARK_ONLY, "cropPadding", Type.INT, "0", "random crop with this much zero padding per side (0 = off)",
                c -> c.getInt("cropPadding", 0));
        key(SPARK_ONLY, "flip", Type.BOOLEAN, "false", "random horizontal flip", c -> c.getBoolean("flip"));
        key(SPARK_ONLY, "erasing", Type.DOUBLE, "0", "random erasing: the probability that a training image gets one"
                + " rectangle (2–33 % of its area, aspect 0.3–3.3) set to the mean, as torchvision's RandomErasing (0 = off)",
                c -> c.fraction("erasing"));
        choice(SPARK_ONLY, "onBadRecord", List.of("fail", "skip"), "fail", "fail, or skip and count bad rows", null);
        key(SPARK_ONLY, "maxBadFraction", Type.DOUBLE, "0.01", "skip: most bad rows tolerated, as a fraction of rows read",
                c -> c.fraction("maxBadFraction"));
        key(SPARK_ONLY, "evalBatchSize", Type.INT, "256", "images per batch when evaluating", c -> c.getInt("evalBatchSize", 1));
        key(SPARK_ONLY, "progressSeconds", Type.INT, "30", "inside a round, a progress line every this many seconds:"
                + " images done, images/s, time left (0 = none)", c -> c.getInt("progressSeconds", 0));

        LOCAL_KEYS = table(COMMON, LOCAL_ONLY);
        SPARK_KEYS = table(COMMON, SPARK_ONLY);
    }

    private static void key(List<Key> to, String name, Type type, String def, String doc, Consumer<TrainConfig> check) {
        to.add(new Key(name, type, List.of(), def, doc, check));
    }

    /** A key taking one of {@code choices}; a null check is "one of them". */
    private static void choice(List<Key> to, String name, List<String> choices, String def, String doc,
            Consumer<TrainConfig> check) {
        to.add(new Key(name, Type.CHOICE, choices, def, doc, check != null ? check : c -> c.oneOf(name, choices)));
    }

    private static Map<String, Key> table(List<Key> a, List<Key> b) {
        Map<String, Key> m = new LinkedHashMap<>();
        a.forEach(k -> m.put(k.name, k));
        b.forEach(k -> m.put(k.name, k));
        return Collections.unmodifiableMap(m);
    }

    private final Map<String, Key> keys;
    private final Map<String, String> values = new LinkedHashMap<>();
    private final Map<String, String> origin = new LinkedHashMap<>();

    /** Single-JVM training. */
    public TrainConfig() {
        this(LOCAL_KEYS);
    }

    private TrainConfig(Map<String, Key> keys) {
        this.keys = keys;
        for (Key k : keys.values()) {
            values.put(k.name, k.defaultValue);
            origin.put(k.name, "default");
        }
    }

    /** The Spark job. */
    public static TrainConfig distributed() {
        return new TrainConfig(SPARK_KEYS);
    }

    /** The Spark job's settings from {@link #values()} (how they travel to executors). */
    public static TrainConfig distributed(Map<String, String> values) {
        TrainConfig c = distributed();
        values.forEach((k, v) -> c.set(k, v, "driver"));
        return c;
    }

    /** Every key's current value, in key order. */
    public LinkedHashMap<String, String> values() {
        return new LinkedHashMap<>(values);
    }

    /** Reads a properties file over the defaults. */
    public TrainConfig load(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "config file not found");
        }
        try (Reader r = Files.newBufferedReader(file)) {
            return load(r, file.toString());
        }
    }

    /** Reads properties text over the current values; {@code where} is named in errors. */
    public TrainConfig load(Reader r, String where) throws IOException {
        Properties p = new Properties();
        p.load(r);
        for (String k : p.stringPropertyNames()) {
            set(k, p.getProperty(k), where);
        }
        return this;
    }

    /** Applies one {@code key=value}; {@code where} is named in errors. */
    public TrainConfig set(String key, String value, String where) {
        if (!keys.containsKey(key)) {
            throw new IllegalArgumentException(where + ": unknown key '" + key + "' (known keys: "
                    + String.join(", ", keys.keySet()) + ")");
        }
        values.put(key, value.trim());
        origin.put(key, where);
        return this;
    }

    /** Parses {@code key=value}. */
    public TrainConfig set(String assignment, String where) {
        int eq = assignment.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException(where + ": expected key=value, got '" + assignment + "'");
        }
        return set(assignment.substring(0, eq).trim(), assignment.substring(eq + 1), where);
    }

    public String get(String key) {
        return values.get(key);
    }

    /** The model key names a library network or a description file that parses; errors say where the key was set. */
    private void model() {
        try {
            ModelLibrary.describe(get("model"));
        } catch (org.sparkcnn.model.DescriptionException e) {
            throw e; // it names the description's file and line
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(origin.get("model") + ": " + e.getMessage(), e);
        }
    }

    private IllegalArgumentException bad(String key, String expected) {
        return new IllegalArgumentException(origin.get(key) + ": " + key + "=" + values.get(key) + " is not " + expected);
    }

    public int getInt(String key, int min) {
        try {
            int v = Integer.parseInt(values.get(key));
            if (v < min) {
                throw bad(key, "an integer >= " + min);
            }
            return v;
        } catch (NumberFormatException e) {
            throw bad(key, "an integer");
        }
    }

    public long getLong(String key) {
        try {
            return Long.parseLong(values.get(key));
        } catch (NumberFormatException e) {
            throw bad(key, "an integer");
        }
    }

    public double getDouble(String key, double min) {
        try {
            double v = Double.parseDouble(values.get(key));
            if (!(v >= min) || Double.isInfinite(v)) {
                throw bad(key, "a finite number >= " + min);
            }
            return v;
        } catch (NumberFormatException e) {
            throw bad(key, "a number");
        }
    }

    public boolean getBoolean(String key) {
        String v = values.get(key).toLowerCase(Locale.ROOT);
        if (v.equals("true") || v.equals("false")) {
            return Boolean.parseBoolean(v);
        }
        throw bad(key, "true or false");
    }

    /** Checks every key's value now, so a bad setting fails before any data is read. */
    public TrainConfig validate() {
        keys.values().forEach(k -> k.check.accept(this));
        return this;
    }

    /**
     * Checks every key but {@link #PATH_KEYS}: the settings of training itself, which is all a
     * trainer whose data comes from DataFrames (the Spark ML stage) reads; there train, validation
     * and output are ignored.
     */
    public TrainConfig validateWithoutPaths() {
        keys.values().stream().filter(k -> !PATH_KEYS.contains(k.name)).forEach(k -> k.check.accept(this));
        return this;
    }

    private void oneOf(String key, List<String> allowed) {
        if (!allowed.contains(get(key))) {
            throw bad(key, "one of " + String.join(", ", allowed));
        }
    }

    private void positive(String key) {
        if (!(getDouble(key, 0) > 0)) {
            throw bad(key, "a positive number");
        }
    }

    private void required(String key) {
        if (get(key).isEmpty()) {
            throw new IllegalArgumentException(key + " is not set: give it in the config file or with --set " + key + "=...");
        }
    }

    private void halfOpenFraction(String key) {
        if (!(getDouble(key, 0) < 1)) {
            throw bad(key, "a number in [0, 1)");
        }
    }

    private void openFraction(String key) {
        double v = getDouble(key, 0);
        if (!(v > 0 && v < 1)) {
            throw bad(key, "a number in (0, 1)");
        }
    }

    /** A val_* monitor that something watches needs the validation key set. */
    private void validationForMonitor() {
        if (get("validation").isEmpty() && get("monitor").startsWith("val_") && TrainingControl.used(this)) {
            boolean byDefault = origin.get("monitor").equals("default");
            throw new IllegalArgumentException((byDefault ? "" : origin.get("monitor") + ": ") + "monitor=" + get("monitor")
                    + (byDefault ? " (the default)" : "") + " needs validation data, and validation is not set: set"
                    + " validation=... or monitor=train_loss");
        }
    }

    private void fraction(String key) {
        double v = getDouble(key, 0);
        if (v > 1) {
            throw bad(key, "a fraction in [0, 1]");
        }
    }

    /** Mini-batches per partition between averaging rounds, or 0 for once per epoch. */
    public int syncEvery() {
        if (get("syncEvery").equals("epoch")) {
            return 0;
        }
        try {
            int v = Integer.parseInt(get("syncEvery"));
            if (v >= 1) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw bad("syncEvery", "'epoch' or a number of mini-batches >= 1");
    }

    /** Whether {@code key} (mean or std) asks for the training set's stored statistics: "dataset" or empty. */
    public boolean fromDataset(String key) {
        return get(key).isEmpty() || get(key).equals("dataset");
    }

    private void normalisation(String key) {
        if (!fromDataset(key)) {
            floats(key);
        }
    }

    /** A comma-separated list of finite numbers. */
    public float[] floats(String key) {
        String[] parts = get(key).split(",");
        float[] out = new float[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Float.parseFloat(parts[i].trim());
            } catch (NumberFormatException e) {
                throw bad(key, "a comma-separated list of numbers");
            }
            if (!Float.isFinite(out[i])) {
                throw bad(key, "a list of finite numbers");
            }
        }
        return out;
    }

    public Optimizer optimizer() {
        double wd = getDouble("weightDecay", 0);
        switch (get("optimizer")) {
            case "sgd": return new Sgd(getDouble("momentum", 0), 0, wd, getBoolean("nesterov"));
            case "adam": return new Adam(0.9, 0.999, 1e-8, wd, false);
            case "adamw": return new Adam(0.9, 0.999, 1e-8, wd, true);
            default: throw bad("optimizer", "sgd, adam or adamw");
        }
    }

    public LearningRateSchedule schedule(long stepsPerEpoch) {
        return schedule(stepsPerEpoch, 1);
    }

    /** The schedule with the base rate multiplied by {@code factor} (linear scaling with partitions). */
    public LearningRateSchedule schedule(long stepsPerEpoch, double factor) {
        double lr = getDouble("learningRate", 0) * factor;
        long total = stepsPerEpoch * getInt("epochs", 1);
        LearningRateSchedule base;
        switch (get("schedule")) {
            case "constant": base = LearningRateSchedule.constant(lr); break;
            case "step": base = LearningRateSchedule.step(lr, stepsPerEpoch * getInt("stepEvery", 1),
                    getDouble("stepGamma", Double.MIN_VALUE)); break;
            case "cosine": base = LearningRateSchedule.cosine(lr, 0, total); break;
            // the trainers multiply the rate by the plateau's scale (TrainingControl)
            case "plateau": base = LearningRateSchedule.constant(lr); break;
            default: throw bad("schedule", "constant, step, cosine or plateau");
        }
        int warm = getInt("warmupSteps", 0);
        return warm > 0 ? LearningRateSchedule.warmup(base, warm) : base;
    }

    /** key = value lines, for logs. */
    public String describe() {
        return toProperties();
    }

    /** The --help table of this configuration's keys. */
    public String help() {
        StringBuilder sb = new StringBuilder();
        keys.values().forEach(k -> sb.append(String.format(Locale.ROOT, "  %-15s %-36s %s%n", k.name,
                k.defaultValue.isEmpty() ? "(none)" : k.defaultValue, k.doc)));
        return sb.toString();
    }

    /**
     * The keys as a Markdown table (key, type, default, meaning), the one docs/configuration.md
     * holds: made from the same definitions as {@link #help()}, so the two cannot drift.
     */
    public String markdownTable() {
        StringBuilder sb = new StringBuilder("| key | type | default | meaning |\n|---|---|---|---|\n");
        for (Key k : keys.values()) {
            String type = k.type == Type.CHOICE ? String.join(" \\| ", k.choices) : k.type.name().toLowerCase(Locale.ROOT);
            sb.append("| `").append(k.name).append("` | ").append(type).append(" | ")
                    .append(k.defaultValue.isEmpty() ? "(none)" : "`" + k.defaultValue + "`").append(" | ")
                    .append(k.doc.replace("|", "\\|")).append(" |\n");
        }
        return sb.toString();
    }

    /** The values as properties text, for checkpoints and logs. */
    public String toProperties() {
        StringBuilder sb = new StringBuilder();
        values.forEach((k, v) -> sb.append(k).append(" = ").append(v.replace("\\", "\\\\")).append('\n'));
        return sb.toString();
    }
}
