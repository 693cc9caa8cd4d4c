package org.sparkcnn.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads IDX files (the MNIST / Fashion-MNIST format), gzipped or not: big-endian magic
 * 0x0000 &lt;type&gt; &lt;rank&gt;, then rank 32-bit sizes, then unsigned bytes. Only the unsigned-byte
 * type (0x08) occurs in these datasets and only it is accepted.
 */
public final class IdxReader {
    /** Dimensions and raw unsigned bytes of one IDX file. */
    public static final class Idx {
        public final int[] dims;
        public final byte[] data;

        Idx(int[] dims, byte[] data) {
            this.dims = dims;
            this.data = data;
        }
    }

    /** Receives an IDX file's data bytes in order, one buffer at a time. */
    public interface DataSink {
        void accept(byte[] buffer, int length);
    }

    private IdxReader() {
    }

    /** Reads the first {@code limit} items (all when limit &lt; 0). */
    public static Idx read(Path file, int limit) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "IDX file not found");
        }
        String name = file.toString();
        try (InputStream raw = Files.newInputStream(file)) {
            DataInputStream d = open(raw);
            int[] dims = header(d, name);
            dataBytes(name, dims); // a lying header's sizes do not overflow below
            int items = limit < 0 ? dims[0] : Math.min(limit, dims[0]);
            long bytes = items * itemSize(dims);
            if (bytes > Integer.MAX_VALUE - 8) {
                throw new IOException(name + ": " + items + " items of " + itemSize(dims) + " bytes do not fit in memory");
            }
            byte[] data = new byte[(int) bytes];
            readItems(d, data, name, dims);
            dims[0] = items;
            return new Idx(dims, data);
        } catch (EOFException | ZipException e) {
            throw corruptGzip(name, e);
        }
    }

    /**
     * Reads the whole file through (gzipped or not) and checks that its data are exactly
     * dims[0] × itemSize bytes, so that a truncated or padded file fails here, naming itself, and
     * not in the middle of a job. The data go to {@code sink} (null: nowhere) 64 KiB at a time;
     * nothing else is kept. Returns the dimensions.
     */
    public static int[] check(InputStream raw, String name, DataSink sink) throws IOException {
        try {
            DataInputStream d = open(raw);
            int[] dims = header(d, name);
            long expected = dataBytes(name, dims);
            byte[] buffer = new byte[1 << 16];
            long held = 0;
            for (int n; (n = d.read(buffer)) > 0; held += n) { // a longer file's extra bytes reach the sink too
                if (sink != null) {
                    sink.accept(buffer, n);
                }
            }
            if (held != expected) {
                throw lengthMismatch(name, dims, held);
            }
            return dims;
        } catch (EOFException | ZipException e) {
            throw corruptGzip(name, e);
        }
    }

    /** A buffered stream over the file's bytes, gunzipped when they start with gzip's magic. */
    public static DataInputStream open(InputStream raw) throws IOException {
        InputStream b = new BufferedInputStream(raw, 1 << 16);
        b.mark(2);
        int b0 = b.read(), b1 = b.read();
        b.reset();
        return new DataInputStream(b0 == 0x1f && b1 == 0x8b ? new GZIPInputStream(b, 1 << 16) : b);
    }

    /** Reads and checks the header; returns the dimensions, items first. {@code name} goes into errors. */
    public static int[] header(DataInputStream d, String name) throws IOException {
        int magic;
        try {
            magic = d.readInt();
        } catch (EOFException e) {
            throw new IOException(name + ": empty or truncated IDX header");
        }
        if ((magic >>> 16) != 0 || ((magic >>> 8) & 0xff) != 0x08) {
            throw new IOException(name + ": not an unsigned-byte IDX file (magic 0x"
                    + Integer.toHexString(magic) + ", expected 0x0000080N)");
        }
        int rank = magic & 0xff;
        if (rank < 1 || rank > 4) {
            throw new IOException(name + ": IDX rank " + rank + " is not supported (1 to 4)");
        }
        int[] dims = new int[rank];
        try {
            for (int i = 0; i < rank; i++) {
                dims[i] = d.readInt();
                if (dims[i] < 0) {
                    throw new IOException(name + ": negative dimension " + dims[i] + " in the IDX header");
                }
            }
        } catch (EOFException e) {
            throw new IOException(name + ": truncated IDX header");
        }
        return dims;
    }

    /** Bytes per item: the product of the dimensions after the first. */
    public static long itemSize(int[] dims) {
        long size = 1;
        for (int i = 1; i < dims.length; i++) {
            size *= dims[i];
        }
        return size;
    }

    /**
     * dims[0] × itemSize, or an error naming the file when a lying header's product overflows;
     * once this passed, {@link #itemSize} and its products with up to dims[0] items are exact.
     */
    private static long dataBytes(String name, int[] dims) throws IOException {
        try {
            long size = 1;
            for (int i = 1; i < dims.length; i++) {
                size = Math.multiplyExact(size, dims[i]);
            }
            return Math.multiplyExact(size, dims[0]);
        } catch (ArithmeticException e) {
            throw new IOException(name + ": the IDX header announces " + java.util.Arrays.toString(dims)
                    + ": more than 2^63 bytes");
        }
    }

    /** Fills {@code into} from the stream, or says which file ends early and how much it holds. */
    public static void readItems(DataInputStream d, byte[] into, String name, int[] dims) throws IOException {
        int n = d.readNBytes(into, 0, into.length);
        if (n < into.length) {
            throw lengthMismatch(name, dims, n);
        }
    }

    /** The data after the header are {@code held} bytes, not what the header announces. */
    private static IOException lengthMismatch(String name, int[] dims, long held) {
        long itemSize = itemSize(dims), expected = dims[0] * itemSize;
        String announced = "the header announces " + dims[0] + " items of " + itemSize
                + (itemSize == 1 ? " byte (" : " bytes (") + expected
                + " bytes) but the file holds " + held + " bytes after the header";
        return new IOException(name + ": " + (held < expected ? "truncated: " + announced
                : announced + ": " + (held - expected) + " extra bytes"));
    }

    /**
     * GZIPInputStream's errors: EOFException ("Unexpected end of ZLIB input stream", or no message
     * for a cut header or trailer) and ZipException (bad data, CRC). Plain files never raise either
     * here: their header reads catch EOF, and data reads return -1.
     */
    private static IOException corruptGzip(String name, IOException e) {
        return new IOException(name + ": truncated or corrupt gzip data (" + InputException.reason(e) + ")", e);
    }
}
