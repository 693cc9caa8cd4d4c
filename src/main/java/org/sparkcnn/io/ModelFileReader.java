package org.sparkcnn.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32;
import org.sparkcnn.io.ModelFile.Entry;
import org.sparkcnn.model.ModelZoo;
import org.sparkcnn.tensor.Shapes;

/**
 * Reads a {@link ModelFile} from a stream, trusting no size in it: every error names the
 * source and what is wrong where (docs/model-files.md, "Checks").
 */
final class ModelFileReader {
    /** Zoo headers take a few KiB: a length beyond this is corruption, and must not be allocated. */
    static final int MAX_HEADER = 16 << 20;
    /** Library descriptions take a few KiB; a description is text a person wrote. */
    static final int MAX_DESCRIPTION = 1 << 20;
    /** resnet20 with Adam state has about 250 tensors; more than this is not a network's file. */
    static final int MAX_TENSORS = 1 << 14;
    /** The header's JSON nests 3 deep; a deeper one is corrupt (and must not exhaust the parser's stack). */
    static final int MAX_NESTING = 16;
    /**
     * JSON values (numbers, strings, lists, objects...) in a header: tensors × (3 keys + up to 8 dimensions), class names,
     * metadata. With the object count, the nesting and the longest string checked before parsing,
     * this bounds what the parsed tree can cost (tens of MiB at most) whatever the header's length.
     */
    static final int MAX_VALUES = 1 << 18;
    /** The header's tokens, strings cut off at a description's length as they are read. */
    private static final JsonFactory SCAN = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(MAX_DESCRIPTION).build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
    /** Magic, version and header length before the header, the CRC32 after the data. */
    static final int PREAMBLE = 16, TRAILER = 4;
    /** Java's largest array; a shape above it cannot be a tensor. */
    private static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;
    private static final long MAX_STEPS = 1L << 53; // the largest integer a JSON number holds exactly
    private static final int CHUNK = ModelFile.CHUNK;
    private static final int FORMAT = ModelFile.FORMAT;
    private static final byte[] MAGIC = ModelFile.MAGIC;

    private final InputStream in;
    private final String source;
    private final long length; // of the whole file, or -1 when the source's length is unknown
    private final CRC32 crc = new CRC32();
    private final byte[] buf = new byte[CHUNK];
    private long pos;
    private long expectedSize = -1; // known once the header is read

    /** {@code length}: the source's size in bytes if known (a file), else -1 (a stream). */
    ModelFileReader(InputStream in, String source, long length) {
        this.in = new BufferedInputStream(in, CHUNK);
        this.source = source;
        this.length = length;
    }

    private ModelFileException fail(String problem) {
        return new ModelFileException(source, problem);
    }

    /** Exactly {@code n} bytes into buf (n <= CHUNK), else a truncation error naming {@code what}. */
    private void fill(int n, String what, boolean checked) throws IOException {
        int got = in.readNBytes(buf, 0, n);
        if (got < n) {
            throw fail("truncated: the file ends at byte " + (pos + got) + ", inside " + what
                    + (expectedSize >= 0 ? "; its header's tensor shapes make it " + expectedSize + " bytes" : ""));
        }
        if (checked) {
            crc.update(buf, 0, n);
        }
        pos += n;
    }

