package org.sparkcnn.ml;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;
import org.junit.jupiter.api.Test;

/** docs/spark-ml.md lists every Param of both stages with the type, default and doc the code gives it. */
class StageDocsTest {
    static String row(Params stage, Param<?> p) {
        Object d = stage.getDefault(p).isDefined() ? stage.getDefault(p).get() : "";
        String type = p.getClass().getSimpleName().replace("Param", "").toLowerCase(java.util.Locale.ROOT);
        return "| `" + p.name() + "` | " + (type.isEmpty() ? "string" : type) + " | `" + d + "` | "
                + p.doc().replace("|", "\\|") + " |";
    }

    @Test
    void everyParamIsDocumentedAsTheCodeDefinesIt() throws IOException {
        String doc = Files.readString(Path.of("docs/spark-ml.md"));
        for (Params stage : new Params[] {new CnnClassifier(), new CnnClassificationModel("doc")}) {
            for (Param<?> p : stage.params()) {
                String row = row(stage, p);
                assertTrue(doc.contains(row), "docs/spark-ml.md lacks, for " + stage.getClass().getSimpleName() + ":\n"
                        + row);
            }
        }
    }
}
