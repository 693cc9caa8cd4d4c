package org.sparkcnn.spark;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;
import org.sparkcnn.io.JsonText;

/** How an epoch is reported: the progress line on the console and its line of metrics.jsonl. */
final class EpochReport {
    private EpochReport() {
    }

    /** "epoch 2/5  train_loss …  elapsed 16.4s". */
    static String progressLine(EpochStats s, int epochs, double elapsed) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "epoch %d/%d  train_loss %.4f  train_accuracy %.4f",
                s.epoch, epochs, s.loss(), s.accuracy()));
        if (s.validation != null) {
            sb.append(String.format(Locale.ROOT, "  val_loss %.4f  val_accuracy %.4f", s.validation.loss(),
                    s.validation.accuracy()));
        }
        sb.append(String.format(Locale.ROOT, "  images/s %.1f  train %.1fs  sync %.1fs  eval %.1fs  elapsed %.1fs",
                s.samples / s.seconds, s.trainSeconds, s.syncSeconds, s.evalSeconds, elapsed));
        if (s.bad.bad > 0) {
            sb.append("  bad records: ").append(s.bad.summary());
        }
        return sb.toString();
    }

    /** The epoch's JSON object on one line (docs/distributed.md lists the fields, in this order); {@code globalStep} after it. */
    static String metricsLine(EpochStats s, long globalStep) {
        ObjectNode o = JsonText.object();
        field(o, "epoch", s.epoch);
        field(o, "train_loss", s.loss());
        field(o, "train_accuracy", s.accuracy());
        field(o, "val_loss", s.validation == null ? Double.NaN : s.validation.loss());
        field(o, "val_accuracy", s.validation == null ? Double.NaN : s.validation.accuracy());
        field(o, "images_per_second", s.samples / s.seconds);
        field(o, "train_images", s.samples);
        field(o, "rounds", s.rounds);
        field(o, "seconds", s.seconds);
        field(o, "train_seconds", s.trainSeconds);
        field(o, "sync_seconds", s.syncSeconds);
        field(o, "eval_seconds", s.evalSeconds);
        field(o, "bad_records", s.bad.bad);
        ObjectNode kinds = o.putObject("bad_records_by_kind");
        for (org.sparkcnn.data.BadRecordKind k : org.sparkcnn.data.BadRecordKind.values()) {
            if (s.bad.count(k) > 0) {
                kinds.put(k.name(), s.bad.count(k));
            }
        }
        field(o, "global_step", globalStep);
        field(o, "learning_rate", s.learningRate);
        field(o, "time", System.currentTimeMillis() / 1000.0);
        if (s.validation != null) {
            ArrayNode rows = o.putArray("val_confusion");
            int k = s.validation.classes;
            for (int t = 0; t < k; t++) {
                ArrayNode row = rows.addArray();
                for (int q = 0; q < k; q++) {
                    row.add(s.validation.confusion[t * k + q]);
                }
            }
        }
        return JsonText.write(o);
    }

    /** {@code line} (a JSON object) with {@code fields} added at its end: numbers, or strings. */
    static String withFields(String line, java.util.Map<String, Object> fields) {
        if (fields.isEmpty()) {
            return line;
        }
        ObjectNode o = (ObjectNode) JsonText.MAPPER.valueToTree(JsonText.parse(line, "a metrics line"));
        fields.forEach((k, v) -> {
            if (v instanceof Number n) {
                field(o, k, n.doubleValue());
            } else {
                o.put(k, String.valueOf(v));
            }
        });
        return JsonText.write(o);
    }

    /** Whole numbers as integers (1, not 1.0); NaN (no validation set) as null: JSON has no NaN. */
    private static void field(ObjectNode o, String name, double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            o.putNull(name);
        } else if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            o.put(name, (long) v);
        } else {
            o.put(name, v);
        }
    }
}
