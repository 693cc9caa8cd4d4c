package org.sparkcnn.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.sparkcnn.train.TrainConfig;

/** The command line the training mains share: --config FILE, --set key=value, --help, and their own flags. */
final class ConfigArgs {
    private ConfigArgs() {
    }

    /**
     * Applies {@code args} to {@code cfg} in order; returns the flags of {@code flags} that were
     * given, or null when --help printed {@code usage} and the keys (the caller then stops).
     */
    static Set<String> apply(String[] args, TrainConfig cfg, String usage, Set<String> flags) throws IOException {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--help":
                case "-h":
                    System.out.print(usage + cfg.help());
                    return null;
                case "--config":
                    cfg.load(Path.of(value(args, ++i, "--config")));
                    break;
                case "--set":
                    cfg.set(value(args, ++i, "--set"), "--set");
                    break;
                default:
                    if (!flags.contains(args[i])) {
                        throw new IllegalArgumentException("unknown argument '" + args[i] + "' (see --help)");
                    }
                    seen.add(args[i]);
            }
        }
        return seen;
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) {
            throw new IllegalArgumentException(flag + " needs a value");
        }
        return args[i];
    }
}
