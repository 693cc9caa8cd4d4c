package org.sparkcnn.spark;

import java.io.IOException;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sparkcnn.io.ModelFile;
import org.sparkcnn.model.Network;

/**
 * What {@link DistributedTrainer#fit} returns: the trained network (the driver's copy, with the
 * final parameters and averaged buffers), its class names, the per-channel mean and std its inputs
 * were normalised with, and the metrics of every epoch (the lines of metrics.jsonl, in order;
 * those of a resumed run's earlier epochs included).
 */
public final class TrainingResult {
    private final Network network;
    private final List<String> classNames;
    private final float[] mean, std;
    private final List<String> metricsLines;
    private final Map<String, String> meta;
    private final int epochs;
    private final float[] state;

    TrainingResult(Network network, List<String> classNames, float[] mean, float[] std, List<String> metricsLines,
            Map<String, String> meta, int epochs, float[] state) {
        this.network = network;
        this.classNames = List.copyOf(classNames);
        this.mean = mean.clone();
        this.std = std.clone();
        this.metricsLines = List.copyOf(metricsLines);
        this.meta = new LinkedHashMap<>(meta);
        this.epochs = epochs;
        this.state = state.clone();
    }

    public Network network() {
        return network;
    }

    public List<String> classNames() {
        return classNames;
    }

    /** Per channel, subtracted from pixels scaled to [0, 1]. */
    public float[] mean() {
        return mean.clone();
    }

    /** Per channel, divided by after subtracting the mean. */
    public float[] std() {
        return std.clone();
    }

    /** One JSON object per epoch, as in metrics.jsonl (docs/distributed.md lists the fields). */
    public List<String> metricsLines() {
        return metricsLines;
    }

    /** Epochs trained in all. */
    public int epochs() {
        return epochs;
    }

    /** The model file's metadata: epoch, global and optimiser steps, seed, partitions, the configuration. */
    public Map<String, String> meta() {
        return new LinkedHashMap<>(meta);
    }

    /**
     * The metadata the model file gets: {@link #meta()} and the per-epoch metrics lines (key
     * "metrics", as checkpoints carry them), so that a model alone tells how it was trained.
     */
    public Map<String, String> modelMeta() {
        Map<String, String> m = new LinkedHashMap<>(meta);
        m.put(MetricsLog.META_KEY, String.join("\n", metricsLines) + (metricsLines.isEmpty() ? "" : "\n"));
        return m;
    }

    /** The model file: the very bytes a run folder's model/model.bin gets. */
    public void writeModel(OutputStream out) throws IOException {
        writeModel(out, modelMeta());
    }

    /** The model file with other metadata. */
    public void writeModel(OutputStream out, Map<String, String> meta) throws IOException {
        ModelFile.write(out, network, null, meta, classNames, mean, std);
    }

    /** The parameter server's final state vector (parameters, buffers, optimiser state): what tests compare. */
    float[] state() {
        return state.clone();
    }
}
