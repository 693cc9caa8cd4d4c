package org.sparkcnn.cli;

import java.util.Locale;
import org.sparkcnn.model.Description;
import org.sparkcnn.model.ModelLibrary;
import org.sparkcnn.model.ModelSummary;
import org.sparkcnn.model.ModelZoo;
import org.sparkcnn.model.Network;
import org.sparkcnn.model.NetworkBuilder;

/** jobs/model.sh: what a network description builds, layer by layer (docs/models.md). */
public final class ModelTool {
    static final String USAGE = String.join("\n",
            "usage: jobs/model.sh summary MODEL [--input CxHxW] [--classes N]",
            "       jobs/model.sh list",
            "  MODEL       a library network (" + String.join(", ", ModelLibrary.NAMES) + ")",
            "              or a network description file (docs/models.md)",
            "  --input     the image shape it is built for (default: the description's \"input\", else 1x28x28)",
            "  --classes   outputs (default: the description's \"classes\", else 10)",
            "Prints every layer's path, type, output shape, parameters and multiply-adds per image, and the totals.",
            "");

    private ModelTool() {
    }

    public static void main(String[] args) {
        CliSpark.main(args, ModelTool::run);
    }

    static void run(String[] a) {
        if (a.length == 0 || a[0].equals("--help") || a[0].equals("-h")) {
            System.out.print(USAGE);
            return;
        }
        if (a[0].equals("list")) {
            ModelLibrary.NAMES.forEach(System.out::println);
            return;
        }
        if (!a[0].equals("summary") || a.length < 2) {
            throw new IllegalArgumentException("expected 'summary MODEL' or 'list' (see --help)");
        }
        int[] input = null;
        int classes = 0;
        for (int i = 2; i < a.length; i++) {
            if (i + 1 >= a.length) {
                throw new IllegalArgumentException(a[i] + " needs a value (see --help)");
            }
            switch (a[i]) {
                case "--input": input = shape(a[++i], "--input"); break;
                case "--classes": classes = positive(a[++i], "--classes"); break;
                default: throw new IllegalArgumentException("unknown argument '" + a[i] + "' (see --help)");
            }
        }
        Network net = build(a[1], input, classes);
        System.out.print(ModelSummary.table(net));
    }

    /** The network for the given shape and classes, else what the description fixes, else Fashion-MNIST's. */
    static Network build(String model, int[] input, int classes) {
        Description d = ModelLibrary.describe(model);
        int[] in = input != null || d.fixes("input") ? input : ModelZoo.MNIST;
        return NetworkBuilder.build(d, in, classes > 0 || d.fixes("classes") ? classes : 10).init(0);
    }

    /** "CxHxW", e.g. 3x32x32. */
    static int[] shape(String v, String flag) {
        String[] p = v.toLowerCase(Locale.ROOT).split("x");
        if (p.length == 3) {
            try {
                int[] s = {Integer.parseInt(p[0]), Integer.parseInt(p[1]), Integer.parseInt(p[2])};
                if (s[0] >= 1 && s[1] >= 1 && s[2] >= 1) {
                    return s;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
        }
        throw new IllegalArgumentException(flag + " takes CxHxW, e.g. 3x32x32, got '" + v + "'");
    }

    static int positive(String v, String flag) {
        try {
            int n = Integer.parseInt(v);
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(flag + " takes an integer >= 1, got '" + v + "'");
    }
}
