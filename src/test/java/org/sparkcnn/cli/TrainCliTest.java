package org.sparkcnn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** jobs/train.sh's main: help, and the errors a user meets before any training. */
class TrainCliTest {
    @TempDir
    Path dir;

    @Test
    void helpListsEveryKeyWithItsDefault() throws IOException {
        PrintStream old = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            Train.run(new String[] {"--help"});
        } finally {
            System.setOut(old);
        }
        String help = bytes.toString(StandardCharsets.UTF_8);
        for (String k : org.sparkcnn.train.TrainConfig.SPARK_KEYS.keySet()) {
            assertTrue(help.contains("\n  " + k + " "), k + " missing from:\n" + help);
        }
        assertTrue(help.contains("  syncEvery       epoch"), help);
        assertTrue(help.startsWith("Usage: jobs/train.sh "), help);
        assertTrue(help.contains("--resume[=auto]") && help.contains("--overwrite") && help.contains("--set=key=value"), help);
        assertTrue(help.endsWith(String.format(CommandLines.EXIT_CODES + "%n")), help);
    }

    @Test
    void badArgumentsAndKeysAreNamed() throws IOException {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Train.run(new String[] {"--bogus"}));
        assertTrue(e.getMessage().contains("unknown option '--bogus'"), e.getMessage());
        Path conf = Files.writeString(dir.resolve("c.properties"), "model = lenet5\nsyncevery = 3\n");
        e = assertThrows(IllegalArgumentException.class, () -> Train.run(new String[] {"--config", conf.toString()}));
        assertTrue(e.getMessage().contains(conf + ": unknown key 'syncevery'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Train.run(new String[] {"--set", "train=x", "--set",
            "output=y", "--set", "partitions=-1"}));
        assertTrue(e.getMessage().contains("--set: partitions=-1 is not an integer >= 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Train.run(new String[] {"--set", "output=y"}));
        assertTrue(e.getMessage().startsWith("train is not set"), e.getMessage());
        assertThrows(java.nio.file.NoSuchFileException.class, () -> Train.run(new String[] {"--config", "nope.properties"}));
        e = assertThrows(IllegalArgumentException.class, () -> Train.run(new String[] {"--resume", "--resume=auto",
            "--set", "train=x", "--set", "output=y"}));
        assertTrue(e.getMessage().contains("give --resume or --resume=auto, not both"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Train.run(new String[] {"--resume=always"}));
        assertTrue(e.getMessage().contains("--resume takes no value or =auto, got 'always'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Train.run(new String[] {"--set"}));
        assertTrue(e.getMessage().contains("--set") && e.getMessage().endsWith("(see --help)"), e.getMessage());
    }

    /** --config and --set apply in the order given: a later one overrides an earlier one. */
    @Test
    void configAndSetApplyInTurn() throws IOException {
        Path conf = Files.writeString(dir.resolve("c.properties"), "epochs = 3\npartitions = 9\n");
        assertEquals("3", applied("--set", "epochs=5", "--config", conf.toString()).get("epochs"));
        org.sparkcnn.train.TrainConfig c = applied("--config", conf.toString(), "--set", "epochs=4", "--config=" + conf,
                "--set=epochs=6");
        assertEquals("6", c.get("epochs"));
        assertEquals("9", c.get("partitions"));
    }

    private static org.sparkcnn.train.TrainConfig applied(String... args) throws IOException {
        Train t = new Train();
        assertSame(t, CommandLines.command(t, args, ""));
        return t.config.applyTo(org.sparkcnn.train.TrainConfig.distributed());
    }

    /** A dataset that does not exist is named in the error. */
    @Test
    void aMissingDatasetIsNamed() {
        String missing = dir.resolve("no-such-dataset").toString();
        Exception e = assertThrows(Exception.class, () -> Train.run(new String[] {"--set", "train=" + missing,
            "--set", "output=" + dir.resolve("run"), "--set", "master=local[1]"}));
        assertTrue(CliSpark.rootMessage(e).contains("no-such-dataset"), CliSpark.rootMessage(e));
    }
}
