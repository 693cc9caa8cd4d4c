package org.sparkcnn.reference;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One NumPy {@code .npy} array (format versions 1.0, 2.0 and 3.0): little-endian float32
 * ({@code <f4}) or int64 ({@code <i8}), C order. Anything else is rejected with an error that
 * names the file, rather than guessed at. {@link #encode} writes float32 and uint8 ({@code |u1})
 * arrays in format 1.0, as NumPy's {@code np.save} does (the run folder's exports for the notebooks).
 */
public final class Npy {
    public static final String FLOAT32 = "<f4";
    public static final String INT64 = "<i8";
    public static final String UINT8 = "|u1";
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

    public final String descr;
    private final int[] shape;
    /** Set for {@code <f4}, else null. */
    public final float[] floats;
    /** Set for {@code <i8}, else null. */
    public final long[] longs;

    private Npy(String descr, int[] shape, float[] floats, long[] longs) {
        this.descr = descr;
        this.shape = shape;
        this.floats = floats;
        this.longs = longs;
    }

    public int[] shape() {
        return shape.clone();
    }

    /** Number of elements: the product of the shape (1 for a 0-d array). */
    public int size() {
        return floats != null ? floats.length : longs.length;
    }

    /** "float32" or "int64", the names case.json uses. */
    public String dtypeName() {
        return FLOAT32.equals(descr) ? "float32" : "int64";
    }

