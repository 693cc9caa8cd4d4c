package org.sparkcnn.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
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
                () -> new TrainConfig().set("model=vgg16", "--set").validate());
        assertTrue(e.getMessage().startsWith("--set: model 'vgg16' is neither a library network (lenet5, convnet,"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new TrainConfig().set("noequals", "--set"));
        assertThrows(IOException.class, () -> new TrainConfig().load(dir.resolve("missing.properties")));
    }

    @Test
    void sparkJobKeysHaveTheirOwnChecksAndTheBundledConfigIsValid() throws IOException {
        TrainConfig c = TrainConfig.distributed().load(Path.of("conf/train.properties")).validate();
        assertEquals(0, c.syncEvery());
        assertEquals(10, c.set("syncEvery=10", "--set").syncEvery());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainConfig.distributed().load(Path.of("conf/train.properties")).set("syncEvery=0", "--set").validate());
        assertTrue(e.getMessage().contains("--set: syncEvery=0 is not 'epoch' or a number of mini-batches >= 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.distributed().validate());
        assertTrue(e.getMessage().startsWith("train is not set"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new TrainConfig().set("partitions=2", "x.properties"));
        assertTrue(e.getMessage().contains("unknown key 'partitions'"), e.getMessage());
        String help = TrainConfig.distributed().help();
        for (String k : List.of("model", "train", "validation", "epochs", "batchSize", "optimizer", "learningRate",
                "syncEvery", "partitions", "seed", "output", "master")) {
            assertTrue(help.contains("\n  " + k + " ") || help.startsWith("  " + k + " "), k);
        }
    }

    /** Each key's type is what its default and its check accept, so typed Params made from the table are valid. */
    @Test
    void everyKeyIsTypedAndItsDefaultIsOfItsType() {
        for (Map<String, TrainConfig.Key> table : List.of(TrainConfig.SPARK_KEYS, TrainConfig.LOCAL_KEYS)) {
            for (TrainConfig.Key k : table.values()) {
                String d = k.defaultValue;
                switch (k.type) {
                    case INT -> Integer.parseInt(d);
                    case LONG -> Long.parseLong(d);
                    case DOUBLE -> Double.parseDouble(d);
                    case BOOLEAN -> assertTrue(d.equals("true") || d.equals("false"), k.name);
                    case CHOICE -> assertTrue(k.choices.contains(d), k.name + ": " + k.choices);
                    case STRING -> assertTrue(k.choices.isEmpty(), k.name);
                }
                assertEquals(k.type == TrainConfig.Type.CHOICE, !k.choices.isEmpty(), k.name);
            }
        }
        assertEquals(List.of("sgd", "adam", "adamw"), TrainConfig.SPARK_KEYS.get("optimizer").choices);
        for (TrainConfig.Key k : TrainConfig.SPARK_KEYS.values()) {
            if (k.type == TrainConfig.Type.CHOICE) {
                for (String v : k.choices) {
                    TrainConfig.distributed().set(k.name, v, "--set").validateWithoutPaths();
                }
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> TrainConfig.distributed().set(k.name, "bogus", "--set").validateWithoutPaths());
                assertTrue(e.getMessage().contains(k.name + "=bogus"), e.getMessage());
            }
        }
        // the settings alone are valid without the paths a DataFrame trainer never reads
        TrainConfig.distributed().validateWithoutPaths();
        assertThrows(IllegalArgumentException.class, () -> TrainConfig.distributed().validate());
    }
}
