package org.sparkcnn.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainConfigTest {
    @TempDir
    Path dir;

    @Test
    void bundledConfigIsValid() throws IOException {
        TrainConfig c = new TrainConfig().load(Path.of("conf/local-train.properties")).validate();
        assertEquals("lenet5", c.get("model"));
    }

    @Test
    void badKeysAndValuesNameTheKeyAndWhereItCameFrom() throws IOException {
        Path f = dir.resolve("x.properties");
        Files.writeString(f, "model = lenet5\nbatchsize = 64\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TrainConfig().load(f));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("'batchsize'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new TrainConfig().set("epochs=0", "--set").validate());
        assertTrue(e.getMessage().contains("--set: epochs=0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new TrainConfig().set("model=vgg", "--set").validate());
        assertTrue(e.getMessage().contains("model=vgg"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new TrainConfig().set("noequals", "--set"));
        assertThrows(IOException.class, () -> new TrainConfig().load(dir.resolve("missing.properties")));
    }
}
