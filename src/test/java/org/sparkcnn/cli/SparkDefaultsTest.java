package org.sparkcnn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** conf/spark-defaults.conf as the jobs' sessions see it (cli/CliSpark). */
class SparkDefaultsTest {
    @Test
    void theBuildBundlesTheFileAsItIs() throws Exception {
        try (InputStream in = CliSpark.class.getResourceAsStream(CliSpark.DEFAULTS_RESOURCE)) {
            assertNotNull(in, CliSpark.DEFAULTS_RESOURCE);
            assertEquals(Files.readString(Path.of("conf/spark-defaults.conf")), new String(in.readAllBytes(), "UTF-8"));
        }
    }

    @Test
    void localModeGetsLoopbackAndKryo() {
        Map<String, String> local = CliSpark.defaults(true);
        assertEquals("org.apache.spark.serializer.KryoSerializer", local.get("spark.serializer"));
        assertEquals("org.sparkcnn.spark.KryoClasses", local.get("spark.kryo.registrator"));
        assertEquals("127.0.0.1", local.get("spark.driver.bindAddress"));
        assertEquals("127.0.0.1", local.get("spark.driver.host"));
        assertEquals("false", local.get("spark.ui.enabled"));
    }

    @Test
    void aClusterKeepsItsOwnAddressesButGetsKryo() {
        Map<String, String> cluster = CliSpark.defaults(false);
        assertEquals("org.sparkcnn.spark.KryoClasses", cluster.get("spark.kryo.registrator"));
        for (String k : CliSpark.LOCAL_ONLY) {
            assertFalse(cluster.containsKey(k), k);
        }
        Map<String, String> local = CliSpark.defaults(true);
        assertEquals(local.size() - CliSpark.LOCAL_ONLY.size(), cluster.size(), "only the local-only keys differ");
    }
}
