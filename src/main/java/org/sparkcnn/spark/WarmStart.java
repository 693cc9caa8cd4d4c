package org.sparkcnn.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.sparkcnn.io.ModelFile;
import org.sparkcnn.io.ModelFileException;
import org.sparkcnn.model.Network;
import org.sparkcnn.train.TrainConfig;

/**
 * The {@code initModel} key: training starts from a trained model's parameters and buffers instead
 * of a fresh initialisation (the optimiser starts afresh). The model must be the network this run
 * builds, for the same classes; mean and std left to the dataset take the model's, so that the
 * weights see inputs scaled as they were trained on.
 */
final class WarmStart {
    private final ModelFile file;
    private final String path;

    private WarmStart(ModelFile file, String path) {
        this.file = file;
        this.path = path;
    }

    /** The model {@code initModel} names, read and checked; null when the key is empty. */
    static WarmStart of(TrainConfig cfg, Configuration conf) {
        String path = cfg.get("initModel");
        if (path == null || path.isEmpty()) {
            return null;
        }
        try {
            return new WarmStart(TrainedModel.readFile(path, conf), path);
        } catch (java.io.FileNotFoundException | ModelFileException e) {
            throw new IllegalArgumentException("initModel = " + path + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("initModel = " + path + ": " + e.getMessage(), e);
        }
    }

    /** {@code cfg} with mean and std set to the model's where they are left to the dataset. */
    TrainConfig normalisation(TrainConfig cfg) {
        TrainConfig c = TrainConfig.distributed(cfg.values());
        ModelFile.About a = file.about();
        if (cfg.fromDataset("mean") && a.mean() != null) {
            c.set("mean", floats(a.mean()), "initModel " + path);
        }
        if (cfg.fromDataset("std") && a.std() != null) {
            c.set("std", floats(a.std()), "initModel " + path);
        }
        return c;
    }

    /** Copies the model's parameters and buffers into {@code net}, after checking network and classes. */
    void applyTo(Network net, List<String> classNames, java.io.PrintStream log) {
        ModelFile.About a = file.about();
        if (a.description() != null && !a.description().equals(net.description())) {
            throw new IllegalArgumentException("initModel = " + path + " is another network than model = " + net.name()
                    + " builds for this data (its description differs): set model to the initial model's network, or"
                    + " train from scratch");
        }
        if (a.classNames() != null && !a.classNames().equals(classNames)) {
            throw new IllegalArgumentException("initModel = " + path + " was trained on the classes " + a.classNames()
                    + ", the training set has " + classNames);
        }
        try {
            file.applyTo(net);
        } catch (ModelFileException e) {
            throw new IllegalArgumentException("initModel = " + path + " does not fit: " + e.getMessage(), e);
        }
        if (log != null) {
            log.println("warm start from initModel = " + path + " (" + file.source() + ")");
            log.flush();
        }
    }

    private static String floats(float[] v) {
        String s = Arrays.toString(v);
        return s.substring(1, s.length() - 1);
    }
}
