package org.sparkcnn.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkcnn.model.ModelSpec;
import org.sparkcnn.spark.SparkTestSessions;
import org.sparkcnn.spark.TrainedModel;

/**
 * CnnClassificationModel on what Spark's own image data source reads: decoded images are scored,
 * a file it could not decode (its invalid-image row) fails the job naming the file, or under skip
 * gets nulls and is counted.
 */
class ImageSourceTransformTest {
    @TempDir
    static Path dir;
    private static SparkSession spark;
    private static Dataset<Row> images;
    private static CnnClassificationModel model;

    @BeforeAll
    static void start() throws Exception {
        spark = SparkTestSessions.local(1, Map.of());
        for (int i = 0; i < 3; i++) {
            BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
            img.getRaster().setSample(i, i, 0, 200);
            ImageIO.write(img, "png", dir.resolve("img" + i + ".png").toFile());
        }
        Files.writeString(dir.resolve("notes.png"), "not an image");
        images = spark.read().format("image").load(dir.toString());
        model = new CnnClassificationModel(TrainedModel.of(ModelSpec.of("lenet5", new int[] {1, 28, 28}, 10).build(9),
                List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), new float[] {0.2f}, new float[] {0.3f},
                Map.of()));
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    @Test
    void sparksImageSourceIsScoredAndItsInvalidRowsAreBadRecords() {
        Exception e = assertThrows(Exception.class, () -> model.transform(images).collectAsList());
        String msg = "";
        for (Throwable t = e; t != null; t = t.getCause()) {
            msg = t instanceof org.sparkcnn.data.BadRecordException ? t.getMessage() : msg;
        }
        assertTrue(msg.contains("notes.png") && msg.contains("UNDECODABLE"), String.valueOf(e));

        List<Row> out = model.copy(new org.apache.spark.ml.param.ParamMap()).setOnBadRecord("skip")
                .setMaxBadFraction(0.5).transform(images).select("image.origin", "prediction", "probability")
                .collectAsList();
        assertEquals(4, out.size());
        int scored = 0;
        for (Row r : out) {
            if (r.getString(0).endsWith("notes.png")) {
                assertNull(r.get(1));
            } else {
                assertNotNull(r.get(1));
                scored++;
            }
        }
        assertEquals(3, scored);
    }
}
