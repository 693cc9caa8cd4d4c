package org.sparkcnn.data;

/**
 * A row that cannot be trained on, or a partition with too many of them. It names the file, row
 * and column so that the user can find and fix the data instead of guessing from a stack trace.
 */
public final class BadRecordException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What is wrong; null when this reports too many bad records rather than one. */
    public final BadRecordKind kind;
    /** "F, row R" as {@link ImageRecord#location()} gives it; null for a too-many failure. */
    public final String location;
    /** The offending column, e.g. "image.data", "image.height", "label"; null for a too-many failure. */
    public final String column;

    /** One bad row: {@code detail} says what is wrong in the user's terms. */
    public BadRecordException(BadRecordKind kind, String location, String column, String detail) {
        super("bad record in file " + location + ", column " + column + ": " + detail + " (" + kind + ")");
        this.kind = kind;
        this.location = location;
        this.column = column;
    }

    /** A failure about many rows (too many bad records), not about one. */
    public BadRecordException(String message) {
        super(message);
        this.kind = null;
        this.location = null;
        this.column = null;
    }
}
