package org.sparkcnn.data;

/**
 * Input that cannot be used as what it claims to be: a truncated IDX file, an undecodable image.
 * Its message names the file (and the item) and what is wrong, in the user's terms; the jobs print
 * it as their one error line even when it arrives wrapped in Spark's stage failure, instead of the
 * message of whatever low-level cause it wraps ("Unexpected end of ZLIB input stream").
 */
public class InputException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public InputException(String message) {
        super(message);
    }

    public InputException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * What went wrong, for a message: the innermost message of the cause chain (decoders wrap the
     * telling one, "Unexpected end of ZLIB input stream", in a vague one), after the innermost
     * cause's type when that has no message ("it ends early" for an EOFException); never "null".
     */
    public static String reason(Throwable cause) {
        String message = null;
        Throwable innermost = cause;
        for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
            message = t.getMessage() != null ? t.getMessage() : message;
            innermost = t;
        }
        if (innermost.getMessage() != null) {
            return message;
        }
        String what = innermost instanceof java.io.EOFException ? "it ends early" : innermost.getClass().getSimpleName();
        return message == null ? what : message + ": " + what;
    }
}
