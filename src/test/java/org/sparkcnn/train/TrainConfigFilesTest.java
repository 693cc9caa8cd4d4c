package org.sparkcnn.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.sparkcnn.model.ModelLibrary;
import org.sparkcnn.model.Network;

/** conf/train/NAME.properties: one valid Spark-job config per library model. */
class TrainConfigFilesTest {
    private static final Path DIR = Path.of("conf/train");

    @Test
    void everyLibraryModelHasOne() throws Exception {
        TreeSet<String> names = new TreeSet<>();
        try (Stream<Path> files = Files.list(DIR)) {
            files.forEach(f -> names.add(f.getFileName().toString().replaceFirst("\\.properties$", "")));
        }
        assertEquals(new TreeSet<>(ModelLibrary.NAMES), names);
    }

    @Test
    void eachIsValidTrainsItsModelAndBuildsForFashionMnist() throws Exception {
        for (String name : ModelLibrary.NAMES) {
            Path file = DIR.resolve(name + ".properties");
            TrainConfig cfg = TrainConfig.distributed().load(file).validateWithoutPaths();
            assertEquals(name, cfg.get("model"), file.toString());
            assertEquals("runs/" + name, cfg.get("output"), file + ": its own run folder");
            assertEquals("data/fashion-mnist/train", cfg.get("train"), file.toString());
            assertTrue(Files.readString(file).contains("jobs/train.sh --config " + file), file + " names its command");
            Network net = ModelLibrary.build(name, new int[] {1, 28, 28}, 10, cfg.getLong("seed"));
            assertEquals(10, net.classes(), file + ": 10 classes");
        }
    }
}
