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
}
