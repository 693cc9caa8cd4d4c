package org.sparkcnn.cli;

import java.util.List;
import picocli.CommandLine;

/**
 * Parses a main's arguments into its picocli-annotated options object (and, for a main with
 * subcommands, the chosen subcommand's). A usage mistake becomes an IllegalArgumentException,
 * which {@link CliSpark#execute} reports as one {@code error:} line with exit code 2, like every
 * other bad flag of the jobs; {@code --help} prints the generated usage (with the exit codes).
 */
final class CommandLines {
    static final String EXIT_CODES = "%nExit codes: 0 done, 1 failed (data or runtime; Spark's log is named),"
            + " 2 usage or configuration.";

    /** Of the usage: the descriptions are written in lines of at most this many characters. */
    static final int WIDTH = 120;

    private CommandLines() {
    }

    /** Parses into {@code options}; false when --help printed the usage (the caller then stops). */
    static boolean parse(Object options, String[] args) {
        return command(options, args, "") != null;
    }

    /**
     * Parses into {@code options}; returns the object of the command to run (the chosen
     * subcommand's, else {@code options}), or null when --help printed the usage. {@code footer}
     * (plain text, e.g. a table) goes after the options in the usage, before the exit codes. Where a command has
     * {@code --set} (the training mains), its options may repeat: --config and --set apply in turn.
     */
    static Object command(Object options, String[] args, String footer) {
        CommandLine cl = new CommandLine(options).setCaseInsensitiveEnumValuesAllowed(true);
        cl.setUsageHelpWidth(WIDTH);
        cl.setOverwrittenOptionsAllowed(cl.getCommandSpec().findOption("--set") != null);
        exitCodes(cl);
        if (!footer.isEmpty()) { // as it is: picocli would rewrap a table
            List<String> sections = new java.util.ArrayList<>(cl.getHelpSectionKeys());
            sections.add(sections.indexOf(CommandLine.Model.UsageMessageSpec.SECTION_KEY_FOOTER), "text");
            cl.setHelpSectionKeys(sections);
            cl.getHelpSectionMap().put("text", help -> footer);
        }
        CommandLine.ParseResult parsed;
        try {
            parsed = cl.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            throw usage(e, args);
        }
        if (CommandLine.printHelpIfRequested(parsed)) {
            return null;
        }
        while (parsed.hasSubcommand()) {
            parsed = parsed.subcommand();
        }
        if (!parsed.commandSpec().subcommands().isEmpty()) {
            throw new IllegalArgumentException("expected a command: " + String.join(", ",
                    parsed.commandSpec().subcommands().keySet()) + " (see --help)");
        }
        return parsed.commandSpec().userObject();
    }

    private static void exitCodes(CommandLine cl) {
        cl.getCommandSpec().usageMessage().footer(EXIT_CODES);
        cl.getSubcommands().values().forEach(CommandLines::exitCodes);
    }

    /** The one line a usage mistake gets: a mistyped flag or command says more than what it left missing. */
    private static IllegalArgumentException usage(CommandLine.ParameterException e, String[] args) {
        CommandLine at = e.getCommandLine();
        CommandLine.Model.CommandSpec spec = at.getCommandSpec();
        String in = spec.parent() == null ? "" : " for " + spec.name();
        if (!spec.subcommands().isEmpty() && e instanceof CommandLine.UnmatchedArgumentException u
                && !u.getUnmatched().isEmpty() && !u.getUnmatched().get(0).startsWith("-")) {
            return new IllegalArgumentException("unknown command '" + u.getUnmatched().get(0) + "': expected "
                    + String.join(", ", spec.subcommands().keySet()) + " (see --help)", e);
        }
        List<String> after = List.of(args).subList(position(at, args), args.length);
        for (String a : after) {
            String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            if (name.startsWith("-") && spec.findOption(name) == null) {
                return new IllegalArgumentException("unknown option '" + name + "'" + in + " (see --help)", e);
            }
        }
        return new IllegalArgumentException(e.getMessage() + in + " (see --help)", e);
    }

    /** Where the arguments of {@code at} (a subcommand) start: after its name. */
    private static int position(CommandLine at, String[] args) {
        if (at.getCommandSpec().parent() == null) {
            return 0;
        }
        int from = position(at.getParent(), args);
        for (int i = from; i < args.length; i++) {
            if (at.getCommandSpec().names().contains(args[i])) {
                return i + 1;
            }
        }
        return from;
    }
}
