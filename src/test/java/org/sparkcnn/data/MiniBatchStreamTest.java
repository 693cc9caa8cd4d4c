package org.sparkcnn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class MiniBatchStreamTest {
    @TempDir
    Path dir;

    // ---- helpers ----

    private static ImageRecord grey(String file, long row, int h, int w, byte[] data, double label) {
        return fillGrey(new ImageRecord(), file, row, h, w, data, label);
    }

    /** Overwrites {@code r} with a grey row, as an adapter reusing its record would. */
    private static ImageRecord fillGrey(ImageRecord r, String file, long row, int h, int w, byte[] data, double label) {
        r.clear();
        r.file = file;
        r.row = row;
        r.height = h;
        r.width = w;
        r.channels = 1;
        r.mode = 0;
        r.data = data;
        r.label = label;
        r.labelPresent = true;
        return r;
    }

    private static ImageRecord colour(int channels, int h, int w, byte[] data, double label) {
        ImageRecord r = grey("colour.parquet", 0, h, w, data, label);
        r.channels = channels;
        r.mode = channels == 3 ? 16 : 24;
        return r;
    }

    /** A good 2×2 grey row labelled with its row number modulo 10. */
    private static ImageRecord good(long row) {
        return grey("part-00000.parquet", row, 2, 2, new byte[] {(byte) row, 1, 2, 3}, row % 10);
    }

    private static ReaderConfig greyConfig(int batch) {
        ReaderConfig cfg = new ReaderConfig(1, 2, 2, 10);
        cfg.batchSize = batch;
        return cfg;
    }

    private static ReaderConfig skipping(ReaderConfig cfg, double maxBadFraction) {
        cfg.policy.onBadRecord = BadRecordPolicy.OnBadRecord.SKIP;
        cfg.policy.maxBadFraction = maxBadFraction;
        cfg.policy.examplesKept = 0;   // keeps the test log quiet; tests of examples set it
        return cfg;
    }

    /** All batches' images (copied, since the batch is reused) and labels. */
    private static List<float[]> drain(MiniBatchStream s, List<Integer> labels) {
        List<float[]> images = new ArrayList<>();
        while (s.hasNext()) {
            MiniBatch b = s.next();
            int per = b.images.size() / b.size();
            for (int i = 0; i < b.size(); i++) {
                images.add(Arrays.copyOfRange(b.images.data, i * per, (i + 1) * per));
                labels.add(b.labels[i]);
            }
        }
        return images;
    }

    private static byte[] idx(int[] dims, byte[] data) throws IOException {
        return IdxFiles.bytes(dims, data);
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(p))) {
            o.write(bytes);
        }
        return p;
    }

    // ---- conversion ----

    @Test
    void greyTensorsEqualDatasetFromIdxBitForBit() throws IOException {
        int n = 23, h = 5, w = 4;
        Random rnd = new Random(7);
        byte[] px = new byte[n * h * w];
        rnd.nextBytes(px);
        byte[] lab = new byte[n];
        for (int i = 0; i < n; i++) {
            lab[i] = (byte) rnd.nextInt(10);
        }
        Dataset ds = Dataset.fromIdx(write("img.gz", idx(new int[] {n, h, w}, px)),
                write("lab.gz", idx(new int[] {n}, lab)), -1, 0.2860f, 0.3530f, 10);

        ReaderConfig cfg = new ReaderConfig(1, h, w, 10);
        cfg.batchSize = 7;
        cfg.mean = new float[] {Dataset.FASHION_MEAN};
        cfg.std = new float[] {Dataset.FASHION_STD};
        ImageRecord shared = new ImageRecord();   // reused like an adapter would, with a reused buffer
        byte[] buffer = new byte[h * w];
        Iterator<ImageRecord> source = new Iterator<>() {
            int i;

            public boolean hasNext() {
                return i < n;
            }

            public ImageRecord next() {
                System.arraycopy(px, i * h * w, buffer, 0, h * w);
                i++;
                return fillGrey(shared, "train.idx", i - 1, h, w, buffer, lab[i - 1] & 0xff);
            }
        };
        MiniBatchStream s = new MiniBatchStream(source, cfg);
        int seen = 0, batches = 0;
        while (s.hasNext()) {
            MiniBatch b = s.next();
            batches++;
            assertEquals(batches <= 3 ? 7 : 2, b.size());
            assertArrayEquals(new int[] {b.size(), 1, h, w}, b.images.shape());
            assertArrayEquals(Arrays.copyOfRange(ds.images, seen * h * w, (seen + b.size()) * h * w), b.images.data, 0f);
            assertArrayEquals(Arrays.copyOfRange(ds.labels, seen, seen + b.size()), Arrays.copyOf(b.labels, b.size()));
            seen += b.size();
        }
        assertEquals(4, batches);
        assertEquals(n, seen);
        assertEquals(n, s.counts().records);
        assertThrows(NoSuchElementException.class, s::next);
    }

    @Test
    void colourBgrBecomesRgbChw() {
        // 2×2 pixels, BGR bytes; pixel k has B = 10k+1, G = 10k+2, R = 10k+3.
        byte[] bgr = {1, 2, 3, 11, 12, 13, 21, 22, 23, 31, 32, 33};
        ReaderConfig cfg = new ReaderConfig(3, 2, 2, 10);
        cfg.mean = new float[] {0.5f, 0.25f, 0f};
        cfg.std = new float[] {2f, 1f, 0.5f};
        MiniBatchStream s = new MiniBatchStream(List.of(colour(3, 2, 2, bgr, 4)).iterator(), cfg);
        MiniBatch b = s.next();
        float[] expected = new float[12];
        int[][] bytes = {{3, 13, 23, 33}, {2, 12, 22, 32}, {1, 11, 21, 31}};   // R, G, B planes
        for (int c = 0; c < 3; c++) {
            for (int k = 0; k < 4; k++) {
                expected[c * 4 + k] = (bytes[c][k] / 255f - cfg.mean[c]) / cfg.std[c];
            }
        }
        assertArrayEquals(expected, b.images.data, 0f);
        assertEquals(4, b.labels[0]);
        assertFalse(s.hasNext());
    }

    @Test
    void bgraBecomesRgbaKeepingAlpha() {
        byte[] bgra = {1, 2, 3, 4, 11, 12, 13, 14};   // 1×2 image
        MiniBatchStream s = new MiniBatchStream(List.of(colour(4, 1, 2, bgra, 0)).iterator(), new ReaderConfig(4, 1, 2, 1));
        float[] expected = {3, 13, 2, 12, 1, 11, 4, 14};
        for (int i = 0; i < expected.length; i++) {
            expected[i] /= 255f;
        }
        assertArrayEquals(expected, s.next().images.data, 0f);
    }

    @Test
    void bgraReadByAnRgbModelDropsAlpha() {
        byte[] bgra = {1, 2, 3, 4, 11, 12, 13, 14};   // 1×2 image
        MiniBatchStream s = new MiniBatchStream(List.of(colour(4, 1, 2, bgra, 0)).iterator(), new ReaderConfig(3, 1, 2, 1));
        float[] expected = {3, 13, 2, 12, 1, 11};      // R, G, B planes; alpha 4 and 14 gone, not blended in
        for (int i = 0; i < expected.length; i++) {
            expected[i] /= 255f;
        }
        assertArrayEquals(expected, s.next().images.data, 0f);
    }

    @Test
    void greyReadByAnRgbModelIsAShapeMismatch() {
        ReaderConfig cfg = new ReaderConfig(3, 2, 2, 10);
        BadRecordException e = assertThrows(BadRecordException.class,
                () -> new MiniBatchStream(List.of(good(0)).iterator(), cfg).next());
        assertEquals(BadRecordKind.SHAPE_MISMATCH, e.kind);
        assertTrue(e.getMessage().contains("column image.nChannels: the image is 1×2×2 (C×H×W) but the model's input is"
                + " 3×2×2"), e.getMessage());
    }

    // ---- bad records ----

    /** Breaks a good row in the way named by kind; returns the column that must be reported. */
    private static String breakRow(ImageRecord r, BadRecordKind kind) {
        switch (kind) {
            case MISSING_FIELD: r.width = -1; return "image.width";
            case UNDECODABLE: r.mode = 16; return "image.mode";   // CV_8UC3 but nChannels = 1
            case SIZE_MISMATCH: r.data = new byte[3]; return "image.data";
            case SHAPE_MISMATCH: r.height = 1; r.width = 4; return "image.height";
            case MISSING_LABEL: r.labelPresent = false; return "label";
            case NOT_A_NUMBER: r.label = 2.5; return "label";
            case LABEL_OUT_OF_RANGE: r.label = 10; return "label";
            default: throw new AssertionError(kind);
        }
    }

    @ParameterizedTest
    @EnumSource(BadRecordKind.class)
    void failPolicyThrowsOnTheFirstBadRowNamingFileRowAndColumn(BadRecordKind kind) {
        ImageRecord bad = good(3);
        String column = breakRow(bad, kind);
        MiniBatchStream s = new MiniBatchStream(List.of(good(0), good(1), good(2), bad, good(4)).iterator(), greyConfig(10));
        BadRecordException e = assertThrows(BadRecordException.class, s::hasNext);
        assertEquals(kind, e.kind);
        assertEquals(column, e.column);
        assertEquals("part-00000.parquet, row 3", e.location);
        assertTrue(e.getMessage().startsWith("bad record in file part-00000.parquet, row 3, column " + column + ": "),
                e.getMessage());
        assertTrue(e.getMessage().endsWith("(" + kind + ")"), e.getMessage());
    }

    @Test
    void messagesSayWhatIsWrong() {
        ImageRecord r = good(7);
        r.data = new byte[3];
        BadRecordException e = assertThrows(BadRecordException.class,
                () -> new MiniBatchStream(List.of(r).iterator(), greyConfig(4)).hasNext());
        assertEquals("bad record in file part-00000.parquet, row 7, column image.data: height×width×nChannels = "
                + "2×2×1 = 4 but data holds 3 bytes (SIZE_MISMATCH)", e.getMessage());
        ImageRecord m = good(1);
        m.mode = 8;
        m.data = null;
        assertEquals(BadRecordKind.UNDECODABLE, assertThrows(BadRecordException.class,
                () -> new MiniBatchStream(List.of(m).iterator(), greyConfig(4)).hasNext()).kind);
        m.data = new byte[4];
        assertTrue(assertThrows(BadRecordException.class,
                () -> new MiniBatchStream(List.of(m).iterator(), greyConfig(4)).hasNext()).getMessage()
                .contains("mode 8 is not an 8-bit OpenCV type"));
    }

    @Test
    void skipPolicyCountsEachKindAndKeepsGoodRowsInOrder() {
        List<ImageRecord> rows = new ArrayList<>();
        List<Integer> goodLabels = new ArrayList<>();
        long row = 0;
        for (BadRecordKind kind : BadRecordKind.values()) {
            for (int i = 0; i <= kind.ordinal(); i++) {   // kind k appears k + 1 times
                ImageRecord bad = good(row++);
                breakRow(bad, kind);
                rows.add(bad);
                ImageRecord ok = good(row++);
                goodLabels.add((int) ok.label);
                rows.add(ok);
            }
        }
        ReaderConfig cfg = skipping(greyConfig(3), 1.0);
        cfg.policy.examplesKept = 4;
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        List<Integer> labels = new ArrayList<>();
        MiniBatchStream s = new MiniBatchStream(rows.iterator(), cfg);
        try {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            drain(s, labels);
        } finally {
            System.setErr(err);
        }
        assertEquals(goodLabels, labels);
        BadRecordCounts c = s.counts();
        assertEquals(rows.size(), c.records);
        assertEquals(28, c.total());
        for (BadRecordKind kind : BadRecordKind.values()) {
            assertEquals(kind.ordinal() + 1, c.count(kind), kind.toString());
        }
        assertEquals(4, c.examples.size());
        String[] lines = captured.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(4, lines.length);
        assertTrue(lines[0].startsWith("sparkcnn: skipped bad record: bad record in file part-00000.parquet, row 0"),
                lines[0]);
    }

    @Test
    void skipPolicyFailsAtTheEndWhenTheBadFractionIsExceeded() {
        List<ImageRecord> rows = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            ImageRecord r = good(i);
            if (i % 25 == 3) {
                r.labelPresent = false;   // 4 of 100 bad
            }
            rows.add(r);
        }
        ReaderConfig cfg = skipping(greyConfig(8), 0.03);
        cfg.partition = 5;
        MiniBatchStream s = new MiniBatchStream(rows.iterator(), cfg);
        int images = 0;
        BadRecordException e = null;
        try {
            while (s.hasNext()) {
                images += s.next().size();
            }
        } catch (BadRecordException thrown) {
            e = thrown;
        }
        assertTrue(e != null, "a partition with 4% bad rows must fail at 3%");
        assertNull(e.kind);
        assertTrue(e.getMessage().startsWith("partition 5: too many bad records: "), e.getMessage());
        assertTrue(e.getMessage().contains("4 of 100 records bad (4.00%): MISSING_LABEL 4"), e.getMessage());
        assertTrue(e.getMessage().contains("maxBadFraction = 0.03"), e.getMessage());
        assertEquals(96, images);   // every batch went through; the check comes when the end is seen
        cfg.policy.maxBadFraction = 0.04;   // at the limit: fine
        List<Integer> labels = new ArrayList<>();
        assertEquals(96, drain(new MiniBatchStream(rows.iterator(), cfg), labels).size());
    }

    @Test
    void allBadSourceGivesNoBatchesWhenAllowed() {
        ImageRecord r = good(0);
        r.label = -1;
        MiniBatchStream s = new MiniBatchStream(List.of(r, r, r).iterator(), skipping(greyConfig(2), 1.0));
        assertFalse(s.hasNext());
        assertEquals(3, s.counts().count(BadRecordKind.LABEL_OUT_OF_RANGE));
    }

    // ---- streaming ----

    /** Creates records on demand, reusing one record and one buffer, and counts how many were pulled. */
    private static final class LazySource implements Iterator<ImageRecord> {
        final int total;
        int pulled;
        final ImageRecord r = new ImageRecord();
        final byte[] data = new byte[4];

        LazySource(int total) {
            this.total = total;
        }

        public boolean hasNext() {
            return pulled < total;
        }

        public ImageRecord next() {
            Arrays.fill(data, (byte) pulled);
            pulled++;
            return fillGrey(r, "lazy", pulled - 1, 2, 2, data, (pulled - 1) % 10);
        }
    }

    @Test
    void holdsAtMostOneBatchOfRows() {
        LazySource source = new LazySource(200_000);
        MiniBatchStream s = new MiniBatchStream(source, greyConfig(32));
        long returned = 0, batches = 0;
        MiniBatch first = null;
        while (s.hasNext()) {
            MiniBatch b = s.next();
            first = first == null ? b : first;
            assertSame(first, b);
            assertTrue(source.pulled - returned <= 32, "pulled " + source.pulled + " after returning " + returned);
            assertEquals((float) ((byte) returned & 0xff) / 255f, b.images.data[0], 0f);   // copied, not aliased
            assertEquals((int) ((returned + b.size() - 1) % 10), b.labels[b.size() - 1]);
            returned += b.size();
            batches++;
        }
        assertEquals(200_000, returned);
        assertEquals(6250, batches);
        assertEquals(200_000, s.counts().records);
    }

    @Test
    void reusesTheBatchTensorAndUsesASecondOneOnlyForTheLastSmallerBatch() {
        MiniBatchStream s = new MiniBatchStream(new LazySource(10), greyConfig(4));
        MiniBatch a = s.next();
        var t = a.images;
        assertSame(t, s.next().images);
        MiniBatch last = s.next();
        assertNotSame(t, last.images);
        assertEquals(2, last.size());
        assertArrayEquals(new int[] {2, 1, 2, 2}, last.images.shape());
        assertEquals(8 / 255f, last.images.data[0], 0f);
        assertEquals(9 / 255f, last.images.data[4], 0f);
        assertFalse(s.hasNext());
    }

    @Test
    void emptySourceGivesNoBatches() {
        MiniBatchStream s = new MiniBatchStream(List.<ImageRecord>of().iterator(), skipping(greyConfig(4), 0));
        assertFalse(s.hasNext());
        assertFalse(s.hasNext());
        assertEquals(0, s.counts().records);
        assertThrows(NoSuchElementException.class, s::next);
    }

    // ---- augmentation ----

    private static final byte[] NINE = {1, 2, 3, 4, 5, 6, 7, 8, 9};

    private static ReaderConfig augmenting(long seed, int epoch, int partition) {
        ReaderConfig cfg = new ReaderConfig(1, 3, 3, 10);
        cfg.batchSize = 16;
        cfg.cropPadding = 1;
        cfg.flip = true;
        cfg.seed = seed;
        cfg.epoch = epoch;
        cfg.partition = partition;
        return cfg;
    }

    private static List<float[]> augmented(ReaderConfig cfg, int count, Consumer<List<ImageRecord>> edit) {
        List<ImageRecord> rows = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            rows.add(grey("aug", i, 3, 3, NINE, 0));
        }
        edit.accept(rows);
        return drain(new MiniBatchStream(rows.iterator(), cfg), new ArrayList<>());
    }

    /** The 9 crops × 2 flips of the 3×3 image padded by 1 with zeros, computed independently. */
    private static List<float[]> allCrops() {
        List<float[]> out = new ArrayList<>();
        for (int dy = 0; dy <= 2; dy++) {
            for (int dx = 0; dx <= 2; dx++) {
                for (boolean flip : new boolean[] {false, true}) {
                    float[] img = new float[9];
                    for (int y = 0; y < 3; y++) {
                        for (int x = 0; x < 3; x++) {
                            int sy = y + dy - 1, sx = x + dx - 1;
                            int b = sy < 0 || sy > 2 || sx < 0 || sx > 2 ? 0 : NINE[sy * 3 + sx];
                            img[y * 3 + (flip ? 2 - x : x)] = b / 255f;
                        }
                    }
                    out.add(img);
                }
            }
        }
        return out;
    }

    @Test
    void everyAugmentedImageIsOneOfTheCropsAndFlipsAndAllOccur() {
        List<float[]> crops = allCrops();
        Set<Integer> seen = new HashSet<>();
        for (float[] img : augmented(augmenting(1, 0, 0), 1000, rows -> { })) {
            int match = -1;
            for (int k = 0; k < crops.size(); k++) {
                if (Arrays.equals(crops.get(k), img)) {
                    match = k;
                }
            }
            assertTrue(match >= 0, "not a crop or flip of the image: " + Arrays.toString(img));
            seen.add(match);
        }
        assertEquals(18, seen.size(), "every crop offset and flip must occur");
    }

    @Test
    void augmentationIsAPureFunctionOfSeedEpochPartitionAndPosition() {
        List<float[]> a = augmented(augmenting(42, 3, 7), 100, rows -> { });
        List<float[]> again = augmented(augmenting(42, 3, 7), 100, rows -> { });
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(a.get(i), again.get(i), 0f);
        }
        for (ReaderConfig other : List.of(augmenting(42, 4, 7), augmenting(42, 3, 8), augmenting(43, 3, 7))) {
            List<float[]> b = augmented(other, 100, rows -> { });
            int differ = 0;
            for (int i = 0; i < a.size(); i++) {
                differ += Arrays.equals(a.get(i), b.get(i)) ? 0 : 1;
            }
            assertTrue(differ > 50, "only " + differ + " of 100 images changed with seed, epoch or partition");
        }
        // Position counts bad rows too: breaking row 0 shifts nothing for the rows after it.
        ReaderConfig skip = skipping(augmenting(42, 3, 7), 1.0);
        List<float[]> withBad = augmented(skip, 100, rows -> rows.get(0).labelPresent = false);
        assertEquals(99, withBad.size());
        for (int i = 1; i < a.size(); i++) {
            assertArrayEquals(a.get(i), withBad.get(i - 1), 0f);
        }
    }

    /** 3-channel 28×28 rows of random bytes 1..255, so a normalised pixel is 0 only where erased. */
    private static List<float[]> erased(double erasing, int cropPadding, boolean flip, int count) {
        ReaderConfig cfg = new ReaderConfig(3, 28, 28, 10);
        cfg.batchSize = 32;
        cfg.erasing = erasing;
        cfg.cropPadding = cropPadding;
        cfg.flip = flip;
        cfg.seed = 5;
        cfg.epoch = 2;
        Random rng = new Random(11);
        List<ImageRecord> rows = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            byte[] px = new byte[28 * 28 * 3];
            for (int j = 0; j < px.length; j++) {
                px[j] = (byte) (1 + rng.nextInt(255));
            }
            rows.add(colour(3, 28, 28, px, i % 10));
            rows.get(i).row = i;
        }
        return drain(new MiniBatchStream(rows.iterator(), cfg), new ArrayList<>());
    }

    /**
     * Each erased image has exactly one rectangle of zeros, the same in every channel, within
     * torchvision's ranges (2–33 % of the area before rounding the sides, aspect 0.3–3.3), and about
     * the asked share of images is erased.
     */
    @Test
    void erasingBlanksOneRectangleOfTheAllowedSizeInTheAskedShareOfImages() {
        List<float[]> images = erased(0.5, 0, false, 2000);
        int erasedImages = 0;
        Set<Integer> areas = new HashSet<>();
        for (float[] img : images) {
            int top = 28, left = 28, bottom = -1, right = -1, zeros = 0;
            for (int y = 0; y < 28; y++) {
                for (int x = 0; x < 28; x++) {
                    if (img[y * 28 + x] == 0f) {
                        zeros++;
                        top = Math.min(top, y);
                        bottom = Math.max(bottom, y);
                        left = Math.min(left, x);
                        right = Math.max(right, x);
                    }
                    for (int c = 1; c < 3; c++) {
                        assertEquals(img[y * 28 + x] == 0f, img[c * 784 + y * 28 + x] == 0f, "channels erased alike");
                    }
                }
            }
            if (zeros == 0) {
                continue;
            }
            erasedImages++;
            int eh = bottom - top + 1, ew = right - left + 1;
            assertEquals(eh * ew, zeros, "the zeros form one filled rectangle");
            areas.add(zeros);
            double side = Math.sqrt(0.33 * 784 * 3.3) + 0.5;
            assertTrue(eh < 28 && ew < 28 && eh <= side && ew <= side, eh + "×" + ew);
            double lo = Math.sqrt(0.02 * 784) - 1, hi = Math.sqrt(0.33 * 784) + 1;
            double geo = Math.sqrt((double) eh * ew);
            assertTrue(geo >= lo && geo <= hi, "area " + eh + "×" + ew + " outside 2–33 % (rounded)");
            double aspect = (double) eh / ew;
            assertTrue(aspect >= 0.3 * 0.5 && aspect <= 3.3 * 2, "aspect " + eh + "×" + ew);
        }
        assertTrue(Math.abs(erasedImages - 1000) < 80, erasedImages + " of 2000 erased at probability 0.5");
        assertTrue(areas.size() > 30, "only " + areas.size() + " different areas");
        // erasing 0 and 1
        for (float[] img : erased(0, 0, false, 100)) {
            for (float v : img) {
                assertTrue(v != 0f);
            }
        }
        int none = 0;
        for (float[] img : erased(1, 0, false, 500)) {
            boolean any = false;
            for (float v : img) {
                any |= v == 0f;
            }
            none += any ? 0 : 1;
        }
        assertTrue(none < 10, none + " of 500 images not erased at probability 1 (only failed tries may leave one)");
    }

    /** Erasing draws after crop and flip from the same row hash: they stay as without erasing. */
    @Test
    void erasingChangesOnlyItsRectangleAndLeavesCropAndFlipAsTheyWere() {
        List<float[]> plain = erased(0, 2, true, 300), withErasing = erased(0.7, 2, true, 300);
        List<float[]> again = erased(0.7, 2, true, 300);
        int changed = 0;
        for (int i = 0; i < plain.size(); i++) {
            assertArrayEquals(withErasing.get(i), again.get(i), 0f, "erasing is a function of seed, epoch, partition, position");
            float[] a = plain.get(i), b = withErasing.get(i);
            boolean differs = false;
            for (int j = 0; j < a.length; j++) {
                if (a[j] != b[j]) {
                    assertEquals(0f, b[j], "image " + i + " changed outside the erased rectangle at " + j);
                    differs = true;
                }
            }
            changed += differs ? 1 : 0;
        }
        assertTrue(changed > 150, "only " + changed + " of 300 images erased at probability 0.7");
    }

    // ---- configuration and counts ----

    @Test
    void configurationErrorsAreClear() {
        ReaderConfig cfg = new ReaderConfig(3, 32, 32, 10);
        cfg.mean = new float[] {0.5f};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, cfg::validate);
        assertTrue(e.getMessage().contains("mean has 1 values but the model's input has 3 channels"), e.getMessage());
        cfg.mean = new float[3];
        cfg.std = new float[] {1, 0, 1};
        assertTrue(assertThrows(IllegalArgumentException.class, cfg::validate).getMessage().contains("std[1]"));
        assertThrows(IllegalArgumentException.class, () -> new ReaderConfig(2, 8, 8, 10).validate());
        ReaderConfig erasing = new ReaderConfig(1, 8, 8, 10);
        erasing.erasing = 1.5;
        assertEquals("reader configuration: erasing = 1.5 is not a probability in [0, 1]",
                assertThrows(IllegalArgumentException.class, erasing::validate).getMessage());
        ReaderConfig small = greyConfig(0);
        assertTrue(assertThrows(IllegalArgumentException.class, small::validate).getMessage().contains("batchSize"));
        assertEquals(BadRecordPolicy.OnBadRecord.SKIP, BadRecordPolicy.OnBadRecord.parse(" Skip ", "x"));
        e = assertThrows(IllegalArgumentException.class, () -> BadRecordPolicy.OnBadRecord.parse("drop", "job.properties: onBadRecord"));
        assertEquals("job.properties: onBadRecord: 'drop' is not a bad-record policy (expected fail or skip)", e.getMessage());
        assertEquals(0.05, BadRecordPolicy.parseFraction("0.05", "x"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> BadRecordPolicy.parseFraction("5%", "where"))
                .getMessage().startsWith("where: "));
    }

    /**
     * Pixels are stored as bytes, which cannot be NaN; the one float path into a batch is the
     * normalisation, (b / 255 - mean) / std, and a mean and std that pass every other check can still
     * overflow it. Such a configuration is refused before any row is read, naming the channel; every
     * one accepted gives finite values for all 256 bytes.
     */
    @Test
    void aNormalisationThatWouldMakeANonFinitePixelIsRefused() {
        ReaderConfig cfg = new ReaderConfig(3, 4, 4, 10);
        cfg.std = new float[] {1, Float.MIN_VALUE, 1};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, cfg::validate);
        assertEquals("reader configuration: mean[1] = 0.0 and std[1] = 1.4E-45 normalise pixel value 255 to Infinity:"
                + " every pixel must stay a finite number", e.getMessage());
        cfg.std = new float[] {1, 1, 1e-38f};
        cfg.mean = new float[] {0, 0, -Float.MAX_VALUE};
        assertTrue(assertThrows(IllegalArgumentException.class, cfg::validate).getMessage().contains("mean[2]"));
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        int accepted = 0;
        for (int i = 0; i < 2000; i++) {
            ReaderConfig c = new ReaderConfig(1, 2, 2, 10);
            c.mean = new float[] {(float) (r.nextBoolean() ? r.nextDouble(-1, 2) : Math.scalb(r.nextDouble(-1, 1), r.nextInt(-10, 128)))};
            c.std = new float[] {(float) Math.scalb(r.nextDouble(0.5, 1), r.nextInt(-149, 20))};
            try {
                c.validate();
            } catch (IllegalArgumentException refused) {
                continue;
            }
            accepted++;
            byte[] every = new byte[4];
            List<ImageRecord> rows = new java.util.ArrayList<>();
            for (int b = 0; b < 256; b += 4) {
                for (int k = 0; k < 4; k++) {
                    every[k] = (byte) (b + k);
                }
                rows.add(grey("f", b / 4, 2, 2, every.clone(), 1));
            }
            c.batchSize = 64;
            MiniBatch batch = new MiniBatchStream(rows.iterator(), c).next();
            for (int v = 0; v < 256; v++) {
                assertTrue(Float.isFinite(batch.images.data[v]), "byte " + v + " with mean " + c.mean[0] + ", std " + c.std[0]);
            }
        }
        assertTrue(accepted > 500 && accepted < 2000, accepted + " of 2000 accepted");
    }

    @Test
    void countsMergeInAnyOrderAndSurviveSerialization() throws Exception {
        BadRecordCounts a = new BadRecordCounts(), b = new BadRecordCounts();
        for (int i = 0; i < 600; i++) {
            a.record();
        }
        for (int i = 0; i < 400; i++) {
            b.record();
        }
        a.add(new BadRecordException(BadRecordKind.SIZE_MISMATCH, "f, row 1", "image.data", "a1"), 2);
        b.add(new BadRecordException(BadRecordKind.MISSING_LABEL, "g, row 2", "label", "b1"), 2);
        b.add(new BadRecordException(BadRecordKind.SIZE_MISMATCH, "g, row 3", "image.data", "b2"), 2);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream o = new ObjectOutputStream(bytes)) {
            o.writeObject(b);
        }
        BadRecordCounts b2;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            b2 = (BadRecordCounts) in.readObject();
        }
        BadRecordCounts ab = new BadRecordCounts().merge(a).merge(b2);
        BadRecordCounts ba = new BadRecordCounts().merge(b).merge(a);
        assertEquals("3 of 1000 records bad (0.30%): SIZE_MISMATCH 2, MISSING_LABEL 1", ab.summary());
        assertEquals(ab.summary(), ba.summary());
        assertEquals(2, ab.examples.size());
        assertTrue(ab.examples.get(0).contains("a1") && ab.examples.get(1).contains("b1"), ab.examples.toString());
        BadRecordPolicy p = new BadRecordPolicy();
        p.maxBadFraction = 0.003;
        ab.check(p, "job");
        p.maxBadFraction = 0.002;
        BadRecordException e = assertThrows(BadRecordException.class, () -> ab.check(p, "job"));
        assertTrue(e.getMessage().contains(ab.summary()) && e.getMessage().contains("a1"), e.getMessage());
    }

    // ---- skipping to a round's first batch ----

    /**
     * skip(k) then the rest gives exactly the batches after the first k of a full pass, with
     * augmentation drawn for the same positions and bad rows skipped but not counted again.
     */
    @Test
    void skipLeavesTheSameLaterBatchesAsAFullPass() {
        List<ImageRecord> rows = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            ImageRecord r = grey("aug", i, 3, 3, NINE, i % 10);
            if (i % 7 == 3) {
                r.label = 11; // bad: LABEL_OUT_OF_RANGE
            }
            rows.add(r);
        }
        ReaderConfig full = skipping(augmenting(5, 2, 1), 0.5);
        full.batchSize = 4;
        List<Integer> allLabels = new ArrayList<>();
        List<float[]> all = drain(new MiniBatchStream(rows.iterator(), full), allLabels);

        ReaderConfig part = skipping(augmenting(5, 2, 1), 0.5);
        part.batchSize = 4;
        MiniBatchStream s = new MiniBatchStream(rows.iterator(), part);
        assertEquals(3, s.skip(3));
        List<Integer> restLabels = new ArrayList<>();
        List<float[]> rest = drain(s, restLabels);
        assertEquals(all.size() - 12, rest.size());
        for (int i = 0; i < rest.size(); i++) {
            assertArrayEquals(all.get(12 + i), rest.get(i), "image " + (12 + i));
        }
        assertEquals(allLabels.subList(12, allLabels.size()), restLabels);
        // rows 0..13 were skipped (12 good, 2 bad): only the later rows are counted
        assertEquals(50 - 14, s.counts().records);
        assertEquals(5, s.counts().bad);
        assertEquals(0, new MiniBatchStream(rows.iterator(), part).skip(100) - 11);
    }
}
