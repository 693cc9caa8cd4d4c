package org.sparkcnn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
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
        Path truncated = write("t", java.util.Arrays.copyOf(idx(new int[] {5, 2, 2}, new byte[20]), 20), false);
        IOException e = assertThrows(IOException.class, () -> IdxReader.read(truncated, -1));
        assertTrue(e.getMessage().contains(truncated.toString()) && e.getMessage().contains("truncated"), e.getMessage());
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

    @Test
    void fashionMnistFromTheDebianPackageHasTheAdvertisedSizes() throws IOException {
        Dataset test = Dataset.fashionMnist(Dataset.FASHION_DIR, "test", -1);
        assertEquals(10_000, test.size());
        assertArrayEquals(new int[] {1, 28, 28}, test.imageShape);
    }
}
