package org.sparkcnn.data;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** IDX test files: header (magic 0x0000080N, big-endian dims) and unsigned bytes. */
public final class IdxFiles {
    private IdxFiles() {
    }

    public static byte[] bytes(int[] dims, byte[] data) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(bos);
        d.writeInt(0x0800 | dims.length);
        for (int v : dims) {
            d.writeInt(v);
        }
        d.write(data);
        return bos.toByteArray();
    }

    /** Writes an IDX file, gzipped when its name ends in .gz. */
    public static Path write(Path file, byte[] data, int... dims) throws IOException {
        try (OutputStream raw = Files.newOutputStream(file);
             OutputStream o = file.toString().endsWith(".gz") ? new GZIPOutputStream(raw) : raw) {
            o.write(bytes(dims, data));
        }
        return file;
    }
}