    private int int32(String what, boolean checked) throws IOException {
        fill(4, what, checked);
        return ByteBuffer.wrap(buf, 0, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }

    ModelFile read() throws IOException {
        fill(MAGIC.length, "the magic bytes", true);
        if (!Arrays.equals(buf, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw fail("not a sparkcnn model file: it starts with "
                    + JsonText.quote(new String(buf, 0, MAGIC.length, StandardCharsets.ISO_8859_1))
                    + ", expected \"SPARKCNN\"");
        }
        int version = int32("the format version", true);
        if (version < 1 || version > FORMAT) {
            throw fail("format version " + version + " is not supported (this build reads versions 1 to " + FORMAT + ")");
        }
        int headerLength = int32("the header length", true);
        if (headerLength < 2 || headerLength > MAX_HEADER) {
            throw fail("header length " + headerLength + " is outside [2, " + MAX_HEADER + "]: corrupt file");
        }
        if (length >= 0 && PREAMBLE + (long) headerLength + TRAILER > length) {
            throw fail("header length " + headerLength + " runs past the end: the file is " + length
                    + " bytes, which leaves at most " + Math.max(0, length - PREAMBLE - TRAILER) + " for the header");
        }
        // its size checked against the file's, a header is allocated at once; on a stream it grows as it arrives
        byte[] text = new byte[length >= 0 ? headerLength : Math.min(headerLength, CHUNK)];
        for (int o = 0; o < headerLength; o += CHUNK) {
            int n = Math.min(CHUNK, headerLength - o);
            fill(n, "the header (bytes " + (pos - o) + " to " + (pos - o + headerLength) + ")", true);
            if (o + n > text.length) {
                text = Arrays.copyOf(text, (int) Math.min(headerLength, 2L * text.length));
            }
            System.arraycopy(buf, 0, text, o, n);
        }
        checkUtf8(text);
        Header.scan(source, text);
        Header h = new Header(source, new String(text, StandardCharsets.UTF_8), version);
        expectedSize = pos + h.dataBytes + TRAILER;
        if (length >= 0 && expectedSize != length) {
            // before any tensor is allocated: with the sizes checked, the data arrays are the file's size
            throw fail(String.format("the file is %d bytes, but its header's tensor shapes make it %d (%d before the"
                    + " data, %d of float32 data, %d of CRC32): %s", length, expectedSize, pos, h.dataBytes, TRAILER,
                    expectedSize > length ? "truncated, or shapes larger than the data"
                            : "trailing garbage, or shapes smaller than the data"));
        }
        List<Entry> tensors = new ArrayList<>();
        for (Entry e : h.entries) {
            tensors.add(new Entry(e.name(), e.role(), e.shape(), floats(e)));
        }
        long computed = crc.getValue();
        int stored = int32("the CRC32", false);
        long extra = in.transferTo(OutputStream.nullOutputStream());
        if (extra > 0) {
            // before the CRC check: data longer than the shapes say also breaks the CRC, and this says why
            throw fail(extra + " bytes follow the CRC32 that ends at byte " + pos + ": the header's tensor shapes"
                    + " account for " + expectedSize + " bytes (trailing garbage, or shapes smaller than the data)");
        }
        if ((int) computed != stored) {
            throw fail(String.format("CRC32 mismatch: the file says %08x, its first %d bytes give %08x: corrupt",
                    stored, pos - 4, computed));
        }
        return new ModelFile(source, h.model, h.inputShape, h.classes, tensors, h.optimizerName, h.optimizerSteps,
                h.meta, new ModelFile.About(h.description, h.classNames, h.mean, h.std));
    }

    /**
     * A tensor's data, in chunks. With the file's length checked against the shapes it is allocated
     * at once; on a stream it grows as data arrives, so a lying shape costs no memory.
     */
    private float[] floats(Entry e) throws IOException {
        int n = Shapes.size(e.shape());
        float[] data = new float[length >= 0 ? n : Math.min(n, CHUNK)];
        for (int done = 0; done < n; ) {
            int k = Math.min(CHUNK / 4, n - done);
            fill(4 * k, "the data of tensor '" + e.name() + "' " + Shapes.str(e.shape()), true);
            if (done + k > data.length) {
                data = Arrays.copyOf(data, (int) Math.min(n, 2L * data.length));
            }
            ByteBuffer.wrap(buf, 0, 4 * k).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data, done, k);
            done += k;
        }
        return data;
    }

    /** Checks the header is UTF-8 through a small window (no char copy of the whole header). */
    private void checkUtf8(byte[] text) throws ModelFileException {
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(text);
        CharBuffer window = CharBuffer.allocate(4096);
        CoderResult r;
        do {
            window.clear();
            r = d.decode(in, window, true);
        } while (r.isOverflow());
        if (r.isError() || d.flush(window.clear()).isError()) {
            throw fail("header is not valid UTF-8 (at byte " + (PREAMBLE + in.position()) + "): corrupt file");
        }
    }

    /** The JSON header, checked field by field; unknown keys are errors (new fields mean a new format version). */
    private static final class Header {
        final String source;
        final String model;
        final int[] inputShape;
        final int classes;
        final List<Entry> entries = new ArrayList<>();
        final long dataBytes;
        String optimizerName;
        long optimizerSteps;
        final Map<String, String> meta = new LinkedHashMap<>();
        String description;
        List<String> classNames;
        float[] mean, std;

        Header(String source, String text, int version) throws ModelFileException {
            this.source = source;
            Object parsed;
            try {
                parsed = JsonText.parse(text, "header");
            } catch (IllegalArgumentException e) { // beyond what scan sees, e.g. a number of 1000 digits
                throw new ModelFileException(source, e.getMessage());
            }
            Map<String, Object> m = object(parsed, "the header");
            // version 2 added the network's description, the class names and the normalisation
            keys(m, "the header", Set.of("format", "model", "inputShape", "classes", "tensors", "meta"),
                    version == 1 ? Set.of("optimizer") : Set.of("optimizer", "description", "classNames", "normalization"));
            integer(m.get("format"), "\"format\"", version, version);
            model = string(m.get("model"), "\"model\"");
            if (version == 1 && !ModelZoo.NAMES.contains(model)) {
                throw fail("unknown model '" + model + "': the model zoo has " + ModelZoo.NAMES);
            }
            inputShape = shape(m.get("inputShape"), "\"inputShape\"");
            classes = (int) integer(m.get("classes"), "\"classes\"", 1, Integer.MAX_VALUE);
            if (m.containsKey("description")) {
                description = string(m.get("description"), "\"description\"");
                if (description.length() > MAX_DESCRIPTION) {
                    throw fail("header: \"description\" is " + description.length() + " characters, over the "
                            + MAX_DESCRIPTION + " a network description may have: corrupt file");
                }
            }
            if (m.containsKey("classNames")) {
                classNames = strings(m.get("classNames"), "\"classNames\"", classes);
            }
            if (m.containsKey("normalization")) {
                Map<String, Object> n = object(m.get("normalization"), "\"normalization\"");
                keys(n, "\"normalization\"", Set.of("mean", "std"), Set.of());
                mean = floats(n.get("mean"), "\"normalization\".\"mean\"", inputShape[0]);
                std = floats(n.get("std"), "\"normalization\".\"std\"", inputShape[0]);
            }
            if (m.containsKey("optimizer")) {
                Map<String, Object> o = object(m.get("optimizer"), "\"optimizer\"");
                keys(o, "\"optimizer\"", Set.of("name", "steps"), Set.of());
                optimizerName = string(o.get("name"), "\"optimizer\".\"name\"");
                if (!optimizerName.equals("sgd") && !optimizerName.equals("adam")) {
                    throw fail("header: unknown optimizer '" + optimizerName + "': expected sgd or adam");
                }
                optimizerSteps = integer(o.get("steps"), "\"optimizer\".\"steps\"", 0, MAX_STEPS);
            }
            for (Map.Entry<String, Object> e : object(m.get("meta"), "\"meta\"").entrySet()) {
                if (!(e.getValue() instanceof String)) {
                    throw fail("header: \"meta\" value of " + JsonText.quote(e.getKey()) + " is not a string");
                }
                meta.put(e.getKey(), (String) e.getValue());
            }
            if (!(m.get("tensors") instanceof List)) {
                throw fail("header: \"tensors\" must be a list");
            }
            List<?> list = (List<?>) m.get("tensors");
            if (list.size() > MAX_TENSORS) {
                throw fail("header: \"tensors\" lists " + list.size() + " tensors, over the " + MAX_TENSORS
                        + " a model file may have: corrupt file");
            }
            Set<String> seen = new HashSet<>();
            long bytes = 0;
            for (int i = 0; i < list.size(); i++) {
                String where = "\"tensors\"[" + i + "]";
                Map<String, Object> t = object(list.get(i), where);
                keys(t, where, Set.of("name", "role", "shape"), Set.of());
                String name = string(t.get("name"), where + ".\"name\"");
                String role = string(t.get("role"), where + ".\"role\"");
                if (!role.equals("param") && !role.equals("buffer") && !role.equals("optimizer") && !role.equals("server")) {
                    throw fail("header: " + where + " ('" + name + "') has role '" + role
                            + "': expected param, buffer, optimizer or server");
                }
                if (role.equals("optimizer") && optimizerName == null) {
                    throw fail("header: " + where + " ('" + name + "') is optimizer state, but there is no"
                            + " \"optimizer\" section");
                }
                if (!seen.add(role + " " + name)) {
                    throw fail("header: two " + role + " tensors are named '" + name + "'");
                }
                int[] shape = shape(t.get("shape"), where + ".\"shape\"");
                bytes += 4L * Shapes.size(shape);
                entries.add(new Entry(name, role, shape, null));
            }
            dataBytes = bytes;
        }

        ModelFileException fail(String problem) {
            return new ModelFileException(source, problem);
        }

        /**
         * Before the text and its tree are built, one pass over Jackson's tokens: fails on malformed JSON, on JSON
         * nested deeper than {@link #MAX_NESTING}, with more objects than {@link #MAX_TENSORS} allow,
         * more than {@link #MAX_VALUES} values, or a string longer than a description may be ({@link #SCAN}), so a
         * corrupt header can neither exhaust the parser's stack nor make it build a tree many times
         * the header's size.
         */
        static void scan(String source, byte[] text) throws ModelFileException {
            int depth = 0, objects = 0, values = 0;
            try (JsonParser p = SCAN.createParser(text)) {
                for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                    if (t == JsonToken.END_OBJECT || t == JsonToken.END_ARRAY) {
                        if (--depth == 0 && p.nextToken() != null) {
                            throw new ModelFileException(source, "header: text after the JSON object at byte "
                                    + (PREAMBLE + p.currentTokenLocation().getByteOffset()) + ": corrupt file");
                        }
                        continue;
                    }
                    if (t == JsonToken.FIELD_NAME) {
                        continue;
                    }
                    if (t.isStructStart() && ++depth > MAX_NESTING) {
                        throw new ModelFileException(source, "header: JSON nested more than " + MAX_NESTING
                                + " deep at byte " + (PREAMBLE + p.currentTokenLocation().getByteOffset())
                                + ": corrupt file");
                    }
                    if (t == JsonToken.START_OBJECT && ++objects > MAX_TENSORS + 8) {
                        throw new ModelFileException(source, "header: more than " + (MAX_TENSORS + 8)
                                + " JSON objects, while a model file has at most " + MAX_TENSORS + " tensors: corrupt file");
                    }
                    if (++values > MAX_VALUES) {
                        throw new ModelFileException(source, "header: more than " + MAX_VALUES
                                + " JSON values: corrupt file");
                    }
                    if (t == JsonToken.VALUE_STRING) {
                        p.getTextLength(); // reads the string to its end, within SCAN's limit
                    }
                }
            } catch (StreamConstraintsException e) { // Jackson stops a long string as it grows: no copy of it is made
                throw new ModelFileException(source, "header: a string of more than " + MAX_DESCRIPTION
                        + " characters, over the " + MAX_DESCRIPTION + " a description may have: corrupt file");
            } catch (JsonProcessingException e) {
                throw new ModelFileException(source, JsonText.problem(e, "header"));
            } catch (ModelFileException e) {
                throw e;
            } catch (IOException e) {
                throw new UncheckedIOException(e); // an array does not fail to be read
            }
        }

        @SuppressWarnings("unchecked")
        Map<String, Object> object(Object v, String what) throws ModelFileException {
            if (!(v instanceof Map)) {
                throw fail("header: " + what + " must be a JSON object");
            }
            return (Map<String, Object>) v;
        }

        void keys(Map<String, Object> m, String what, Set<String> required, Set<String> optional)
                throws ModelFileException {
            for (String k : required) {
                if (!m.containsKey(k)) {
                    throw fail("header: " + what + " has no " + JsonText.quote(k));
                }
            }
            for (String k : m.keySet()) {
                if (!required.contains(k) && !optional.contains(k)) {
                    throw fail("header: " + what + " has an unknown key " + JsonText.quote(k));
                }
            }
        }

        String string(Object v, String what) throws ModelFileException {
            if (!(v instanceof String)) {
                throw fail("header: " + what + " must be a string, got " + show(v));
            }
            return (String) v;
        }

        long integer(Object v, String what, long min, long max) throws ModelFileException {
            double d = v instanceof Number ? ((Number) v).doubleValue() : Double.NaN; // 10 and 10.0 alike
            if (d != Math.rint(d) || d < min || d > max) {
                throw fail("header: " + what + " must be an integer in [" + min + ", " + max + "], got " + show(v));
            }
            return (long) d;
        }

        /** Exactly {@code n} strings. */
        List<String> strings(Object v, String what, int n) throws ModelFileException {
            if (!(v instanceof List) || ((List<?>) v).size() != n) {
                throw fail("header: " + what + " must be a list of " + n + " names, got " + show(v));
            }
            List<String> out = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                out.add(string(((List<?>) v).get(i), what + "[" + i + "]"));
            }
            return out;
        }

