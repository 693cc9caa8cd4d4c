package org.sparkcnn.io;

import java.io.IOException;

/**
 * A model file (or checkpoint) that is malformed, truncated, corrupt or does not fit the network
 * it is applied to. The message starts with the file's name, so a log line alone says which
 * file is bad and why.
 */
public class ModelFileException extends IOException {
    private final String source;

    public ModelFileException(String source, String problem) {
        super(source + ": " + problem);
        this.source = source;
    }

    /** The file (or directory) the problem was found in. */
    public String source() {
        return source;
    }
}
