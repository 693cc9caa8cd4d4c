package org.sparkcnn.cli;

import java.util.List;
import org.sparkcnn.reference.ReferenceCheck;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** jobs/reference-check.sh: every reference case under the folders against the engine (docs/reference-cases.md). */
@Command(name = "jobs/reference-check.sh", sortOptions = false, description = {
    "Runs every reference case (a folder with case.json) found under each DIR against the engine; prints",
    "PASS name or FAIL name: what differs per case, then \"N passed, M failed\". Exit 1 when a case failed,",
    "2 when no case was found or a DIR is missing.", ""})
public final class CheckReferences {
    @Parameters(arity = "1..*", paramLabel = "DIR", description = "folders to search for case folders")
    List<String> dirs;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "this help")
    boolean help;

    public static void main(String[] args) {
        int[] status = {0};
        CliSpark.main(args, a -> {
            CheckReferences c = new CheckReferences();
            if (CommandLines.parse(c, a)) {
                status[0] = ReferenceCheck.run(c.dirs, System.out, System.err);
            }
        });
        System.exit(status[0]);
    }
}
