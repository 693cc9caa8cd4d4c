package org.sparkcnn.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.sparkcnn.train.TrainConfig;
import picocli.CommandLine.Option;

/**
 * The options the training mains share (a picocli mixin): --config FILE and --set key=value, applied
 * to a {@link TrainConfig} in the order given (a later one overrides), and --help, whose usage ends
 * with the configuration's keys ({@link TrainConfig#help()}: defined once, there).
 */
final class ConfigArgs {
    /** Each --config or --set as given: {flag, value}. */
    private final List<String[]> steps = new ArrayList<>();

    @Option(names = "--config", order = 1, paramLabel = "FILE", description = "a properties file of keys (below); may repeat")
    void config(String file) {
        steps.add(new String[] {"--config", file});
    }

    @Option(names = "--set", order = 2, paramLabel = "key=value", description = "one key (below); may repeat, applied in order")
    void set(String assignment) {
        steps.add(new String[] {"--set", assignment});
    }

    @Option(names = {"-h", "--help"}, order = 99, usageHelp = true, description = "this help")
    boolean help;

    /** The usage's footer: the keys of {@code cfg} with their defaults. */
    static String keys(TrainConfig cfg) {
        return "\nKeys (default, meaning):\n" + cfg.help();
    }

    /** Applies every --config and --set to {@code cfg}, in order. */
    TrainConfig applyTo(TrainConfig cfg) throws IOException {
        for (String[] s : steps) {
            if (s[0].equals("--config")) {
                cfg.load(Path.of(s[1]));
            } else {
                cfg.set(s[1], "--set");
            }
        }
        return cfg;
    }
}
