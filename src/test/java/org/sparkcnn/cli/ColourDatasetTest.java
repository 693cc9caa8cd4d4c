package org.sparkcnn.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkcnn.data.InputException;
import org.sparkcnn.data.MiniBatch;
import org.sparkcnn.data.MiniBatchStream;
import org.sparkcnn.data.ReaderConfig;
import org.sparkcnn.data.parquet.DatasetInfo;
import org.sparkcnn.data.parquet.ImageLayout;
import org.sparkcnn.data.parquet.ParquetImageReader;
import org.sparkcnn.spark.SparkTestSessions;

/**
 * Colour end to end, through the mains as jobs/import.sh and jobs/train.sh run them: RGB, RGBA and
 * grey PNGs become RGB planes in that order (plane 0 red), the import's _stats.json holds the exact
 * per-channel mean and std of the images, DatasetInfo reports the shape or names the first image
 * of another size, and a dataset imported before _stats.json existed still trains.
 */
class ColourDatasetTest {
    private static final int H = 3, W = 4;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    /** Per image file name: its RGB values, pixel by pixel, and its alpha. */
    static final Map<String, int[]> RGB = new LinkedHashMap<>(), ALPHA = new LinkedHashMap<>();
    static String colour, colourAlpha, mixed, mixedSource, resized, old;
    static JobRuns.Result mixedTraining, oldDefault, oldExplicit;
    static SparkSession spark;

    @BeforeAll
    static void importAndTrain() throws IOException {
        Path in = dir.resolve("colour");
        image(in.resolve("a/red.png"), BufferedImage.TYPE_INT_RGB, H, W, null);
        image(in.resolve("a/rgb.png"), BufferedImage.TYPE_INT_RGB, H, W, new SplittableRandom(1));
        image(in.resolve("b/grey.png"), BufferedImage.TYPE_BYTE_GRAY, H, W, new SplittableRandom(2));
        image(in.resolve("b/rgba.png"), BufferedImage.TYPE_INT_ARGB, H, W, new SplittableRandom(3));
        Path sizes = dir.resolve("sizes");
        image(sizes.resolve("a/0.png"), BufferedImage.TYPE_INT_RGB, 3, 4, new SplittableRandom(4));
        image(sizes.resolve("a/1.png"), BufferedImage.TYPE_INT_RGB, 5, 4, new SplittableRandom(5));
        image(sizes.resolve("b/2.png"), BufferedImage.TYPE_INT_RGB, 3, 4, new SplittableRandom(6));
        // the imports and trainings start and stop their own sessions: all before this class's own
        colour = imported("folder", in, "colour-rgb");
        colourAlpha = imported("folder", in, "colour-rgba", "--channels", "4");
        mixed = imported("folder", sizes, "mixed", "--files", "2");
        mixedSource = imported("image-source", sizes, "mixed-source");
        resized = imported("folder", sizes, "resized", "--resize", "3x4");
        Path[] idx = JobRuns.fashionIdx(dir.resolve("idx"), "train", 64);
        old = dir.resolve("data/old").toString();
        assertEquals(0, JobRuns.importer("idx", "--images", idx[0].toString(), "--labels", idx[1].toString(), "--out",
                old, "--master", "local[1]").code());
        Files.delete(Path.of(old, ImageLayout.STATS_FILE)); // as imported before the file existed

        mixedTraining = JobRuns.train(training(mixed, "mixed"));
        oldDefault = JobRuns.train(training(old, "old-default"));
        oldExplicit = JobRuns.train(training(old, "old-explicit", "mean=0.2860", "std=0.3530"));
        spark = SparkTestSessions.local(1, Map.of());
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    private static String imported(String command, Path input, String name, String... more) {
        String out = dir.resolve("data/" + name).toString();
        List<String> args = new ArrayList<>(List.of(command, "--input", input.toString(), "--out", out, "--master",
                "local[1]"));
        args.addAll(List.of(more));
        JobRuns.Result r = JobRuns.importer(args.toArray(new String[0]));
        assertEquals(0, r.code(), r.toString());
        return out;
    }

    private static String[] training(String train, String run, String... more) {
        List<String> a = new ArrayList<>(List.of("--set", "train=" + train, "--set", "model=lenet5", "--set", "epochs=1",
                "--set", "batchSize=32", "--set", "partitions=1", "--set", "master=local[1]", "--set",
                "output=" + dir.resolve("runs/" + run)));
        for (String m : more) {
            a.addAll(List.of("--set", m));
        }
        return a.toArray(new String[0]);
    }

    /** A PNG of seeded random pixels (pure red when {@code r} is null); records its RGB and alpha values. */
    private static void image(Path file, int type, int h, int w, SplittableRandom r) throws IOException {
        Files.createDirectories(file.getParent());
        BufferedImage img = new BufferedImage(w, h, type);
        int[] rgb = new int[h * w * 3], alpha = new int[h * w];
        for (int p = 0; p < h * w; p++) {
            int x = p % w, y = p / w;
            if (type == BufferedImage.TYPE_BYTE_GRAY) {
                int v = r.nextInt(256);
                img.getRaster().setSample(x, y, 0, v);
                rgb[3 * p] = rgb[3 * p + 1] = rgb[3 * p + 2] = v;
                alpha[p] = 255;
            } else {
                int argb = r == null ? 0xffff0000 : type == BufferedImage.TYPE_INT_ARGB ? r.nextInt()
                        : 0xff000000 | r.nextInt(1 << 24);
                img.setRGB(x, y, argb);
                rgb[3 * p] = argb >> 16 & 0xff;
                rgb[3 * p + 1] = argb >> 8 & 0xff;
                rgb[3 * p + 2] = argb & 0xff;
                alpha[p] = argb >>> 24;
            }
        }
        assertTrue(ImageIO.write(img, "png", file.toFile()));
        RGB.put(file.getParent().getParent().getFileName() + "/" + file.getFileName(), rgb);
        ALPHA.put(file.getParent().getParent().getFileName() + "/" + file.getFileName(), alpha);
    }

    /** The recorded values of the images of one input folder, as "folder/name.png". */
    private static List<int[]> images(String folder) {
        List<int[]> out = new ArrayList<>();
        RGB.forEach((k, v) -> {
            if (k.startsWith(folder + "/")) {
                out.add(v);
            }
        });
        return out;
    }

    private static JsonNode stats(String dataset) throws IOException {
        return JSON.readTree(Path.of(dataset, ImageLayout.STATS_FILE).toFile());
    }

    /** Every row's planes as the reader gives them to a model with {@code channels} channels, by image file name. */
    private static Map<String, float[]> planes(String dataset, int channels) {
        List<Row> rows = ParquetImageReader.load(spark, dataset).collectAsList();
        ReaderConfig cfg = new ReaderConfig(channels, H, W, 2);
        cfg.batchSize = 1;
        MiniBatchStream s = new ParquetImageReader(rows.get(0).schema()).batches(rows.iterator(), cfg);
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Row row : rows) {
            MiniBatch b = s.next();
            Path origin = Path.of(java.net.URI.create(row.getStruct(0).getString(0)));
            out.put(origin.getParent().getFileName() + "/" + origin.getFileName(), b.images.data.clone());
        }
        assertFalse(s.hasNext());
        return out;
    }

