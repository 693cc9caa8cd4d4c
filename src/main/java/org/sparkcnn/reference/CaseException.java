package org.sparkcnn.reference;

/** A reference case that cannot be run as written (bad case.json, missing file, unknown op …). */
public final class CaseException extends RuntimeException {
    public CaseException(String message) {
        super(message);
    }

    public CaseException(String message, Throwable cause) {
        super(message, cause);
    }
}