    public static Npy read(Path file) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IOException(file + ": file not found", e);
        }
        return parse(bytes, file.toString());
    }

    /** Parses the bytes of a .npy file; {@code source} names it in errors. */
    public static Npy parse(byte[] b, String source) throws IOException {
        if (b.length < 10 || !Arrays.equals(Arrays.copyOf(b, 6), MAGIC)) {
            throw new IOException(source + ": not a .npy file (bad magic: expected \\x93NUMPY)");
        }
        int major = b[6] & 0xff, minor = b[7] & 0xff;
        int headerLen, headerStart;
        if (major == 1) {
            headerLen = (b[8] & 0xff) | (b[9] & 0xff) << 8;
            headerStart = 10;
        } else if (major == 2 || major == 3) {
            if (b.length < 12) {
                throw new IOException(source + ": truncated header");
            }
            long len = ByteBuffer.wrap(b, 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
            if (len > Integer.MAX_VALUE) {
                throw new IOException(source + ": header length " + len + " is too large");
            }
            headerLen = (int) len;
            headerStart = 12;
        } else {
            throw new IOException(source + ": unsupported .npy format version " + major + "." + minor);
        }
        if ((long) headerStart + headerLen > b.length) {
            throw new IOException(source + ": truncated header (needs " + headerLen + " bytes, file has "
                    + (b.length - headerStart) + ")");
        }
        // Version 3.0 only differs by allowing UTF-8 in the header.
        String header = new String(b, headerStart, headerLen,
                major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1).strip();
        Map<String, Object> dict = parseHeader(header, source);
        for (String key : dict.keySet()) {
            if (!key.equals("descr") && !key.equals("fortran_order") && !key.equals("shape")) {
                throw new IOException(source + ": unexpected header key '" + key + "'");
            }
        }
        Object descr = dict.get("descr");
        Object fortran = dict.get("fortran_order");
        Object shapeObj = dict.get("shape");
        if (!(descr instanceof String) || !(fortran instanceof Boolean) || !(shapeObj instanceof int[])) {
            throw new IOException(source + ": header must give 'descr' (string), 'fortran_order' (True/False) and"
                    + " 'shape' (tuple), got " + header);
        }
        if ((Boolean) fortran) {
            throw new IOException(source + ": fortran_order True is not supported (save the array in C order)");
        }
        if (!FLOAT32.equals(descr) && !INT64.equals(descr)) {
            throw new IOException(source + ": unsupported dtype '" + descr + "': expected '" + FLOAT32
                    + "' (little-endian float32) or '" + INT64 + "' (little-endian int64)");
        }
        int[] shape = (int[]) shapeObj;
        long count = 1;
        for (int d : shape) {
            count *= d;
            if (count > Integer.MAX_VALUE) {
                throw new IOException(source + ": shape " + Arrays.toString(shape) + " is too large");
            }
        }
        int itemSize = FLOAT32.equals(descr) ? 4 : 8;
        int dataStart = headerStart + headerLen;
        long want = count * itemSize;
        long have = b.length - dataStart;
        if (have < want) {
            throw new IOException(source + ": truncated data: shape " + Arrays.toString(shape) + " of " + descr
                    + " needs " + want + " bytes, file has " + have);
        }
        if (have > want) {
            throw new IOException(source + ": " + (have - want) + " unexpected bytes after the data of shape "
                    + Arrays.toString(shape));
        }
        ByteBuffer buf = ByteBuffer.wrap(b, dataStart, (int) want).order(ByteOrder.LITTLE_ENDIAN);
        if (itemSize == 4) {
            float[] f = new float[(int) count];
            buf.asFloatBuffer().get(f);
            return new Npy((String) descr, shape, f, null);
        }
        long[] l = new long[(int) count];
        buf.asLongBuffer().get(l);
        return new Npy((String) descr, shape, null, l);
    }

    /** A .npy file (format 1.0, C order) of float32 {@code values} with {@code shape}. */
    public static byte[] encode(int[] shape, float[] values) {
        ByteBuffer data = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        data.asFloatBuffer().put(values);
        return encode(FLOAT32, shape, data.array(), values.length);
    }

    /** A .npy file (format 1.0, C order) of uint8 {@code values} (each byte unsigned) with {@code shape}. */
    public static byte[] encode(int[] shape, byte[] values) {
        return encode(UINT8, shape, values, values.length);
    }

    private static byte[] encode(String descr, int[] shape, byte[] data, int count) {
        long n = 1;
        StringBuilder dims = new StringBuilder();
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n *= d;
            dims.append(d).append(", ");
        }
        if (n != count) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n + " values, got " + count);
        }
        // a 1-d tuple needs its trailing comma, the empty one none: NumPy's own spelling
        String tuple = shape.length == 0 ? "()" : "(" + (shape.length == 1 ? dims.toString().strip()
                : dims.substring(0, dims.length() - 2)) + ")";
        StringBuilder h = new StringBuilder("{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + tuple + ", }");
        // magic, version and length take 10 bytes; the header ends in '\n' at a multiple of 64
        while ((10 + h.length() + 1) % 64 != 0) {
            h.append(' ');
        }
        h.append('\n');
        byte[] header = h.toString().getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer out = ByteBuffer.allocate(10 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        out.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length).put(header).put(data);
        return out.array();
    }

    /** The values as int, failing when one does not fit (labels are stored as int64). */
    public int[] ints(String source) throws IOException {
        if (longs == null) {
            throw new IOException(source + ": expected int64 data, got " + descr);
        }
        int[] out = new int[longs.length];
        for (int i = 0; i < longs.length; i++) {
            if (longs[i] < Integer.MIN_VALUE || longs[i] > Integer.MAX_VALUE) {
                throw new IOException(source + ": value " + longs[i] + " at index " + i + " does not fit in an int");
            }
            out[i] = (int) longs[i];
        }
        return out;
    }

    /**
     * Parses the Python dict literal of the header, e.g.
     * {@code {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }}: quoted keys, and values
     * that are quoted strings, True/False or tuples of non-negative integers.
     */
    private static Map<String, Object> parseHeader(String h, String source) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        int[] p = {0};
        skip(h, p);
        expect(h, p, '{', source);
        while (true) {
            skip(h, p);
            if (peek(h, p) == '}') {
                p[0]++;
                break;
            }
            String key = quoted(h, p, source);
            skip(h, p);
            expect(h, p, ':', source);
            skip(h, p);
            char c = peek(h, p);
            Object v;
            if (c == '\'' || c == '"') {
                v = quoted(h, p, source);
            } else if (h.startsWith("True", p[0])) {
                v = Boolean.TRUE;
                p[0] += 4;
            } else if (h.startsWith("False", p[0])) {
                v = Boolean.FALSE;
                p[0] += 5;
            } else if (c == '(') {
                v = tuple(h, p, source);
            } else {
                throw new IOException(source + ": cannot read header value of '" + key + "' in " + h);
            }
            if (m.put(key, v) != null) {
                throw new IOException(source + ": duplicate header key '" + key + "'");
            }
            skip(h, p);
            if (peek(h, p) == ',') {
                p[0]++;
            } else if (peek(h, p) != '}') {
                throw new IOException(source + ": expected ',' or '}' in header " + h);
            }
        }
        skip(h, p);
        if (p[0] != h.length()) {
            throw new IOException(source + ": unexpected text after the header dict: " + h);
        }
        return m;
    }

    private static int[] tuple(String h, int[] p, String source) throws IOException {
        p[0]++;
        int[] dims = new int[0];
        while (true) {
            skip(h, p);
            if (peek(h, p) == ')') {
                p[0]++;
                return dims;
            }
            int start = p[0];
            while (p[0] < h.length() && Character.isDigit(h.charAt(p[0]))) {
                p[0]++;
            }
            if (p[0] == start) {
                throw new IOException(source + ": bad shape tuple in header " + h);
            }
            long d = p[0] - start > 10 ? Long.MAX_VALUE : Long.parseLong(h.substring(start, p[0]));
            if (d > Integer.MAX_VALUE) {
                throw new IOException(source + ": dimension too large in header " + h);
            }
            dims = Arrays.copyOf(dims, dims.length + 1);
            dims[dims.length - 1] = (int) d;
            skip(h, p);
            if (peek(h, p) == ',') {
                p[0]++;
            } else if (peek(h, p) != ')') {
                throw new IOException(source + ": bad shape tuple in header " + h);
            }
        }
    }

    private static String quoted(String h, int[] p, String source) throws IOException {
        char q = peek(h, p);
        if (q != '\'' && q != '"') {
            throw new IOException(source + ": expected a quoted key in header " + h);
        }
        int end = h.indexOf(q, p[0] + 1);
        if (end < 0) {
            throw new IOException(source + ": unterminated string in header " + h);
        }
        String s = h.substring(p[0] + 1, end);
        p[0] = end + 1;
        return s;
    }

    private static void expect(String h, int[] p, char c, String source) throws IOException {
        if (peek(h, p) != c) {
            throw new IOException(source + ": expected '" + c + "' in header " + h);
        }
        p[0]++;
    }

    private static char peek(String h, int[] p) {
        return p[0] < h.length() ? h.charAt(p[0]) : '\0';
    }

    private static void skip(String h, int[] p) {
        while (p[0] < h.length() && Character.isWhitespace(h.charAt(p[0]))) {
            p[0]++;
        }
    }
}
