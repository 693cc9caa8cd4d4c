package org.sparkcnn.train;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.sparkcnn.model.ModelZoo;
import org.sparkcnn.optim.Adam;
import org.sparkcnn.optim.LearningRateSchedule;
import org.sparkcnn.optim.Optimizer;
import org.sparkcnn.optim.Sgd;

/**
 * Training settings as plain data: every key with its default and meaning is in {@link #KEYS};
 * values come from a properties file (conf/*.properties) and {@code key=value} overrides.
 * An unknown key or a bad value is an error that names the key and where it came from.
 */
public final class TrainConfig {
    /** key → {default, description}. */
    public static final Map<String, String[]> KEYS = new LinkedHashMap<>();

    static {
        key("model", "lenet5", "zoo model: " + String.join(", ", ModelZoo.NAMES));
        key("epochs", "2", "passes over the training set");
        key("batchSize", "64", "images per mini-batch");
        key("optimizer", "sgd", "sgd, adam or adamw");
        key("learningRate", "0.01", "base learning rate");
        key("momentum", "0.9", "SGD momentum (0 for plain SGD)");
        key("nesterov", "false", "SGD with Nesterov momentum");
        key("weightDecay", "0", "L2 weight decay (decoupled for adamw)");
        key("schedule", "constant", "learning-rate schedule: constant, step or cosine");
        key("stepEvery", "1", "step schedule: epochs between decays");
        key("stepGamma", "0.1", "step schedule: factor per decay");
        key("warmupSteps", "0", "linear warm-up over this many optimiser steps");
        key("seed", "42", "seed for initialisation, shuffling and dropout");
        key("threads", "0", "intra-op threads (0 = available processors)");
        key("data", "/usr/share/datasets/fashion-mnist", "folder with the Fashion-MNIST IDX files");
        key("trainLimit", "-1", "use only the first N training images (-1 = all)");
        key("testLimit", "-1", "use only the first N test images (-1 = all)");
    }

    private static void key(String k, String def, String doc) {
        KEYS.put(k, new String[] {def, doc});
    }

    private final Map<String, String> values = new LinkedHashMap<>();
    private final Map<String, String> origin = new LinkedHashMap<>();

    public TrainConfig() {
        for (Map.Entry<String, String[]> e : KEYS.entrySet()) {
            values.put(e.getKey(), e.getValue()[0]);
            origin.put(e.getKey(), "default");
        }
    }

    /** Reads a properties file over the defaults. */
    public TrainConfig load(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "config file not found");
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        }
        for (String k : p.stringPropertyNames()) {
            set(k, p.getProperty(k), file.toString());
        }
        return this;
    }

    /** Applies one {@code key=value}; {@code where} is named in errors. */
    public TrainConfig set(String key, String value, String where) {
        if (!KEYS.containsKey(key)) {
            throw new IllegalArgumentException(where + ": unknown key '" + key + "' (known keys: "
                    + String.join(", ", KEYS.keySet()) + ")");
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
        if (!ModelZoo.NAMES.contains(get("model"))) {
            throw bad("model", "one of " + ModelZoo.NAMES);
        }
        getInt("epochs", 1);
        getInt("batchSize", 1);
        getInt("stepEvery", 1);
        getInt("warmupSteps", 0);
        getInt("threads", 0);
        getInt("trainLimit", -1);
        getInt("testLimit", -1);
        getLong("seed");
        getBoolean("nesterov");
        getDouble("stepGamma", Double.MIN_VALUE);
        if (!(getDouble("learningRate", 0) > 0)) {
            throw bad("learningRate", "a positive number");
        }
        optimizer();
        schedule(1);
        return this;
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
        double lr = getDouble("learningRate", 0);
        long total = stepsPerEpoch * getInt("epochs", 1);
        LearningRateSchedule base;
        switch (get("schedule")) {
            case "constant": base = LearningRateSchedule.constant(lr); break;
            case "step": base = LearningRateSchedule.step(lr, stepsPerEpoch * getInt("stepEvery", 1),
                    getDouble("stepGamma", Double.MIN_VALUE)); break;
            case "cosine": base = LearningRateSchedule.cosine(lr, 0, total); break;
            default: throw bad("schedule", "constant, step or cosine");
        }
        int warm = getInt("warmupSteps", 0);
        return warm > 0 ? LearningRateSchedule.warmup(base, warm) : base;
    }

    /** key = value lines, for logs. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        values.forEach((k, v) -> sb.append(k).append(" = ").append(v).append('\n'));
        return sb.toString();
    }

    /** The --help table. */
    public static String help() {
        StringBuilder sb = new StringBuilder();
        KEYS.forEach((k, v) -> sb.append(String.format(Locale.ROOT, "  %-14s %-36s %s%n", k, v[0], v[1])));
        return sb.toString();
    }
}
