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

    private IdxReader() {
    }

    /** Reads the first {@code limit} items (all when limit &lt; 0). */
    public static Idx read(Path file, int limit) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "IDX file not found");
        }
        try (InputStream raw = Files.newInputStream(file)) {
            DataInputStream d = open(raw);
            int[] dims = header(d, file.toString());
            long itemSize = itemSize(dims);
            int items = limit < 0 ? dims[0] : Math.min(limit, dims[0]);
            long bytes = items * itemSize;
            if (bytes > Integer.MAX_VALUE - 8) {
                throw new IOException(file + ": " + items + " items of " + itemSize + " bytes do not fit in memory");
            }
            byte[] data = new byte[(int) bytes];
            readItems(d, data, file.toString(), dims);
            dims[0] = items;
            return new Idx(dims, data);
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

    /** Fills {@code into} from the stream, or says which file ends early. */
    public static void readItems(DataInputStream d, byte[] into, String name, int[] dims) throws IOException {
        try {
            d.readFully(into);
        } catch (EOFException e) {
            throw new IOException(name + ": truncated: the header announces " + dims[0] + " items of "
                    + itemSize(dims) + " bytes but the data ends early");
        }
    }
}
