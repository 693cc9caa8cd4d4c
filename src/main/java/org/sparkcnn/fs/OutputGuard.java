package org.sparkcnn.fs;

import java.io.IOException;
import java.net.URI;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A job's output must never be one of its inputs, lie inside one, or contain one: writing there
 * would mix the run into the data (and a replacement would delete it). Paths are compared as the
 * file system sees them: qualified (scheme, working directory), normalised ({@code ..}, trailing
 * slashes) and, on the local file system, with symbolic links resolved. Only reads.
 */
public final class OutputGuard {
    private OutputGuard() {
    }

    /**
     * Refuses {@code output} (named {@code outputName} in messages, e.g. "output" or "--out") when it
     * is a plain file, or equals, lies inside or contains one of {@code inputs} (name → path; empty
     * paths are skipped); the message names both.
     */
    public static void check(String outputName, String output, Map<String, String> inputs, Configuration conf)
            throws IOException {
        URI out = canonical(output, conf);
        FileSystem fs = new Path(out).getFileSystem(conf);
        if (fs.exists(new Path(out))) {
            FileStatus st = fs.getFileStatus(new Path(out));
            if (st.isFile()) {
                throw new IllegalArgumentException(outputName + " " + output + " is a file: the output must be a folder");
            }
        }
        refuseInputs(outputName, output, out, inputs, conf);
    }

    /**
     * As {@link #check} for an output that is one file (which may exist, to be replaced): refuses a
     * folder, and a file that is, lies inside or contains one of {@code inputs}.
     */
    public static void checkFile(String outputName, String output, Map<String, String> inputs, Configuration conf)
            throws IOException {
        URI out = canonical(output, conf);
        FileSystem fs = new Path(out).getFileSystem(conf);
        if (fs.exists(new Path(out)) && fs.getFileStatus(new Path(out)).isDirectory()) {
            throw new IllegalArgumentException(outputName + " " + output + " is a folder: the output must be a file");
        }
        refuseInputs(outputName, output, out, inputs, conf);
    }

    private static void refuseInputs(String outputName, String output, URI out, Map<String, String> inputs,
                                     Configuration conf) throws IOException {
        for (Map.Entry<String, String> in : inputs.entrySet()) {
            if (in.getValue() == null || in.getValue().isEmpty()) {
                continue;
            }
            URI i = canonical(in.getValue(), conf);
            String relation = same(out, i) ? "is" : inside(out, i) ? "lies inside" : inside(i, out) ? "contains" : null;
            if (relation != null) {
                throw new IllegalArgumentException(outputName + " " + output + " " + relation + " the input " + in.getKey()
                        + " " + in.getValue() + ": choose an output outside every input");
            }
        }
    }

    /** The path as a qualified, normalised URI, with symbolic links resolved on the local file system. */
    static URI canonical(String path, Configuration conf) throws IOException {
        Path p = new Path(path);
        FileSystem fs = p.getFileSystem(conf);
        URI uri = fs.makeQualified(p).toUri().normalize();
        if ("file".equals(uri.getScheme())) {
            java.nio.file.Path local = java.nio.file.Path.of(uri).normalize();
            java.nio.file.Path existing = local;
            while (existing != null && !java.nio.file.Files.exists(existing)) {
                existing = existing.getParent();
            }
            if (existing != null) {
                local = existing.toRealPath().resolve(existing.relativize(local));
            }
            return local.toUri().normalize();
        }
        return uri;
    }

    static boolean same(URI a, URI b) {
        return sameFileSystem(a, b) && strip(a.getPath()).equals(strip(b.getPath()));
    }

    /** Whether {@code a} lies strictly inside {@code b}. */
    static boolean inside(URI a, URI b) {
        String pa = strip(a.getPath()), pb = strip(b.getPath());
        return sameFileSystem(a, b) && !pa.equals(pb) && pa.startsWith(pb.endsWith("/") ? pb : pb + "/");
    }

    private static boolean sameFileSystem(URI a, URI b) {
        return String.valueOf(a.getScheme()).equals(String.valueOf(b.getScheme()))
                && String.valueOf(a.getAuthority()).equals(String.valueOf(b.getAuthority()));
    }

    private static String strip(String p) {
        return p.length() > 1 && p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
    }
}
