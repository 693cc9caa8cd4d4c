package org.sparkcnn.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.sparkcnn.block.Sequential;
import org.sparkcnn.layer.AbstractLayer;
import org.sparkcnn.layer.Buffer;
import org.sparkcnn.layer.Layer;
import org.sparkcnn.layer.Param;
import org.sparkcnn.tensor.Shapes;

/**
 * A network layer by layer, as Keras' {@code model.summary()} or torchinfo show it: path, type,
 * output shape for one image, parameters and multiply-adds of each layer (containers: of
 * everything inside), and the totals.
 */
public final class ModelSummary {
    /** One line of the table. */
    public record Row(int depth, String path, String kind, int[] output, long params, long macs) {
    }

    private ModelSummary() {
    }

    /** The rows for one image, in tree order (containers before what they hold). */
    public static List<Row> rows(Network net) {
        List<Row> rows = new ArrayList<>();
        int[] in = net.inputShape();
        int[] probe = new int[in.length + 1];
        probe[0] = 1;
        System.arraycopy(in, 0, probe, 1, in.length);
        walk(net.root(), "", probe, 0, rows);
        return rows;
    }

    /** Adds {@code l}'s rows; returns {params, macs} of its subtree. */
    private static long[] walk(Layer l, String prefix, int[] in, int depth, List<Row> rows) {
        String path = prefix.isEmpty() ? l.name() : l.name().isEmpty() ? prefix : prefix + "." + l.name();
        boolean shown = !l.name().isEmpty() || l.children().isEmpty();
        int at = rows.size();
        long params = 0;
        for (Param p : l.params()) {
            params += p.value.size();
        }
        long macs = l instanceof AbstractLayer a && l.children().isEmpty() ? a.forwardMacs(in) : 0;
        int inner = shown ? depth + 1 : depth;
        int[] s = in;
        for (Layer c : l.children()) {
            long[] sub = walk(c, path, l instanceof Sequential ? s : in, inner, rows);
            params += sub[0];
            macs += sub[1];
            if (l instanceof Sequential) {
                s = c.outputShape(s);
            }
        }
        if (shown) {
            String kind = l instanceof AbstractLayer a ? a.kind() : l.getClass().getSimpleName();
            rows.add(at, new Row(depth, path.isEmpty() ? "(network)" : path, kind, l.outputShape(in), params, macs));
        }
        return new long[] {params, macs};
    }

    /** The table as text, with a totals line: parameters, their float32 size, buffers, MACs per image. */
    public static String table(Network net) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%s for %s images, %d classes%n", net.name(),
                NetworkBuilder.chw(net.inputShape()), net.classes()));
        b.append(String.format(Locale.ROOT, "%-40s %-42s %-18s %12s %15s%n", "layer", "type", "output", "params", "MACs"));
        long macs = 0;
        for (Row r : rows(net)) {
            String name = "  ".repeat(r.depth()) + r.path();
            String kind = r.kind().length() > 42 ? r.kind().substring(0, 41) + "…" : r.kind();
            b.append(String.format(Locale.ROOT, "%-40s %-42s %-18s %,12d %,15d%n", name, kind,
                    Shapes.str(r.output()).replace("[1, ", "[N, "), r.params(), r.macs()));
            if (r.depth() == 0) {
                macs += r.macs();
            }
        }
        long buffers = 0;
        for (Buffer x : net.buffers().values()) {
            buffers += x.value.size();
        }
        b.append(String.format(Locale.ROOT, "total: %,d parameters (%.1f KiB as float32), %,d buffer values, %,d MACs"
                + " per image%n", net.numParameters(), net.numParameters() * 4 / 1024.0, buffers, macs));
        return b.toString();
    }
}