    @Test
    void rgbRgbaAndGreyPngsBecomeRgbPlanesWithRedFirst() {
        Map<String, float[]> got = planes(colour, 3);
        assertEquals(4, got.size());
        float[] red = got.get("a/red.png");
        for (int p = 0; p < H * W; p++) {
            assertEquals(1f, red[p], "plane 0 is red");
            assertEquals(0f, red[H * W + p], "plane 1 is green");
            assertEquals(0f, red[2 * H * W + p], "plane 2 is blue");
        }
        got.forEach((name, planes) -> {
            int[] rgb = RGB.get("colour/" + name.substring(2));
            for (int c = 0; c < 3; c++) {
                for (int p = 0; p < H * W; p++) {
                    // the RGBA image's colour as stored, alpha dropped: never blended with black
                    assertEquals(rgb[3 * p + c] / 255f, planes[c * H * W + p], name + " channel " + c + " pixel " + p);
                }
            }
        });
    }

    @Test
    void channels4KeepsAlphaAndAThreeChannelModelReadsItAsRgb() throws IOException {
        Map<String, float[]> rgb = planes(colour, 3), dropped = planes(colourAlpha, 3), rgba = planes(colourAlpha, 4);
        for (String name : rgb.keySet()) {
            assertArrayEquals(rgb.get(name), dropped.get(name), name);
            int[] alpha = ALPHA.get("colour/" + name.substring(2));
            for (int p = 0; p < H * W; p++) {
                assertEquals(alpha[p] / 255f, rgba.get(name)[3 * H * W + p], name + " alpha " + p);
            }
        }
        DatasetInfo info = DatasetInfo.read(spark, colourAlpha);
        assertEquals("4×3×4", info.shape());
        assertEquals("RGBA", stats(colourAlpha).get("channelOrder").asText());
        assertArrayEquals(DatasetInfo.read(spark, colour).meanFor(3), info.meanFor(3), "R, G, B statistics alike");
    }

