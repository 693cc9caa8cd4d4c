package org.sparkcnn.spark;

import java.util.Locale;
import org.sparkcnn.io.Json;

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

    /** The epoch's JSON object (docs/distributed.md lists the fields); {@code globalStep} after it. */
    static String metricsLine(EpochStats s, long globalStep) {
        StringBuilder sb = new StringBuilder("{");
        field(sb, "epoch", s.epoch);
        field(sb, "train_loss", s.loss());
        field(sb, "train_accuracy", s.accuracy());
        field(sb, "val_loss", s.validation == null ? Double.NaN : s.validation.loss());
        field(sb, "val_accuracy", s.validation == null ? Double.NaN : s.validation.accuracy());
        field(sb, "images_per_second", s.samples / s.seconds);
        field(sb, "train_images", s.samples);
        field(sb, "rounds", s.rounds);
        field(sb, "seconds", s.seconds);
        field(sb, "train_seconds", s.trainSeconds);
        field(sb, "sync_seconds", s.syncSeconds);
        field(sb, "eval_seconds", s.evalSeconds);
        field(sb, "bad_records", s.bad.bad);
        field(sb, "global_step", globalStep);
        field(sb, "learning_rate", s.learningRate);
        field(sb, "time", System.currentTimeMillis() / 1000.0);
        if (s.validation != null) {
            sb.append("\"val_confusion\":[");
            int k = s.validation.classes;
            for (int t = 0; t < k; t++) {
                sb.append(t == 0 ? "[" : ",[");
                for (int q = 0; q < k; q++) {
                    sb.append(q == 0 ? "" : ",").append(s.validation.confusion[t * k + q]);
                }
                sb.append(']');
            }
            sb.append("],");
        }
        sb.setLength(sb.length() - 1);
        return sb.append('}').toString();
    }

    /** {@code line} (a JSON object) with {@code fields} added at its end: numbers, or strings. */
    static String withFields(String line, java.util.Map<String, Object> fields) {
        if (fields.isEmpty()) {
            return line;
        }
        StringBuilder sb = new StringBuilder(line.substring(0, line.length() - 1)).append(',');
        fields.forEach((k, v) -> {
            if (v instanceof Number n) {
                field(sb, k, n.doubleValue());
            } else {
                sb.append(Json.quote(k)).append(':').append(Json.quote(String.valueOf(v))).append(',');
            }
        });
        sb.setLength(sb.length() - 1);
        return sb.append('}').toString();
    }

    /** NaN (no validation set) is written as null: JSON has no NaN. */
    private static void field(StringBuilder sb, String name, double v) {
        sb.append(Json.quote(name)).append(':');
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            sb.append("null");
        } else if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            sb.append((long) v);
        } else {
            sb.append(v);
        }
        sb.append(',');
    }
}
