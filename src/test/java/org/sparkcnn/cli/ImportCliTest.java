package org.sparkcnn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkcnn.data.IdxFiles;

/**
 * jobs/import.sh's main on bad input, through Import.run as the script runs it (each run starts and
 * stops its own local[1] session): the error names the file at fault, and a file found bad on the
 * driver leaves no output behind.
 */
class ImportCliTest {
    @TempDir
    Path dir;

    private static final int N = 6, H = 4, W = 4;

    private String out() {
        return dir.resolve("out").toString();
    }

    /** A good images file and a labels file holding {@code bytes} (gzipped when the name ends in .gz). */
    private IOException idxFails(String labelsName, byte[] labelsFile) throws IOException {
        Path images = IdxFiles.write(dir.resolve("images"), new byte[N * H * W], N, H, W);
        Path labels = Files.write(dir.resolve(labelsName), labelsFile);
        IOException e = assertThrows(IOException.class, () -> Import.run(new String[] {"idx", "--images",
            images.toString(), "--labels", labels.toString(), "--out", out(), "--master", "local[1]"}));
        assertTrue(e.getMessage().startsWith(labels + ": "), e.getMessage());
        assertFalse(Files.exists(Path.of(out())), "no job may have written " + out());
        return e;
    }

    /** A labels file whose header announces {@code announced} items and whose data hold {@code held} bytes. */
    private static byte[] labels(int announced, int held) throws IOException {
        return IdxFiles.bytes(new int[] {announced}, new byte[held]);
    }