    /** mean and std per channel straight from the images' values: the exact integer sums, and a plain two-pass check. */
    private static void exactStats(JsonNode stats, List<int[]> images) {
        long n = 0;
        long[] sum = new long[3], squares = new long[3];
        for (int[] img : images) {
            n += img.length / 3;
            for (int i = 0; i < img.length; i++) {
                sum[i % 3] += img[i];
                squares[i % 3] += (long) img[i] * img[i];
            }
        }
        assertEquals(n, stats.get("pixelsPerChannel").asLong());
        for (int c = 0; c < 3; c++) {
            assertEquals(sum[c], stats.get("sum").get(c).asLong());
            assertEquals(squares[c], stats.get("sumOfSquares").get(c).asLong());
            double mean = sum[c] / 255.0 / n;
            assertEquals(mean, stats.get("mean").get(c).asDouble(), 0.0, "mean " + c);
            assertEquals(Math.sqrt((double) (n * squares[c] - sum[c] * sum[c])) / n / 255.0,
                    stats.get("std").get(c).asDouble(), 0.0, "std " + c);
            double spread = 0;
            for (int[] img : images) {
                for (int i = c; i < img.length; i += 3) {
                    spread += (img[i] / 255.0 - mean) * (img[i] / 255.0 - mean);
                }
            }
            assertEquals(Math.sqrt(spread / n), stats.get("std").get(c).asDouble(), 1e-12, "std " + c);
        }
    }

    @Test
    void theStatsFileHoldsTheExactMeanAndStdOfTheImages() throws IOException {
        JsonNode s = stats(colour);
        assertEquals(4, s.get("rows").asLong());
        assertEquals(4, s.get("images").asLong());
        assertEquals(List.of(3, 3, 4), List.of(s.get("channels").asInt(), s.get("height").asInt(), s.get("width").asInt()));
        assertEquals("RGB", s.get("channelOrder").asText());
        exactStats(s, images("colour"));
        DatasetInfo info = DatasetInfo.read(spark, colour);
        assertEquals(List.of("a", "b"), info.classes);
        assertEquals(4, info.rows);
        for (int c = 0; c < 3; c++) {
            assertEquals(s.get("mean").get(c).asDouble(), info.mean[c], 0.0);
            assertEquals((float) s.get("std").get(c).asDouble(), info.stdFor(3)[c], 0f);
        }
    }

    @Test
    void imageSourceImportGetsTheSameStats() throws IOException {
        JsonNode folder = stats(mixed), source = stats(mixedSource);
        exactStats(folder, images("sizes"));
        for (String k : List.of("rows", "images", "channels", "height", "width", "pixelsPerChannel", "mean", "std", "sum",
            "sumOfSquares")) {
            assertEquals(folder.get(k), source.get(k), k);
        }
        assertTrue(folder.get("height").isNull() && folder.get("width").asInt() == 4, "heights differ: " + folder);
    }

    @Test
    void mixedSizesNameTheFirstOddRowUnlessResized() throws IOException {
        Path second;
        try (Stream<Path> files = Files.list(Path.of(mixed))) {
            second = files.filter(p -> p.getFileName().toString().startsWith("part-00001")).findFirst().orElseThrow();
        }
        InputException e = assertThrows(InputException.class, () -> DatasetInfo.read(spark, "train", mixed));
        String expected = "train = " + mixed + ": row 0 of " + second.toUri().toString().replace("file:///", "file:/")
                + " is 3×5×4 but the first row is 3×3×4: import with --resize HxW to give every image one size";
        assertEquals(expected, e.getMessage());
        assertEquals(1, mixedTraining.code(), mixedTraining.toString());
        assertTrue(mixedTraining.errLines().get(0).startsWith("error: " + expected), mixedTraining.toString());

        DatasetInfo info = DatasetInfo.read(spark, resized);
        assertEquals("3×3×4", info.shape());
        assertEquals(3, info.rows);
        assertEquals(List.of("a", "b"), info.classes);
    }

    @Test
    void aDatasetWithoutStatsStillTrains() throws IOException {
        DatasetInfo info = DatasetInfo.read(spark, old);
        assertEquals("1×28×28", info.shape());
        assertEquals(64, info.rows);
        assertEquals(10, info.classes.size());
        assertNull(info.mean);
        assertNull(info.meanFor(1));

        assertEquals(0, oldExplicit.code(), oldExplicit.toString());
        assertTrue(oldExplicit.out().contains("epoch 1/1"), oldExplicit.toString());
        assertEquals(List.of(), oldExplicit.errLines(), oldExplicit.toString());
        assertEquals(0, oldDefault.code(), oldDefault.toString());
        assertTrue(oldDefault.out().contains("epoch 1/1"), oldDefault.toString());
        assertEquals(List.of("warning: train = " + old + " has no _stats.json (imported before it was written): mean 0"
                + " and std 1 stand in for 'dataset'; set mean and std, or import it again"), oldDefault.errLines());
    }
}
