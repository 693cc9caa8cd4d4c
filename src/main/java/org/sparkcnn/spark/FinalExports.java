package org.sparkcnn.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.sparkcnn.data.BadRecordPolicy;
import org.sparkcnn.data.parquet.ImageLayout;
import org.sparkcnn.fs.Folders;
import org.sparkcnn.layer.Param;
import org.sparkcnn.model.Network;
import org.sparkcnn.reference.Npy;
import org.sparkcnn.train.TrainConfig;

/**
 * What a finished run leaves beside its model for analysis (the notebooks, docs/distributed.md):
 * {@code run.json} (model, parameters, partitions, epochs, the settings), {@code filters.npy} (the
 * first convolution's weights), and with validation data the final model's evaluation on it:
 * {@code evaluation.json} (jobs/evaluate.sh's JSON), its table in the log, and
 * {@code misclassified.npy} with {@code misclassified.json} (at most {@link #SAMPLES} misclassified
 * images and their classes). Everything is computed from the model file the run wrote, so it
 * describes exactly the model a user gets.
 */
final class FinalExports {
    static final String RUN = "run.json", FILTERS = "filters.npy", EVALUATION = "evaluation.json",
            MISCLASSIFIED = "misclassified.npy", MISCLASSIFIED_JSON = "misclassified.json";
    /** Misclassified validation images kept: enough for an 8 × 8 sheet, at most 64 × the image size. */
    static final int SAMPLES = 64;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private FinalExports() {
    }

    /**
     * Writes the files into run folder {@code dir} from its model/; {@code output} is where the run
     * ends up (differs from {@code dir} when the run replaces an earlier one), for the names the
     * files record.
     */
    static void write(String dir, String output, Configuration hadoop, TrainConfig cfg, TrainingData data,
            PrintStream log) throws IOException {
        TrainedModel model = TrainedModel.read(dir + "/model", hadoop);
        FileSystem fs = Folders.raw(new Path(dir).getFileSystem(hadoop));
        Network net = model.network();
        Param first = firstFilters(net);
        if (first != null) {
            Folders.writeFile(fs, new Path(dir, FILTERS), Npy.encode(first.value.shape(), values(first)));
        }
        Folders.writeFile(fs, new Path(dir, RUN), bytes(run(net, model.file().meta(), cfg, first)));
        Dataset<Row> validation = data.validation();
        if (validation == null) {
            return;
        }
        String modelName = output + "/model/" + CheckpointStore.MODEL;
        String input = data.source() != null ? cfg.get("validation") : "the validation rows of the training frame";
        validation.sparkSession().sparkContext().setJobDescription("sparkcnn: final evaluation");
        BadRecordPolicy policy = ReaderSettings.policy(cfg);
        long t0 = System.nanoTime();
        BatchScorer scorer = BatchScorer.create(JavaSparkContext.fromSparkContext(validation.sparkSession().sparkContext()),
                model, validation.schema(), ImageLayout.IMAGE, ImageLayout.LABEL, cfg.getInt("evalBatchSize", 1), policy,
                cfg.getInt("threads", 0));
        BatchEvaluation.Evaluated e;
        try {
            e = BatchEvaluation.withSamples(validation, ImageLayout.LABEL, scorer, Math.min(5, model.classes()), SAMPLES);
        } finally {
            scorer.destroy();
        }
        EvaluationReport report = new EvaluationReport(e.metrics(), model.classNames(), modelName, input,
                (System.nanoTime() - t0) / 1e9);
        Folders.writeFile(fs, new Path(dir, EVALUATION), report.json().getBytes(StandardCharsets.UTF_8));
        writeMisclassified(fs, new Path(dir), e.misclassified(), model.classNames());
        if (log != null) {
            log.print(report.table());
            log.println("evaluation of the final model in " + output + "/" + EVALUATION + "; " + e.misclassified().size()
                    + " misclassified images in " + output + "/" + MISCLASSIFIED);
            log.flush();
        }
    }

    /** The weights of the network's first convolution ([K, C, kh, kw]), or null when it has none. */
    static Param firstFilters(Network net) {
        for (Param p : net.params().values()) {
            if (p.value.shape().length == 4) {
                return p;
            }
        }
        return null;
    }

    private static float[] values(Param p) {
        float[] v = new float[p.value.size()];
        System.arraycopy(p.value.data, p.value.offset, v, 0, v.length);
        return v;
    }

    private static ObjectNode run(Network net, Map<String, String> meta, TrainConfig cfg, Param first) {
        ObjectNode root = JSON.createObjectNode();
        root.put("model", net.name());
        root.put("parameters", net.numParameters());
        ArrayNode input = root.putArray("input");
        for (int d : net.inputShape()) {
            input.add(d);
        }
        root.put("classes", net.classes());
        root.put("epochs", Integer.parseInt(meta.getOrDefault("epoch", "0")));
        root.put("partitions", Integer.parseInt(meta.getOrDefault("partitions", "0")));
        root.put("global_step", Long.parseLong(meta.getOrDefault("globalStep", "0")));
        if (first != null) {
            ObjectNode f = root.putObject("filters");
            f.put("file", FILTERS);
            f.put("parameter", net.params().entrySet().stream().filter(en -> en.getValue() == first).findFirst()
                    .map(Map.Entry::getKey).orElse(""));
        }
        ObjectNode settings = root.putObject("config");
        cfg.values().forEach(settings::put);
        return root;
    }

    /** The images as one uint8 array [N, H, W, C] (empty [0, 0, 0, 0] when none) and their classes as JSON. */
    private static void writeMisclassified(FileSystem fs, Path dir, List<BatchEvaluation.Misclassified> wrong,
            List<String> classes) throws IOException {
        int h = wrong.isEmpty() ? 0 : wrong.get(0).height, w = wrong.isEmpty() ? 0 : wrong.get(0).width;
        int c = wrong.isEmpty() ? 0 : wrong.get(0).channels;
        // images of another size than the first cannot share the array (only possible in a frame of mixed sizes)
        List<BatchEvaluation.Misclassified> kept = wrong.stream().filter(m -> m.height == h && m.width == w && m.channels == c)
                .toList();
        byte[] pixels = new byte[kept.size() * h * w * c];
        ObjectNode root = JSON.createObjectNode();
        root.put("file", MISCLASSIFIED);
        root.put("layout", "uint8 [image, height, width, channel], channels in RGB order");
        ArrayNode names = root.putArray("classes");
        classes.forEach(names::add);
        ArrayNode images = root.putArray("images");
        for (int i = 0; i < kept.size(); i++) {
            BatchEvaluation.Misclassified m = kept.get(i);
            System.arraycopy(m.pixels, 0, pixels, i * m.pixels.length, m.pixels.length);
            ObjectNode n = images.addObject();
            n.put("label", m.label);
            n.put("predicted", m.predicted);
            n.put("probability", m.probability);
            n.put("origin", m.origin);
        }
        Folders.writeFile(fs, new Path(dir, MISCLASSIFIED), Npy.encode(new int[] {kept.size(), h, w, c}, pixels));
        Folders.writeFile(fs, new Path(dir, MISCLASSIFIED_JSON), bytes(root));
    }

    private static byte[] bytes(ObjectNode node) throws IOException {
        return (JSON.writeValueAsString(node) + "\n").getBytes(StandardCharsets.UTF_8);
    }
}
