package org.sparkcnn.io;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32;
import org.sparkcnn.layer.Param;
import org.sparkcnn.model.ModelZoo;
import org.sparkcnn.model.Network;
import org.sparkcnn.optim.Adam;
import org.sparkcnn.optim.Optimizer;
import org.sparkcnn.optim.Sgd;
import org.sparkcnn.tensor.Shapes;
import org.sparkcnn.tensor.Tensor;

/**
 * One binary file with a zoo network's parameters and buffers, optionally its optimiser state,
 * and string metadata: {@code SPARKCNN}, format version, header length, a UTF-8 JSON header, the
 * float32 data of every tensor in header order, a CRC32 of all preceding bytes. Integers and
 * floats are little-endian (numpy's native order). docs/model-files.md has the details.
 * Streams only, so the Spark side can put it on any Hadoop file system.
 */
public final class ModelFile {
    public static final int FORMAT = 1;
    private static final byte[] MAGIC = "SPARKCNN".getBytes(StandardCharsets.US_ASCII);
    /** Zoo headers take a few KiB: a length beyond this is corruption, and must not be allocated. */
    static final int MAX_HEADER = 16 << 20;
    /** Java's largest array; a shape above it cannot be a tensor. */
    private static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;
    private static final int CHUNK = 1 << 16;
    private static final long MAX_STEPS = 1L << 53; // the largest integer a JSON number holds exactly

    private record Entry(String name, String role, int[] shape, float[] data) {
    }

    private final String source;
    private final String model;
    private final int[] inputShape;
    private final int classes;
    private final List<Entry> tensors;
    private final String optimizerName;
    private final long optimizerSteps;
    private final Map<String, String> meta;

    private ModelFile(String source, String model, int[] inputShape, int classes, List<Entry> tensors,
            String optimizerName, long optimizerSteps, Map<String, String> meta) {
        this.source = source;
        this.model = model;
        this.inputShape = inputShape;
        this.classes = classes;
        this.tensors = tensors;
        this.optimizerName = optimizerName;
        this.optimizerSteps = optimizerSteps;
        this.meta = Collections.unmodifiableMap(meta);
    }

    // ---------------------------------------------------------------- writing