    private static byte[] gzip(byte[] bytes) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream z = new java.util.zip.GZIPOutputStream(bos)) {
            z.write(bytes);
        }
        return bos.toByteArray();
    }

    @Test
    void aTruncatedPlainIdxFileIsNamedWithItsCounts() throws IOException {
        byte[] whole = labels(N, N);
        IOException e = idxFails("labels", Arrays.copyOf(whole, whole.length - 2));
        assertEquals(dir.resolve("labels") + ": truncated: the header announces 6 items of 1 byte (6 bytes) but the"
                + " file holds 4 bytes after the header", e.getMessage());
    }

    @Test
    void aGzippedIdxFileWithTooFewItemsIsNamedWithItsCounts() throws IOException {
        IOException e = idxFails("labels.gz", gzip(labels(N, N - 1)));
        assertTrue(e.getMessage().contains("truncated: the header announces 6 items of 1 byte (6 bytes) but the file"
                + " holds 5 bytes after the header"), e.getMessage());
    }

    @Test
    void aCutGzipStreamIsNamedAsTruncatedGzipData() throws IOException {
        byte[] gz = gzip(labels(N, N));
        IOException e = idxFails("labels.gz", Arrays.copyOf(gz, gz.length - 6));
        assertTrue(e.getMessage().contains("truncated or corrupt gzip data ("), e.getMessage());
        assertFalse(e.getMessage().contains("null"), e.getMessage());
    }

    @Test
    void anIdxFileLongerThanItsHeaderSaysIsNamedWithTheExtraBytes() throws IOException {
        IOException e = idxFails("labels", labels(N, N + 3));
        assertTrue(e.getMessage().endsWith("the header announces 6 items of 1 byte (6 bytes) but the file holds 9"
                + " bytes after the header: 3 extra bytes"), e.getMessage());
    }

    @Test
    void aLyingHeaderIsNamedWithItsCounts() throws IOException {
        byte[] lying = IdxFiles.bytes(new int[] {60000, H, W}, new byte[N * H * W]);
        Path images = Files.write(dir.resolve("images.gz"), gzip(lying));
        Path labels = IdxFiles.write(dir.resolve("labels"), new byte[N], N);
        IOException e = assertThrows(IOException.class, () -> Import.run(new String[] {"idx", "--images",
            images.toString(), "--labels", labels.toString(), "--out", out(), "--master", "local[1]"}));
        assertEquals(images + ": truncated: the header announces 60000 items of 16 bytes (960000 bytes) but the file"
                + " holds 96 bytes after the header", e.getMessage());
        assertFalse(Files.exists(Path.of(out())));
    }

    /** Class folders ant/ and bee/ of 28×28 grey PNGs, and an empty cat/. */
    private Path classFolders() throws IOException {
        Path in = dir.resolve("in");
        BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        Random r = new Random(1);
        for (int y = 0; y < 28; y++) {
            for (int x = 0; x < 28; x++) {
                img.getRaster().setSample(x, y, 0, r.nextInt(256));
            }
        }
        for (String c : new String[] {"ant", "bee"}) {
            Files.createDirectories(in.resolve(c));
            for (int i = 0; i < 2; i++) {
                assertTrue(ImageIO.write(img, "png", in.resolve(c + "/" + i + ".png").toFile()));
            }
        }
        Files.createDirectories(in.resolve("cat"));
        Files.writeString(in.resolve("cat/notes.txt"), "not an image");
        return in;
    }

    /** Truncates bee/0.png to half its bytes; returns it. */
    private static Path truncatePng(Path in) throws IOException {
        Path png = in.resolve("bee/0.png");
        byte[] bytes = Files.readAllBytes(png);
        Files.write(png, Arrays.copyOf(bytes, bytes.length / 2));
        return png;
    }

    /** Runs Import with these arguments and returns what it wrote to System.err. */
    private static String stderrOf(String... args) throws IOException {
        PrintStream old = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            Import.run(args);
        } finally {
            System.setErr(old);
        }
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aTruncatedPngIsNamed() throws IOException {
        Path in = classFolders();
        Path png = truncatePng(in);
        Exception e = assertThrows(Exception.class, () -> Import.run(new String[] {"folder", "--input", in.toString(),
            "--out", out(), "--master", "local[1]", "--files", "1"}));
        String line = CliSpark.rootMessage(e);
        assertTrue(line.startsWith("cannot decode image ") && line.endsWith(png
                + ": truncated or corrupt PNG data (Unexpected end of ZLIB input stream)"), line);
    }

    /** Spark's image source keeps what it cannot decode as invalid rows; the import names those files. */
    @Test
    void sparksImageSourceNamesTheFilesItCouldNotDecode() throws IOException {
        Path in = classFolders();
        Path png = truncatePng(in);
        String warnings = stderrOf("image-source", "--input", in.toString(), "--out", out(), "--master", "local[1]");
        assertTrue(warnings.contains("warning: Spark's image source could not decode 2 files, written as invalid rows"
                + " that the reader reports as bad records: "), warnings);
        assertTrue(warnings.contains(png.toUri().getPath()) && warnings.contains("cat/notes.txt"), warnings);
    }

    @Test
    void anEmptyClassFolderWarnsAndIsKeptUnlessStrict() throws IOException {
        Path in = classFolders();
        String warnings = stderrOf("folder", "--input", in.toString(), "--out", out(), "--master", "local[1]");
        assertTrue(warnings.contains("warning: class folder " + in.resolve("cat") + " has no images (PNG, JPEG, GIF,"
                + " BMP): class 2 'cat' will have no examples"), warnings);
        String classes = Files.readString(Path.of(out(), org.sparkcnn.data.parquet.ImageLayout.CLASSES_FILE));
        assertTrue(classes.contains("\"ant\"") && classes.contains("\"bee\"") && classes.contains("\"cat\""), classes);

        String strictOut = dir.resolve("strict").toString();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Import.run(new String[] {
            "folder", "--input", in.toString(), "--out", strictOut, "--strict", "--master", "local[1]"}));
        assertEquals("class folder " + in.resolve("cat") + " has no images (PNG, JPEG, GIF, BMP), and --strict"
                + " refuses empty classes", e.getMessage());
        assertFalse(Files.exists(Path.of(strictOut)));
    }

    @Test
    void strictIsAnOptionOfFolderOnly() throws IOException {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Import.run(new String[] {
            "idx", "--strict", "--out", out()}));
        assertTrue(e.getMessage().contains("unknown option '--strict' for idx"), e.getMessage());
        assertTrue(help("folder", "--help").contains("[--strict]"));
        assertFalse(help("idx", "--help").contains("--strict"));
    }

    /** What --help printed. */
    private static String help(String... args) throws IOException {
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            Import.run(args);
        } finally {
            System.setOut(old);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void theCommandsAreListedAndAMissingOrUnknownOneIsAUsageError() throws IOException {
        String help = help("--help");
        for (String c : new String[] {"fashion-mnist", "idx", "folder", "image-source", "augment"}) {
            assertTrue(help.contains("\n  " + c + " "), c + " missing from:\n" + help);
            assertTrue(help(c, "-h").startsWith("Usage: jobs/import.sh " + c + " "), c);
        }
        assertTrue(help("fashion-mnist", "--help").contains("(default: " + org.sparkcnn.data.Dataset.FASHION_DIR + ")"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Import.run(new String[0]));
        assertEquals("expected a command: fashion-mnist, idx, folder, image-source, augment (see --help)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Import.run(new String[] {"mnist", "--out", out()}));
        assertTrue(e.getMessage().startsWith("unknown command 'mnist': expected fashion-mnist, idx"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Import.run(new String[] {"folder", "--input", "x", "--out",
            out(), "--channels", "2"}));
        assertEquals("--channels takes 1, 3 or 4, got 2", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Import.run(new String[] {"idx", "--out", out()}));
        assertTrue(e.getMessage().contains("--images") && e.getMessage().contains("for idx"), e.getMessage());
        assertFalse(Files.exists(Path.of(out())));
    }

    /** Every row of a dataset by id: {label, data}. */
    private static java.util.Map<Long, Object[]> byId(String path) {
        org.apache.spark.sql.SparkSession spark = org.sparkcnn.spark.SparkTestSessions.local(1, java.util.Map.of());
        try {
            java.util.Map<Long, Object[]> m = new java.util.TreeMap<>();
            for (org.apache.spark.sql.Row r : spark.read().parquet(path).collectAsList()) {
                m.put(r.getLong(2), new Object[] {r.get(1), r.getStruct(0).getAs("data")});
            }
            return m;
        } finally {
            spark.stop();
        }
    }

    @Test
    void augmentWritesShiftedAndFlippedCopiesTheSameWayEveryTime() throws IOException {
        Path[] idx = JobRuns.fashionIdx(dir.resolve("idx"), "train", 40);
        String base = dir.resolve("base").toString(), aug = dir.resolve("aug").toString(), again = dir.resolve("again").toString();
        Import.run(new String[] {"idx", "--images", idx[0].toString(), "--labels", idx[1].toString(), "--out", base,
            "--files", "2", "--master", "local[1]"});
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> Import.run(new String[] {"augment",
            "--input", base, "--copies", "0", "--out", aug}));
        assertEquals("--copies takes an integer >= 1, got 0", bad.getMessage());
        assertFalse(Files.exists(Path.of(aug)), "a refused import writes nothing");
        for (String out : new String[] {aug, again}) {
            Import.run(new String[] {"augment", "--input", base, "--copies", "3", "--seed", "5", "--out", out, "--files", "4",
                "--master", "local[1]"});
        }
        java.util.Map<Long, Object[]> original = byId(base), copies = byId(aug), second = byId(again);
        assertEquals(120, copies.size());
        assertTrue(Files.readString(Path.of(aug, "_stats.json")).contains("\"rows\" : 120"), "the statistics count every copy");
        int shifted = 0;
        for (java.util.Map.Entry<Long, Object[]> e : original.entrySet()) {
            byte[] px = (byte[]) e.getValue()[1];
            for (int k = 0; k < 3; k++) {
                Object[] c = copies.get(e.getKey() * 3 + k);
                assertEquals(e.getValue()[0], c[0], "the label travels with every copy");
                byte[] got = (byte[]) c[1];
                assertTrue(Arrays.equals(got, (byte[]) second.get(e.getKey() * 3 + k)[1]), "the same seed, the same bytes");
                if (k == 0) {
                    assertTrue(Arrays.equals(px, got), "copy 0 is the image itself");
                    continue;
                }
                boolean found = false;
                for (int dy = -2; dy <= 2 && !found; dy++) {
                    for (int dx = -2; dx <= 2 && !found; dx++) {
                        for (boolean flip : new boolean[] {false, true}) {
                            found |= Arrays.equals(got, org.sparkcnn.data.parquet.AugmentImporter.moved(px, 28, 28, 1, dy, dx, flip));
                        }
                    }
                }
                assertTrue(found, "copy " + k + " of " + e.getKey() + " is a shift by at most 2 pixels, perhaps flipped");
                shifted += Arrays.equals(px, got) ? 0 : 1;
            }
        }
        assertTrue(shifted > 60, "most copies moved: " + shifted + " of 80");
    }

    @Test
    void movingAnImageShiftsFillsWithZerosAndFlips() {
        byte[] img = {1, 2, 3, 4, 5, 6}; // 2 rows of 3
        assertTrue(Arrays.equals(new byte[] {0, 1, 2, 0, 4, 5}, org.sparkcnn.data.parquet.AugmentImporter.moved(img, 2, 3, 1, 0, 1, false)));
        assertTrue(Arrays.equals(new byte[] {0, 0, 0, 1, 2, 3}, org.sparkcnn.data.parquet.AugmentImporter.moved(img, 2, 3, 1, 1, 0, false)));
        assertTrue(Arrays.equals(new byte[] {3, 2, 1, 6, 5, 4}, org.sparkcnn.data.parquet.AugmentImporter.moved(img, 2, 3, 1, 0, 0, true)));
        byte[] rgb = {1, 2, 3, 4, 5, 6}; // 1 row of 2 pixels, 3 channels
        assertTrue(Arrays.equals(new byte[] {4, 5, 6, 1, 2, 3}, org.sparkcnn.data.parquet.AugmentImporter.moved(rgb, 1, 2, 3, 0, 0, true)));
    }
}
