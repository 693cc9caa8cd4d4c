package org.sparkcnn.cli;

import picocli.CommandLine;

/**
 * Parses a main's arguments into its picocli-annotated options object. A usage mistake becomes
 * an IllegalArgumentException, which {@link CliSpark#execute} reports as one {@code error:} line
 * with exit code 2, like every other bad flag of the jobs; {@code --help} prints the generated
 * usage (with the exit codes) and returns false.
 */
final class CommandLines {
    static final String EXIT_CODES = "%nExit codes: 0 done, 1 failed (data or runtime; Spark's log is named),"
            + " 2 usage or configuration.%n";

    private CommandLines() {
    }

    static boolean parse(Object options, String[] args) {
        CommandLine cl = new CommandLine(options).setCaseInsensitiveEnumValuesAllowed(true);
        cl.getCommandSpec().usageMessage().footer(EXIT_CODES);
        try {
            cl.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            // a mistyped flag says more than the required options it left missing, which picocli reports first
            for (String a : args) {
                String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
                if (name.startsWith("-") && cl.getCommandSpec().findOption(name) == null) {
                    throw new IllegalArgumentException("unknown option '" + name + "' (see --help)", e);
                }
            }
            throw new IllegalArgumentException(e.getMessage() + " (see --help)", e);
        }
        if (cl.isUsageHelpRequested()) {
            cl.usage(System.out);
            return false;
        }
        return true;
    }
}
