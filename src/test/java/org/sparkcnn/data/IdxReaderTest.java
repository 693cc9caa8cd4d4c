package org.sparkcnn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {
    @TempDir
    Path dir;

    private static byte[] idx(int[] dims, byte[] data) throws IOException {
        return IdxFiles.bytes(dims, data);
    }

    private Path write(String name, byte[] bytes, boolean gzip) throws IOException {
        Path p = dir.resolve(name);
        try (OutputStream o = gzip ? new GZIPOutputStream(Files.newOutputStream(p)) : Files.newOutputStream(p)) {
            o.write(bytes);
        }
        return p;
    }

    @Test
    void readsPlainAndGzippedFilesAlike() throws IOException {
        byte[] px = new byte[3 * 2 * 2];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (i * 20);
        }
        for (boolean gz : new boolean[] {false, true}) {
            IdxReader.Idx r = IdxReader.read(write("img" + gz, idx(new int[] {3, 2, 2}, px), gz), -1);
            assertArrayEquals(new int[] {3, 2, 2}, r.dims);
            assertArrayEquals(px, r.data);
            IdxReader.Idx first = IdxReader.read(write("img2" + gz, idx(new int[] {3, 2, 2}, px), gz), 2);
            assertArrayEquals(new int[] {2, 2, 2}, first.dims);
            assertEquals(8, first.data.length);
        }
    }

    @Test
    void datasetScalesAndStandardisesPixels() throws IOException {
        Path img = write("i", idx(new int[] {2, 1, 2}, new byte[] {0, (byte) 255, (byte) 128, 64}), true);
        Path lab = write("l", idx(new int[] {2}, new byte[] {3, 9}), true);
        Dataset d = Dataset.fromIdx(img, lab, -1, 0.5f, 0.5f, 10);
        assertArrayEquals(new int[] {1, 1, 2}, d.imageShape);
        assertEquals(-1f, d.images[0]);
        assertEquals(1f, d.images[1]);
        assertArrayEquals(new int[] {3, 9}, d.labels);
    }

    @Test
    void badFilesGetErrorsThatNameTheFileAndTheProblem() throws IOException {
        assertThrows(NoSuchFileException.class, () -> IdxReader.read(dir.resolve("missing"), -1));
        Path truncated = write("t", Arrays.copyOf(idx(new int[] {5, 2, 2}, new byte[20]), 20), false);
        IOException e = assertThrows(IOException.class, () -> IdxReader.read(truncated, -1));
        assertEquals(truncated + ": truncated: the header announces 5 items of 4 bytes (20 bytes) but the file holds"
                + " 4 bytes after the header", e.getMessage());
        Path notIdx = write("n", "hello world, not idx".getBytes(), false);
        e = assertThrows(IOException.class, () -> IdxReader.read(notIdx, -1));
        assertTrue(e.getMessage().contains("not an unsigned-byte IDX"), e.getMessage());
        Path img = write("i3", idx(new int[] {2, 1, 1}, new byte[2]), false);
        Path lab = write("l3", idx(new int[] {3}, new byte[3]), false);
        e = assertThrows(IOException.class, () -> Dataset.fromIdx(img, lab, -1, 0, 1, 10));
        assertTrue(e.getMessage().contains("2 images") && e.getMessage().contains("3 labels"), e.getMessage());
        Path badLabel = write("l4", idx(new int[] {2}, new byte[] {1, 12}), false);
        e = assertThrows(IOException.class, () -> Dataset.fromIdx(img, badLabel, -1, 0, 1, 10));
        assertTrue(e.getMessage().contains("label 12 at item 1"), e.getMessage());
    }

    /** check() of the file {@code bytes}, gzipped or not, with a sink that collects the data. */
    private static int[] check(byte[] bytes, boolean gzip, ByteArrayOutputStream data) throws IOException {
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        try (OutputStream o = gzip ? new GZIPOutputStream(file) : file) {
            o.write(bytes);
        }
        return IdxReader.check(new ByteArrayInputStream(file.toByteArray()), "F",
                data == null ? null : (buffer, n) -> data.write(buffer, 0, n));
    }

    @Test
    void checkStreamsTheDataThroughAndComparesItsLengthWithTheHeader() throws IOException {
        byte[] px = new byte[200_000]; // more than one 64 KiB buffer
        new Random(2).nextBytes(px);
        for (boolean gz : new boolean[] {false, true}) {
            ByteArrayOutputStream data = new ByteArrayOutputStream();
            assertArrayEquals(new int[] {2000, 10, 10}, check(idx(new int[] {2000, 10, 10}, px), gz, data));
            assertArrayEquals(px, data.toByteArray());
            byte[] whole = idx(new int[] {2000, 10, 10}, px);
            IOException e = assertThrows(IOException.class, () -> check(Arrays.copyOf(whole, 1000), gz,
                    new ByteArrayOutputStream()));
            assertEquals("F: truncated: the header announces 2000 items of 100 bytes (200000 bytes) but the file holds"
                    + " 984 bytes after the header", e.getMessage());
            e = assertThrows(IOException.class, () -> check(idx(new int[] {1999, 10, 10}, px), gz,
                    new ByteArrayOutputStream()));
            assertEquals("F: the header announces 1999 items of 100 bytes (199900 bytes) but the file holds 200000"
                    + " bytes after the header: 100 extra bytes", e.getMessage());
        }
        IOException e = assertThrows(IOException.class, () -> check(idx(new int[] {65536, 65536, 65536, 65536},
                new byte[0]), false, null));
        assertTrue(e.getMessage().contains("more than 2^63 bytes"), e.getMessage());
    }

    @Test
    void aTruncatedOrCorruptGzipStreamIsNamed() throws IOException {
        byte[] px = new byte[50_000];
        new Random(3).nextBytes(px);
        Path gz = write("g.gz", idx(new int[] {500, 10, 10}, px), true);
        byte[] bytes = Files.readAllBytes(gz);
        Map<byte[], String> cases = new LinkedHashMap<>();
        cases.put(Arrays.copyOf(bytes, bytes.length / 2), "Unexpected end of ZLIB input stream");
        cases.put(Arrays.copyOf(bytes, bytes.length - 3), "it ends early"); // cut in the trailer
        byte[] crc = bytes.clone();
        crc[crc.length - 6] ^= 1;
        cases.put(crc, "Corrupt GZIP trailer");
        for (Map.Entry<byte[], String> c : cases.entrySet()) {
            IOException e = assertThrows(IOException.class, () -> IdxReader.check(
                    new ByteArrayInputStream(c.getKey()), "F", null));
            assertEquals("F: truncated or corrupt gzip data (" + c.getValue() + ")", e.getMessage());
        }
        // read() stops after the items it was asked for, so only a cut in the data reaches it
        Path cut = Files.write(dir.resolve("cut.gz"), Arrays.copyOf(bytes, bytes.length / 2));
        IOException e = assertThrows(IOException.class, () -> IdxReader.read(cut, -1));
        assertEquals(cut + ": truncated or corrupt gzip data (Unexpected end of ZLIB input stream)", e.getMessage());
    }

    @Test
    void fashionMnistFromTheDebianPackageHasTheAdvertisedSizes() throws IOException {
        Dataset test = Dataset.fashionMnist(Dataset.FASHION_DIR, "test", -1);
        assertEquals(10_000, test.size());
        assertArrayEquals(new int[] {1, 28, 28}, test.imageShape);
    }
}
