package org.sparkcnn.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Locale;
import org.sparkcnn.train.ClassificationMetrics;

/**
 * What jobs/evaluate.sh prints and writes, and a train run's final evaluation.json: the metrics as a
 * table (scikit-learn's report) and as JSON (docs/inference.md lists the fields).
 */
public final class EvaluationReport {
    private final ClassificationMetrics m;
    private final List<String> classes;
    private final String model, input;
    private final double seconds;

    public EvaluationReport(ClassificationMetrics m, List<String> classes, String model, String input, double seconds) {
        this.m = m;
        this.classes = classes;
        this.model = model;
        this.input = input;
        this.seconds = seconds;
    }

    public String json() {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = mapper.createObjectNode();
        root.put("model", model);
        root.put("input", input);
        root.put("images", m.samples);
        root.put("skipped", m.skipped);
        root.put("accuracy", m.accuracy());
        root.put("top_k", m.k);
        root.put("top_k_accuracy", m.topAccuracy());
        root.put("loss", m.loss());
        averages(root.putObject("macro_avg"), false);
        averages(root.putObject("weighted_avg"), true);
        ArrayNode per = root.putArray("per_class");
        for (int c = 0; c < m.classes; c++) {
            ObjectNode n = per.addObject();
            n.put("index", c);
            n.put("class", classes.get(c));
            n.put("precision", m.precision(c));
            n.put("recall", m.recall(c));
            n.put("f1", m.f1(c));
            n.put("support", m.support(c));
        }
        ObjectNode confusion = root.putObject("confusion");
        confusion.put("rows", "true class");
        confusion.put("columns", "predicted class");
        ArrayNode matrix = confusion.putArray("matrix");
        for (int t = 0; t < m.classes; t++) {
            ArrayNode row = matrix.addArray();
            for (int p = 0; p < m.classes; p++) {
                row.add(m.confusion[t * m.classes + p]);
            }
        }
        root.put("seconds", seconds);
        root.put("images_per_second", (m.samples + m.skipped) / seconds);
        try {
            return mapper.writeValueAsString(root) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot write the evaluation as JSON", e);
        }
    }

    /** Unweighted (macro) or support-weighted means of precision, recall and F1 over the classes. */
    private void averages(ObjectNode n, boolean weighted) {
        double[] sums = new double[3];
        double total = 0;
        for (int c = 0; c < m.classes; c++) {
            double w = weighted ? m.support(c) : 1;
            sums[0] += w * m.precision(c);
            sums[1] += w * m.recall(c);
            sums[2] += w * m.f1(c);
            total += w;
        }
        n.put("precision", total == 0 ? 0 : sums[0] / total);
        n.put("recall", total == 0 ? 0 : sums[1] / total);
        n.put("f1", total == 0 ? 0 : sums[2] / total);
    }

    public String table() {
        int width = 12;
        for (String c : classes) {
            width = Math.max(width, c.length());
        }
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%nmodel %s on %s: %d images%s%n", model, input, m.samples,
                m.skipped > 0 ? " (" + m.skipped + " bad rows skipped)" : ""));
        sb.append(String.format(Locale.ROOT, "accuracy %.4f   top-%d accuracy %.4f   loss %.4f   %.1f images/s%n%n",
                m.accuracy(), m.k, m.topAccuracy(), m.loss(), (m.samples + m.skipped) / seconds));
        String row = "%" + width + "s %9s %9s %9s %9s%n";
        sb.append(String.format(Locale.ROOT, row, "", "precision", "recall", "f1", "support"));
        for (int c = 0; c < m.classes; c++) {
            sb.append(String.format(Locale.ROOT, "%" + width + "s %9.4f %9.4f %9.4f %9d%n", classes.get(c),
                    m.precision(c), m.recall(c), m.f1(c), m.support(c)));
        }
        sb.append(String.format(Locale.ROOT, "%nconfusion matrix (rows: true class, columns: predicted; classes by index)%n"));
        sb.append(confusion());
        return sb.append(String.format("%n")).toString();
    }

    private String confusion() {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%6s", ""));
        for (int p = 0; p < m.classes; p++) {
            sb.append(String.format(Locale.ROOT, " %6d", p));
        }
        for (int t = 0; t < m.classes; t++) {
            sb.append(String.format(Locale.ROOT, "%n%6d", t));
            for (int p = 0; p < m.classes; p++) {
                sb.append(String.format(Locale.ROOT, " %6d", m.confusion[t * m.classes + p]));
            }
        }
        return sb.append(String.format("%n")).toString();
    }
}
