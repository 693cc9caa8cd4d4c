package org.sparkcnn.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.sparkcnn.fs.Folders;
import org.sparkcnn.io.TensorBoardEvents;

/**
 * The run's metrics in the forms other tools read, made from the metrics.jsonl lines each time
 * they are written (so a resumed run's files match its history): {@code metrics.csv} (one row per
 * epoch, one column per scalar field, empty for null) and {@code tensorboard/events.out.tfevents.sparkcnn}
 * (every scalar field as a TensorBoard scalar at step = epoch). Each file is written beside its
 * target and renamed into place ({@link Folders#writeFile}).
 */
final class MetricsViews {
    static final String CSV = "metrics.csv", TENSORBOARD = "tensorboard", EVENTS = "events.out.tfevents.sparkcnn";
    /** Fields that are not a figure to plot. */
    private static final Set<String> NOT_SCALARS = Set.of("epoch", "time");
    private static final ObjectMapper JSON = new ObjectMapper();

    private MetricsViews() {
    }

    static void write(FileSystem fs, Path dir, List<String> lines) throws IOException {
        List<JsonNode> epochs = new ArrayList<>();
        for (String line : lines) {
            epochs.add(JSON.readTree(line));
        }
        Folders.writeFile(fs, new Path(dir, CSV), csv(epochs).getBytes(StandardCharsets.UTF_8));
        fs.mkdirs(new Path(dir, TENSORBOARD));
        Folders.writeFile(fs, new Path(new Path(dir, TENSORBOARD), EVENTS), events(epochs));
    }

    /** The scalar fields in order of first appearance. */
    private static List<String> columns(List<JsonNode> epochs) {
        Set<String> names = new LinkedHashSet<>();
        for (JsonNode e : epochs) {
            for (Iterator<String> it = e.fieldNames(); it.hasNext(); ) {
                String n = it.next();
                if (e.get(n).isNumber() || e.get(n).isNull()) {
                    names.add(n);
                }
            }
        }
        return new ArrayList<>(names);
    }

    static String csv(List<JsonNode> epochs) {
        List<String> cols = columns(epochs);
        StringBuilder sb = new StringBuilder(String.join(",", cols)).append('\n');
        for (JsonNode e : epochs) {
            for (int i = 0; i < cols.size(); i++) {
                JsonNode v = e.get(cols.get(i));
                sb.append(i == 0 ? "" : ",").append(v == null || v.isNull() ? "" : v.asText());
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    static byte[] events(List<JsonNode> epochs) {
        double first = epochs.isEmpty() ? 0 : wallTime(epochs.get(0), 0);
        TensorBoardEvents tb = new TensorBoardEvents(first);
        double elapsed = 0;
        for (JsonNode e : epochs) {
            elapsed += e.path("seconds").asDouble(0);
            double wall = wallTime(e, elapsed);
            long step = e.path("epoch").asLong();
            for (String n : columns(List.of(e))) {
                if (!NOT_SCALARS.contains(n) && e.get(n).isNumber()) {
                    tb.scalar(n, step, wall, (float) e.get(n).asDouble());
                }
            }
        }
        return tb.bytes();
    }

    /** The epoch's end in Unix seconds; for lines from before "time" was written, the seconds run so far. */
    private static double wallTime(JsonNode e, double elapsed) {
        return e.has("time") ? e.get("time").asDouble() : elapsed;
    }
}