    /** Writes {@code net} (and the optimiser's state unless null) to {@code out}, flushed, not closed. */
    public static void write(OutputStream out, Network net, Optimizer optimizerOrNull, Map<String, String> meta)
            throws IOException {
        List<Entry> entries = new ArrayList<>();
        net.params().forEach((name, p) -> entries.add(new Entry(name, "param", p.value.shape(), p.value.data)));
        net.buffers().forEach((name, b) -> entries.add(new Entry(name, "buffer", b.value.shape(), b.value.data)));
        String kind = null;
        if (optimizerOrNull != null) {
            kind = kind(optimizerOrNull);
            List<String> slots = slots(kind);
            List<String> names = new ArrayList<>(net.params().keySet());
            List<Param> params = net.paramList();
            List<float[]> state = optimizerOrNull.state();
            for (int i = 0; i < state.size(); i++) {
                int k = i / slots.size();
                if (k >= params.size() || state.get(i).length != params.get(k).value.size()) {
                    throw new IllegalArgumentException(kind + " state array " + i + " does not belong to model '"
                            + net.name() + "'");
                }
                entries.add(new Entry(names.get(k) + "." + slots.get(i % slots.size()), "optimizer",
                        params.get(k).value.shape(), state.get(i)));
            }
        }
        byte[] header = header(net, kind, optimizerOrNull == null ? 0 : optimizerOrNull.steps(), entries,
                meta == null ? Map.of() : meta).getBytes(StandardCharsets.UTF_8);

        CRC32 crc = new CRC32();
        OutputStream o = new BufferedOutputStream(out, CHUNK);
        ByteBuffer b = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).putInt(FORMAT).putInt(header.length);
        emit(o, b, crc);
        o.write(header);
        crc.update(header);
        for (Entry e : entries) {
            for (int i = 0; i < e.data.length; i += CHUNK / 4) {
                int n = Math.min(CHUNK / 4, e.data.length - i);
                b.asFloatBuffer().put(e.data, i, n);
                b.position(4 * n);
                emit(o, b, crc);
            }
        }
        b.putInt((int) crc.getValue());
        emit(o, b, null);
        o.flush();
    }

    /** Writes the bytes put into {@code b} so far (adding them to the CRC) and clears it. */
    private static void emit(OutputStream o, ByteBuffer b, CRC32 crc) throws IOException {
        if (crc != null) {
            crc.update(b.array(), 0, b.position());
        }
        o.write(b.array(), 0, b.position());
        b.clear();
    }

    private static String header(Network net, String kind, long steps, List<Entry> entries, Map<String, String> meta) {
        StringBuilder h = new StringBuilder("{\"format\":").append(FORMAT)
                .append(",\"model\":").append(Json.quote(net.name()))
                .append(",\"inputShape\":").append(Arrays.toString(net.inputShape()).replace(" ", ""))
                .append(",\"classes\":").append(net.classes())
                .append(",\"tensors\":[");
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            // one tensor per line: `head -c` shows a readable header and JSON errors name a line
            h.append(i == 0 ? "\n" : ",\n").append("{\"name\":").append(Json.quote(e.name))
                    .append(",\"role\":\"").append(e.role).append("\",\"shape\":")
                    .append(Arrays.toString(e.shape).replace(" ", "")).append('}');
        }
        h.append("]");
        if (kind != null) {
            h.append(",\n\"optimizer\":{\"name\":\"").append(kind).append("\",\"steps\":").append(steps).append('}');
        }
        h.append(",\n\"meta\":{");
        String sep = "";
        for (Map.Entry<String, String> m : meta.entrySet()) {
            if (m.getKey() == null || m.getValue() == null) {
                throw new IllegalArgumentException("model file metadata: null key or value for key " + m.getKey());
            }
            h.append(sep).append(Json.quote(m.getKey())).append(':').append(Json.quote(m.getValue()));
            sep = ",";
        }
        return h.append("}}\n").toString();
    }

    /** The name a file records for an optimiser: its state layout, not its hyper-parameters (AdamW is "adam"). */
    private static String kind(Optimizer opt) {
        if (opt instanceof Sgd) {
            return "sgd";
        }
        if (opt instanceof Adam) {
            return "adam";
        }
        throw new IllegalArgumentException("cannot save the state of optimiser " + opt.getClass().getName());
    }

    /** Names of each parameter's state arrays, as PyTorch's state_dict calls them. */
    private static List<String> slots(String kind) {
        return kind.equals("sgd") ? List.of("momentum_buffer") : List.of("exp_avg", "exp_avg_sq");
    }

    // ---------------------------------------------------------------- reading

    /**
     * Reads and checks a whole file: structure, header, sizes, CRC and that nothing follows it.
     * {@code source} (e.g. the path) starts every error message.
     */
    public static ModelFile read(InputStream in, String source) throws IOException {
        return new Reader(in, source).read();
    }

    /** Reads from a stream counting bytes and their CRC, so errors can say where the file went wrong. */
    private static final class Reader {
        private final InputStream in;
        private final String source;
        private final CRC32 crc = new CRC32();
        private final byte[] buf = new byte[CHUNK];
        private long pos;
        private long expectedSize = -1; // known once the header is read

        Reader(InputStream in, String source) {
            this.in = new BufferedInputStream(in, CHUNK);
            this.source = source;
        }

        ModelFileException fail(String problem) {
            return new ModelFileException(source, problem);
        }

        /** Exactly {@code n} bytes into buf (n <= CHUNK), else a truncation error naming {@code what}. */
        void fill(int n, String what, boolean checked) throws IOException {
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

        int int32(String what, boolean checked) throws IOException {
            fill(4, what, checked);
            return ByteBuffer.wrap(buf, 0, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        }

        ModelFile read() throws IOException {
            fill(MAGIC.length, "the magic bytes", true);
            if (!Arrays.equals(buf, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
                throw fail("not a sparkcnn model file: it starts with "
                        + Json.quote(new String(buf, 0, MAGIC.length, StandardCharsets.ISO_8859_1))
                        + ", expected \"SPARKCNN\"");
            }
            int version = int32("the format version", true);
            if (version != FORMAT) {
                throw fail("format version " + version + " is not supported (this build reads version " + FORMAT + ")");
            }
            int length = int32("the header length", true);
            if (length < 2 || length > MAX_HEADER) {
                throw fail("header length " + length + " is outside [2, " + MAX_HEADER + "]: corrupt file");
            }
            byte[] text = new byte[length];
            for (int o = 0; o < length; o += CHUNK) {
                int n = Math.min(CHUNK, length - o);
                fill(n, "the header (bytes " + (pos - o) + " to " + (pos - o + length) + ")", true);
                System.arraycopy(buf, 0, text, o, n);
            }
            Header h = new Header(source, utf8(text));
            expectedSize = pos + h.dataBytes + 4;
            List<Entry> tensors = new ArrayList<>();
            for (Entry e : h.entries) {
                tensors.add(new Entry(e.name, e.role, e.shape, floats(e)));
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
                    h.meta);
        }

        /** A tensor's data, in chunks into an array that grows as data arrives: a lying shape costs no memory. */
        float[] floats(Entry e) throws IOException {
            int n = Shapes.size(e.shape);
            float[] data = new float[Math.min(n, CHUNK)];
            for (int done = 0; done < n; ) {
                int k = Math.min(CHUNK / 4, n - done);
                fill(4 * k, "the data of tensor '" + e.name + "' " + Shapes.str(e.shape), true);
                if (done + k > data.length) {
                    data = Arrays.copyOf(data, (int) Math.min(n, 2L * data.length));
                }
                ByteBuffer.wrap(buf, 0, 4 * k).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data, done, k);
                done += k;
            }
            return data;
        }

        String utf8(byte[] text) throws ModelFileException {
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(text)).toString();
            } catch (CharacterCodingException e) {
                throw fail("header is not valid UTF-8: corrupt file");
            }
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

        Header(String source, String text) throws ModelFileException {
            this.source = source;
            Object parsed;
            try {
                parsed = Json.parse(text, "header");
            } catch (IllegalArgumentException e) {
                throw new ModelFileException(source, e.getMessage());
            }
            Map<String, Object> m = object(parsed, "the header");
            keys(m, "the header", Set.of("format", "model", "inputShape", "classes", "tensors", "meta"),
                    Set.of("optimizer"));
            integer(m.get("format"), "\"format\"", FORMAT, FORMAT);
            model = string(m.get("model"), "\"model\"");
            if (!ModelZoo.NAMES.contains(model)) {
                throw fail("unknown model '" + model + "': the model zoo has " + ModelZoo.NAMES);
            }
            inputShape = shape(m.get("inputShape"), "\"inputShape\"");
            classes = (int) integer(m.get("classes"), "\"classes\"", 1, Integer.MAX_VALUE);
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
                    throw fail("header: \"meta\" value of " + Json.quote(e.getKey()) + " is not a string");
                }
                meta.put(e.getKey(), (String) e.getValue());
            }
            if (!(m.get("tensors") instanceof List)) {
                throw fail("header: \"tensors\" must be a list");
            }
            List<?> list = (List<?>) m.get("tensors");
            Set<String> seen = new HashSet<>();
            long bytes = 0;
            for (int i = 0; i < list.size(); i++) {
                String where = "\"tensors\"[" + i + "]";
                Map<String, Object> t = object(list.get(i), where);
                keys(t, where, Set.of("name", "role", "shape"), Set.of());
                String name = string(t.get("name"), where + ".\"name\"");
                String role = string(t.get("role"), where + ".\"role\"");
                if (!role.equals("param") && !role.equals("buffer") && !role.equals("optimizer")) {
                    throw fail("header: " + where + " ('" + name + "') has role '" + role
                            + "': expected param, buffer or optimizer");
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
                    throw fail("header: " + what + " has no " + Json.quote(k));
                }
            }
            for (String k : m.keySet()) {
                if (!required.contains(k) && !optional.contains(k)) {
                    throw fail("header: " + what + " has an unknown key " + Json.quote(k));
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
            if (!(v instanceof Double) || (Double) v != Math.rint((Double) v) || (Double) v < min || (Double) v > max) {
                throw fail("header: " + what + " must be an integer in [" + min + ", " + max + "], got " + show(v));
            }
            return ((Double) v).longValue();
        }

        /** A JSON value as it was written: 10 rather than Java's 10.0. */
        static String show(Object v) {
            if (v instanceof Double && (Double) v == Math.rint((Double) v) && Math.abs((Double) v) < 1e15) {
                return Long.toString(((Double) v).longValue());
            }
            return v instanceof String ? Json.quote((String) v) : String.valueOf(v);
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

    // ---------------------------------------------------------------- applying

    public String model() {
        return model;
    }

    public int[] inputShape() {
        return inputShape.clone();
    }

    public int classes() {
        return classes;
    }

    public Map<String, String> meta() {
        return meta;
    }

    /** Where the file was read from, as given to {@link #read}. */
    public String source() {
        return source;
    }

    public boolean hasOptimizerState() {
        return optimizerName != null;
    }

    /** "sgd" or "adam"; null without optimiser state. */
    public String optimizerName() {
        return optimizerName;
    }

    /** Steps the saved optimiser had taken; 0 without optimiser state. */
    public long optimizerSteps() {
        return optimizerSteps;
    }

    /** A new zoo network holding the file's parameters and buffers. */
    public Network network() throws ModelFileException {
        Network net = ModelZoo.build(model, 0);
        applyTo(net);
        return net;
    }

    /** Copies the parameters and buffers into {@code net}, after checking that every name and shape matches. */
    public void applyTo(Network net) throws ModelFileException {
        List<Runnable> copies = check(net);
        copies.forEach(Runnable::run);
    }

    /**
     * As {@link #applyTo(Network)}, and restores {@code opt} (which must be of the file's optimiser
     * kind) to the saved state and step count. Nothing is copied unless everything fits.
     */
    public void applyTo(Network net, Optimizer opt) throws ModelFileException {
        if (optimizerName == null) {
            throw new ModelFileException(source, "holds no optimizer state to restore");
        }
        String kind = kind(opt);
        if (!kind.equals(optimizerName)) {
            throw new ModelFileException(source, "holds " + optimizerName + " state, which cannot be restored into"
                    + " optimizer " + kind + " (" + opt.getClass().getSimpleName() + ")");
        }
        List<Runnable> copies = check(net);
        List<String> slots = slots(kind);
        List<String> names = new ArrayList<>(net.params().keySet());
        List<Param> params = net.paramList();
        List<float[]> state = new ArrayList<>();
        for (Entry e : role("optimizer")) {
            int i = state.size(), k = i / slots.size();
            if (k >= names.size()) {
                throw new ModelFileException(source, "optimizer tensor " + i + " ('" + e.name + "') is one more than"
                        + " model '" + net.name() + "' has state for");
            }
            String want = names.get(k) + "." + slots.get(i % slots.size());
            if (!e.name.equals(want)) {
                throw new ModelFileException(source, "optimizer tensor " + i + " is '" + e.name + "', model '"
                        + net.name() + "' expects '" + want + "' there");
            }
            checkShape("optimizer tensor", e, params.get(k).value, net);
            state.add(e.data);
        }
        try {
            opt.restore(params, state, optimizerSteps);
        } catch (IllegalArgumentException ex) {
            throw new ModelFileException(source, "optimizer state does not fit this optimizer: " + ex.getMessage());
        }
        copies.forEach(Runnable::run);
    }

    /** Checks model, input, every parameter and buffer against {@code net}; returns the copies to make. */
    private List<Runnable> check(Network net) throws ModelFileException {
        if (!model.equals(net.name())) {
            throw new ModelFileException(source, "holds model '" + model + "', not '" + net.name() + "'");
        }
        if (!Arrays.equals(inputShape, net.inputShape()) || classes != net.classes()) {
            throw new ModelFileException(source, "holds '" + model + "' for input " + Shapes.str(inputShape) + " and "
                    + classes + " classes; the network takes " + Shapes.str(net.inputShape()) + " and "
                    + net.classes());
        }
        Map<String, Tensor> params = new LinkedHashMap<>(), buffers = new LinkedHashMap<>();
        net.params().forEach((n, p) -> params.put(n, p.value));
        net.buffers().forEach((n, b) -> buffers.put(n, b.value));
        List<Runnable> copies = new ArrayList<>();
        match("param", params, net, copies);
        match("buffer", buffers, net, copies);
        return copies;
    }

    private void match(String role, Map<String, Tensor> want, Network net, List<Runnable> copies)
            throws ModelFileException {
        List<Entry> have = role(role);
        List<String> missing = new ArrayList<>(want.keySet()), extra = new ArrayList<>();
        for (Entry e : have) {
            if (!missing.remove(e.name)) {
                extra.add(e.name);
            }
        }
        if (!missing.isEmpty() || !extra.isEmpty()) {
            throw new ModelFileException(source, role + " names do not match model '" + net.name() + "': missing "
                    + few(missing) + ", not in the model " + few(extra));
        }
        for (Entry e : have) {
            Tensor t = want.get(e.name);
            checkShape(role, e, t, net);
            copies.add(() -> System.arraycopy(e.data, 0, t.data, 0, e.data.length));
        }
    }

    private void checkShape(String what, Entry e, Tensor t, Network net) throws ModelFileException {
        if (!Arrays.equals(e.shape, t.shape())) {
            throw new ModelFileException(source, what + " '" + e.name + "' has shape " + Shapes.str(e.shape)
                    + " in the file but " + Shapes.str(t.shape()) + " in model '" + net.name() + "'");
        }
    }

    private List<Entry> role(String role) {
        List<Entry> r = new ArrayList<>();
        for (Entry e : tensors) {
            if (e.role.equals(role)) {
                r.add(e);
            }
        }
        return r;
    }

    private static String few(List<String> names) {
        if (names.isEmpty()) {
            return "none";
        }
        String shown = String.join(", ", names.subList(0, Math.min(5, names.size())));
        return names.size() > 5 ? shown + " and " + (names.size() - 5) + " more" : shown;
    }
}