        /** Exactly {@code n} finite numbers. */
        float[] floats(Object v, String what, int n) throws ModelFileException {
            if (!(v instanceof List) || ((List<?>) v).size() != n) {
                throw fail("header: " + what + " must be a list of " + n + " numbers, got " + show(v));
            }
            float[] out = new float[n];
            for (int i = 0; i < n; i++) {
                Object x = ((List<?>) v).get(i);
                if (!(x instanceof Number) || !Double.isFinite(((Number) x).doubleValue())) {
                    throw fail("header: " + what + "[" + i + "] must be a finite number, got " + show(x));
                }
                out[i] = ((Number) x).floatValue();
            }
            return out;
        }

        /** A JSON value as JSON, cut to 60 characters. */
        static String show(Object v) {
            String s = JsonText.write(v);
            return s.length() > 60 ? s.substring(0, 60) + "…" : s;
        }

        /** 1 to 8 positive dimensions whose product fits a Java array. */
        int[] shape(Object v, String what) throws ModelFileException {
            if (!(v instanceof List) || ((List<?>) v).isEmpty() || ((List<?>) v).size() > 8) {
                throw fail("header: " + what + " must be a list of 1 to 8 dimensions, got " + show(v));
            }
            List<?> dims = (List<?>) v;
            int[] shape = new int[dims.size()];
            long n = 1;
            for (int i = 0; i < shape.length; i++) {
                shape[i] = (int) integer(dims.get(i), what + "[" + i + "]", 1, Integer.MAX_VALUE);
                n *= shape[i];
                if (n > MAX_ELEMENTS) {
                    throw fail("header: " + what + " has more elements than a Java array holds (" + MAX_ELEMENTS + ")");
                }
            }
            return shape;
        }
    }
}
