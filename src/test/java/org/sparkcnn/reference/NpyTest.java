package org.sparkcnn.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyTest {
    /** A .npy file as NumPy writes it: header padded with spaces to a multiple of 64, then '\n'. */
    static byte[] npy(int major, String dict, byte[] data) {
        int prefix = major == 1 ? 10 : 12;
        StringBuilder h = new StringBuilder(dict);
        while ((prefix + h.length() + 1) % 64 != 0) {
            h.append(' ');
        }
        h.append('\n');
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        ByteBuffer len = ByteBuffer.allocate(major == 1 ? 2 : 4).order(ByteOrder.LITTLE_ENDIAN);
        if (major == 1) {
            len.putShort((short) h.length());
        } else {
            len.putInt(h.length());
        }
        out.writeBytes(len.array());
        out.writeBytes(h.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(data);
        return out.toByteArray();
    }

    static byte[] floats(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        return b.array();
    }

    static byte[] longs(long... v) {
        ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long l : v) {
            b.putLong(l);
        }
        return b.array();
    }

    @Test
    void readsFloat32InCOrder() throws IOException {
        Npy a = Npy.parse(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
                floats(1, 2, 3, 4, 5, -6.5f)), "a.npy");
        assertArrayEquals(new int[] {2, 3}, a.shape());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, -6.5f}, a.floats);
        assertNull(a.longs);
        assertEquals("float32", a.dtypeName());
    }

    @Test
    void readsInt64AndVersion2Headers() throws IOException {
        Npy a = Npy.parse(npy(2, "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", longs(0, 9, -1)), "l.npy");
        assertArrayEquals(new int[] {3}, a.shape());
        assertArrayEquals(new long[] {0, 9, -1}, a.longs);
        assertArrayEquals(new int[] {0, 9, -1}, a.ints("l.npy"));
        Npy big = Npy.parse(npy(1, "{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }",
                longs(1L << 40)), "big.npy");
        IOException e = assertThrows(IOException.class, () -> big.ints("big.npy"));
        assertTrue(e.getMessage().contains("does not fit in an int"), e.getMessage());
    }

    @Test
    void scalarAndEmptyShapes() throws IOException {
        Npy s = Npy.parse(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", floats(2.5f)), "s.npy");
        assertArrayEquals(new int[0], s.shape());
        assertEquals(1, s.size());
        Npy z = Npy.parse(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4), }", new byte[0]), "z.npy");
        assertEquals(0, z.size());
    }

    /** What encode writes is byte for byte what NumPy's np.save writes, and reads back. */
    @Test
    void encodesFloat32AndUint8AsNumPyDoes() throws IOException {
        assertArrayEquals(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", floats(1, 2, 3, 4, 5, -6.5f)),
                Npy.encode(new int[] {2, 3}, new float[] {1, 2, 3, 4, 5, -6.5f}));
        assertArrayEquals(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", floats(7)),
                Npy.encode(new int[] {1}, new float[] {7}));
        assertArrayEquals(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", floats(2.5f)),
                Npy.encode(new int[0], new float[] {2.5f}));
        byte[] pixels = {0, 127, (byte) 128, (byte) 255};
        assertArrayEquals(npy(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 2, 2, 1), }", pixels),
                Npy.encode(new int[] {1, 2, 2, 1}, pixels));
        Npy back = Npy.parse(Npy.encode(new int[] {6, 1, 5, 5}, new float[150]), "filters.npy");
        assertArrayEquals(new int[] {6, 1, 5, 5}, back.shape());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Npy.encode(new int[] {2, 2}, new float[3]));
        assertTrue(e.getMessage().contains("holds 4 values, got 3"), e.getMessage());
    }

    @Test
    void readsTheSharedCaseFiles() throws IOException, URISyntaxException {
        Path x = Path.of(NpyTest.class.getResource("/reference/relu/x.npy").toURI());
        Npy a = Npy.read(x);
        assertArrayEquals(new int[] {2, 50}, a.shape());
        Npy labels = Npy.read(x.getParent().resolveSibling("softmax_cross_entropy").resolve("labels.npy"));
        assertEquals("int64", labels.dtypeName());
    }

    @Test
    void rejectsWhatItCannotRead(@TempDir Path tmp) throws IOException {
        String f4 = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
        Object[][] bad = {
            {"magic.npy", "PK\u0003\u0004 not numpy at all".getBytes(StandardCharsets.ISO_8859_1), "bad magic"},
            {"f8.npy", npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", new byte[16]),
                "unsupported dtype '<f8'"},
            {"be.npy", npy(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", new byte[8]),
                "unsupported dtype '>f4'"},
            {"fortran.npy", npy(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", new byte[16]),
                "fortran_order True"},
            {"short.npy", npy(1, f4, floats(1)), "truncated data"},
            {"long.npy", npy(1, f4, floats(1, 2, 3)), "unexpected bytes"},
            {"version.npy", npy(1, f4, floats(1, 2)), "unsupported .npy format version 9"},
            {"noshape.npy", npy(1, "{'descr': '<f4', 'fortran_order': False, }", new byte[0]), "'shape'"},
        };
        ((byte[]) bad[6][1])[6] = 9;
        for (Object[] c : bad) {
            Path p = tmp.resolve((String) c[0]);
            Files.write(p, (byte[]) c[1]);
            IOException e = assertThrows(IOException.class, () -> Npy.read(p), (String) c[0]);
            assertTrue(e.getMessage().startsWith(p.toString() + ": "), e.getMessage());
            assertTrue(e.getMessage().contains((String) c[2]), c[0] + " → " + e.getMessage());
        }
        Path header = tmp.resolve("header.npy");
        byte[] b = npy(1, f4, floats(1, 2));
        Files.write(header, java.util.Arrays.copyOf(b, 30));
        IOException e = assertThrows(IOException.class, () -> Npy.read(header));
        assertTrue(e.getMessage().contains("truncated header"), e.getMessage());
        IOException none = assertThrows(IOException.class, () -> Npy.read(tmp.resolve("none.npy")));
        assertTrue(none.getMessage().contains("none.npy: file not found"), none.getMessage());
    }
}
