package org.sparkcnn.fs;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Paths compared as the file system sees them: a shared prefix is not nesting, a symlink is what it points at. */
class OutputGuardTest {
    @TempDir
    Path dir;
    private final Configuration conf = new Configuration();

    private void refused(String output, String input, String relation) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OutputGuard.check("output", output, Map.of("train", input), conf), output + " vs " + input);
        assertTrue(e.getMessage().contains(" " + relation + " the input train " + input), e.getMessage());
    }

    private void allowed(String output, String input) {
        assertDoesNotThrow(() -> OutputGuard.check("output", output, Map.of("train", input), conf), output + " vs " + input);
    }

    @Test
    void equalInsideAndContainingAreRefusedSiblingsAreNot() throws IOException {
        Path data = Files.createDirectories(dir.resolve("data/train"));
        String train = data.toString();
        refused(train, train, "is");
        refused(train + "/", train, "is");
        refused(dir.resolve("data/./x/../train").toString(), train, "is");
        refused("file://" + train, train, "is");
        refused(Path.of("").toAbsolutePath().relativize(data).toString(), train, "is");
        refused(train + "/runs/a", train, "lies inside");
        refused(dir.resolve("data").toString(), train, "contains");
        refused("/", train, "contains");
        allowed(train + "-run", train);
        allowed(dir.resolve("data/trai").toString(), train);
        allowed(dir.resolve("runs/a").toString(), train);
        allowed(dir.resolve("runs/a").toString(), "");
    }

    @Test
    void symbolicLinksAreResolvedAlsoBelowOutputsThatDoNotExistYet() throws IOException {
        Path data = Files.createDirectories(dir.resolve("data/train"));
        Path link = Files.createSymbolicLink(dir.resolve("link"), dir.resolve("data"));
        refused(link.resolve("train").toString(), data.toString(), "is");
        refused(link.resolve("train/new/run").toString(), data.toString(), "lies inside");
        refused(data.toString(), link.resolve("train").toString(), "is");
        allowed(link.resolve("other").toString(), data.toString());
    }

    @Test
    void anOutputThatIsAFileIsRefused() throws IOException {
        Path file = Files.writeString(dir.resolve("notes.txt"), "x");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OutputGuard.check("--out", file.toString(), Map.of(), conf));
        assertTrue(e.getMessage().equals("--out " + file + " is a file: the output must be a folder"), e.getMessage());
    }
}
