package org.sparkcnn.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/configuration.md holds both key tables exactly as TrainConfig defines them. */
class ConfigurationDocTest {
    @Test
    void theDocsListEveryKeyAsTheCodeDefinesIt() throws IOException {
        String doc = Files.readString(Path.of("docs/configuration.md"));
        String spark = TrainConfig.distributed().markdownTable(), local = new TrainConfig().markdownTable();
        assertTrue(doc.contains("## The Spark job: `jobs/train.sh`\n\n" + spark),
                "docs/configuration.md's Spark table differs from TrainConfig:\n" + spark);
        assertTrue(doc.contains("## One JVM: `jobs/train-local.sh`\n\n" + local),
                "docs/configuration.md's single-JVM table differs from TrainConfig:\n" + local);
    }
}
