package org.sparkcnn.cli;

import java.util.Locale;
import org.sparkcnn.model.Description;
import org.sparkcnn.model.ModelLibrary;
import org.sparkcnn.model.ModelSummary;
import org.sparkcnn.model.ModelZoo;
import org.sparkcnn.model.Network;
import org.sparkcnn.model.NetworkBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** jobs/model.sh: what a network description builds, layer by layer (docs/models.md). */
@Command(name = "jobs/model.sh", subcommands = {ModelTool.Summary.class, ModelTool.Names.class},
        synopsisSubcommandLabel = "COMMAND", description = {
            "Networks of the library and description files (docs/models.md); 'jobs/model.sh COMMAND --help' for a command.",
            ""})
public final class ModelTool {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "this help")
    boolean help;

    public static void main(String[] args) {
        CliSpark.main(args, ModelTool::run);
    }

    static void run(String[] args) {
        Object command = CommandLines.command(new ModelTool(), args, "");
        if (command instanceof Runnable r) {
            r.run();
        }
    }

    @Command(name = "summary", sortOptions = false, description = {
        "Every layer's path, type, output shape, parameters and multiply-adds per image, and the totals.", ""})
    static final class Summary implements Runnable {
        @Parameters(paramLabel = "MODEL",
                description = "a library network (jobs/model.sh list) or a network description file (docs/models.md)")
        String model;

        @Option(names = "--input", paramLabel = "CxHxW",
                description = "the image shape it is built for (default: the description's \"input\", else 1x28x28)")
        String input;

        @Option(names = "--classes", paramLabel = "N", description = "outputs (default: the description's \"classes\", else 10)")
        Integer classes;

        @Option(names = {"-h", "--help"}, usageHelp = true, description = "this help")
        boolean help;

        @Override
        public void run() {
            if (classes != null && classes < 1) {
                throw new IllegalArgumentException("--classes takes an integer >= 1, got " + classes);
            }
            Network net = build(model, input == null ? null : shape(input, "--input"), classes == null ? 0 : classes);
            System.out.print(ModelSummary.table(net));
        }
    }

    @Command(name = "list", description = {"The networks of the library, one name a line.", ""})
    static final class Names implements Runnable {
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "this help")
        boolean help;

        @Override
        public void run() {
            ModelLibrary.NAMES.forEach(System.out::println);
        }
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
}
