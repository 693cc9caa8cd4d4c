package org.sparkcnn.io;

import java.io.IOException;

/**
 * A model file (or checkpoint, manifest or model registry file) that is malformed, truncated,
 * corrupt, swapped in from elsewhere, or does not fit the network it is applied to. The message starts with the file's name, so a log line alone says which
 * file is bad and why.
 */
public class ModelFileException extends IOException {
    private final String source;

    /** The message is {@code source: problem} on one line: line breaks in {@code problem} are escaped. */
    public ModelFileException(String source, String problem) {
        super(source + ": " + oneLine(problem));
        this.source = source;
    }

    /** Line breaks shown as {@code \n} and {@code \r}: text quoted from a corrupt file must not split a log line. */
    private static String oneLine(String s) {
        return s.replace("\r", "\\r").replace("\n", "\\n");
    }

    /** The file (or directory) the problem was found in. */
    public String source() {
        return source;
    }
}
