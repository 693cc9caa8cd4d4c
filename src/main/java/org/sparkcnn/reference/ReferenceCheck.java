package org.sparkcnn.reference;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs every reference case under some folders and prints {@code PASS name} or
 * {@code FAIL name: what differs} per case, then {@code N passed, M failed} (jobs/reference-check.sh,
 * whose command line is cli/CheckReferences). Status 0 when every case passed, 1 when one failed, 2
 * when no case was found or a folder is missing.
 */
public final class ReferenceCheck {
    private ReferenceCheck() {
    }

    /** The whole check of the case folders under {@code dirs}, testable: returns the exit status. */
    public static int run(List<String> dirs, PrintStream out, PrintStream err) {
        List<Path> roots = new ArrayList<>();
        for (String a : dirs) {
            Path p = Path.of(a);
            if (!Files.isDirectory(p)) {
                err.println("error: " + a + ": " + (Files.exists(p) ? "not a directory" : "no such directory"));
                return 2;
            }
            roots.add(p.toAbsolutePath().normalize());
        }
        List<Path> cases;
        try {
            cases = ReferenceRunner.findCases(roots);
        } catch (IOException e) {
            err.println("error: cannot search " + roots + ": " + e);
            return 2;
        }
        if (cases.isEmpty()) {
            err.println("error: no case folder (a folder with " + ReferenceCase.CASE_FILE + ") under "
                    + String.join(" ", dirs));
            return 2;
        }
        int passed = 0, failed = 0;
        for (Path dir : cases) {
            CaseResult r = ReferenceRunner.run(dir, caseName(dir, roots));
            out.println(r.line());
            if (r.passed()) {
                passed++;
            } else {
                failed++;
            }
        }
        out.println(passed + " passed, " + failed + " failed");
        out.flush();
        return failed == 0 ? 0 : 1;
    }

    /** The path relative to the DIR it was found under; the folder's own name when DIR is the case. */
    static String caseName(Path dir, List<Path> roots) {
        for (Path root : roots) {
            if (dir.startsWith(root) && !dir.equals(root)) {
                return root.relativize(dir).toString();
            }
        }
        Path name = dir.getFileName();
        return name == null ? dir.toString() : name.toString();
    }
}
