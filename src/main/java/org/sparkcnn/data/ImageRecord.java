package org.sparkcnn.data;

/**
 * One labelled image as read from a dataset row, before any checking: the fields of Spark's image
 * struct ({@code origin, height, width, nChannels, mode, data}) plus the label and where the row
 * came from. Missing (null) values are -1, null or {@code labelPresent = false}, so that the reader
 * can say precisely what is wrong. Mutable and reused by adapters: a reader must copy what it keeps.
 */
public final class ImageRecord {
    /** The file the row was read from (a Parquet file, or the image's origin), for error messages. */
    public String file;
    /** The row's index within that file, or -1 when unknown. */
    public long row = -1;
    public String origin;
    public int height = -1, width = -1, channels = -1, mode = -1;
    /** Raw pixel bytes, row-major, channels interleaved (BGR order for colour, as Spark's image source). */
    public byte[] data;
    public double label = Double.NaN;
    public boolean labelPresent;

    /**
     * The byte offset within an interleaved pixel of each channel in RGB(A) order (grey: itself):
     * Spark's image struct stores colour as BGR(A), the engine's planes are R, G, B (and A).
     */
    public static int[] rgbOffsets(int channels) {
        switch (channels) {
            case 1: return new int[] {0};
            case 3: return new int[] {2, 1, 0};
            case 4: return new int[] {2, 1, 0, 3};
            default: throw new IllegalArgumentException("images have 1, 3 or 4 channels, not " + channels);
        }
    }

    /** Resets every field to missing. */
    public ImageRecord clear() {
        file = null;
        row = -1;
        origin = null;
        height = width = channels = mode = -1;
        data = null;
        label = Double.NaN;
        labelPresent = false;
        return this;
    }

    /** "file F, row R" (or the origin when no file is known), for error messages. */
    public String location() {
        String where = file != null ? file : origin != null ? origin : "(unknown file)";
        return row >= 0 ? where + ", row " + row : where;
    }
}
