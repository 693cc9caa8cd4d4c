package org.sparkcnn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkcnn.io.ModelFile;
import org.sparkcnn.model.ModelSpec;
import org.sparkcnn.model.Network;
import org.sparkcnn.spark.SparkTestSessions;

/**
 * jobs/predict.sh's and jobs/evaluate.sh's mains on bad input: one error line and exit code 2 before
 * any Spark work for a bad flag, a missing model, an output inside the input or an existing output;
 * a folder of images with an undecodable file fails naming it, or under skip keeps it as a row
 * with its reason; a dataset of other classes than the model's is refused.
 */
class PredictCliTest {
    @TempDir
    Path dir;

    private static final List<String> CLASSES = List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j");

    private Path model() throws Exception {
        Network net = ModelSpec.of("lenet5", new int[] {1, 28, 28}, 10).build(3);
        Path file = dir.resolve("lenet5.bin");
        try (OutputStream out = Files.newOutputStream(file)) {
            ModelFile.write(out, net, null, Map.of(), CLASSES, new float[] {0.3f}, new float[] {0.3f});
        }
        return file;
    }

    private Path images() throws Exception {
        Path folder = dir.resolve("photos/sub");
        Files.createDirectories(folder);
        for (int i = 0; i < 3; i++) {
            BufferedImage img = new BufferedImage(28, 28, i == 2 ? BufferedImage.TYPE_3BYTE_BGR : BufferedImage.TYPE_BYTE_GRAY);
            img.setRGB(i, i, 0xffffff);
            ImageIO.write(img, "png", folder.resolve("img" + i + ".png").toFile());
        }
        Files.write(folder.resolve("broken.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        return dir.resolve("photos");
    }

    /** Exit code 2 and one error line (the tests' log4j configuration may add Spark's log lines beside it). */
    private static void oneError(JobRuns.Result r, String contains) {
        assertEquals(2, r.code(), r.toString());
        List<String> errors = r.errLines().stream().filter(l -> !l.matches("^\\d\\d:\\d\\d:\\d\\d (WARN|INFO) .*")).toList();
        assertEquals(1, errors.size(), r.toString());
        assertTrue(errors.get(0).startsWith("error: ") && errors.get(0).contains(contains), r.toString());
    }

    @Test
    void badCommandLinesFailBeforeSparkWithOneLine() throws Exception {
        String model = model().toString(), out = dir.resolve("out").toString(), in = images().toString();
        oneError(JobRuns.inJvm(Predict::run, "--model", model, "--input", in, "--out", out, "--bogus"), "'--bogus'");
        oneError(JobRuns.inJvm(Predict::run, "--input", in, "--out", out), "--model");
        oneError(JobRuns.inJvm(Predict::run, "--model", dir.resolve("none").toString(), "--input", in, "--out", out),
                "does not exist");
        oneError(JobRuns.inJvm(Predict::run, "--model", model, "--input", in, "--out", in + "/inside"), "input");
        Files.createDirectories(dir.resolve("taken"));
        Files.writeString(dir.resolve("taken/keep.txt"), "mine");
        oneError(JobRuns.inJvm(Predict::run, "--model", model, "--input", in, "--out", dir.resolve("taken").toString()),
                "--overwrite");
        assertEquals("mine", Files.readString(dir.resolve("taken/keep.txt")));
        oneError(JobRuns.inJvm(Evaluate::run, "--model", model, "--input", dir.toString(), "--top", "0"), "--top");
        JobRuns.Result help = JobRuns.inJvm(Predict::run, "--help");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("Usage: jobs/predict.sh") && help.out().contains("Exit codes"), help.out());
    }

    @Test
    void aFolderOfImagesIsScoredAndAnUndecodableFileIsNamedOrKept() throws Exception {
        String model = model().toString(), photos = images().toString();
        JobRuns.Result fail = JobRuns.inJvm(Predict::run, "--model", model, "--input", photos, "--out",
                dir.resolve("p1").toString(), "--master", "local[1]");
        assertEquals(1, fail.code(), fail.toString());
        assertTrue(fail.errLines().get(0).contains("broken.png"), fail.toString());
        assertTrue(Files.notExists(dir.resolve("p1")), "a failed job leaves no output");

        String out = dir.resolve("p2").toString();
        JobRuns.Result skip = JobRuns.inJvm(Predict::run, "--model", model, "--input", photos, "--out", out,
                "--on-bad-record", "skip", "--max-bad-fraction", "0.5", "--master", "local[1]");
        assertEquals(0, skip.code(), skip.toString());
        assertTrue(skip.out().contains("predicted 3 images") && skip.out().contains("1 bad rows skipped"), skip.toString());
        SparkSession spark = SparkTestSessions.local(1, Map.of());
        try {
            List<Row> rows = spark.read().parquet(out).orderBy("id").collectAsList();
            assertEquals(4, rows.size());
            Row broken = rows.get(0); // path order: broken.png first
            assertTrue(broken.getString(broken.fieldIndex("origin")).endsWith("broken.png"));
            assertNull(broken.get(broken.fieldIndex("prediction")));
            assertTrue(broken.getString(broken.fieldIndex("error")).contains("broken.png")
                    && broken.getString(broken.fieldIndex("error")).contains("UNDECODABLE"), broken.toString());
            for (Row r : rows.subList(1, 4)) {
                assertTrue(CLASSES.contains(r.getString(r.fieldIndex("class"))), r.toString());
                assertNull(r.get(r.fieldIndex("error")));
                assertEquals(10, r.getList(r.fieldIndex("probability")).size());
            }
        } finally {
            spark.stop();
        }
    }

    @Test
    void evaluationRefusesADatasetOfOtherClasses() throws Exception {
        Path[] te = JobRuns.fashionIdx(dir.resolve("idx"), "test", 20);
        String test = dir.resolve("test").toString();
        assertEquals(0, JobRuns.importer("idx", "--images", te[0].toString(), "--labels", te[1].toString(), "--out", test,
                "--classes", "T-shirt/top,Trouser,Pullover,Dress,Coat,Sandal,Shirt,Sneaker,Bag,Ankle boot",
                "--master", "local[1]").code());
        JobRuns.Result r = JobRuns.inJvm(Evaluate::run, "--model", model().toString(), "--input", test,
                "--master", "local[1]");
        oneError(r, "has the classes");
    }
}
