package org.sparkcnn.io;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.util.MinimalPrettyPrinter;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import org.sparkcnn.layer.Param;
import org.sparkcnn.layer.ValueBudget;
import org.sparkcnn.model.Description;
import org.sparkcnn.model.ModelZoo;
import org.sparkcnn.model.NetworkBuilder;
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
    /** 2: the network's description, class names and normalisation; version 1 files (zoo name only) still load. */
    public static final int FORMAT = 2;
    static final byte[] MAGIC = "SPARKCNN".getBytes(StandardCharsets.US_ASCII);
    static final int CHUNK = 1 << 16;
    /** The name suffix of the parameter server's velocity tensors (role {@code server}). */
    static final String SERVER_SLOT = "server_velocity";

    /**
     * What the file says about the network besides its tensors, each null when unknown: the
     * description it was built from (so the file alone rebuilds it), the names of its outputs, and
     * the per-channel normalisation its inputs need.
     */
    public record About(String description, List<String> classNames, float[] mean, float[] std) {
        public static final About NONE = new About(null, null, null, null);
    }

    /** One tensor of the file: its header entry and (once read) its data, from {@code offset} of the array. */
    record Entry(String name, String role, int[] shape, float[] data, int offset) {
        Entry(String name, String role, int[] shape, float[] data) {
            this(name, role, shape, data, 0);
        }
    }

    private final String source;
    private final String model;
    private final int[] inputShape;
    private final int classes;
    private final List<Entry> tensors;
    private final String optimizerName;
    private final long optimizerSteps;
    private final Map<String, String> meta;
    private final About about;

    ModelFile(String source, String model, int[] inputShape, int classes, List<Entry> tensors,
            String optimizerName, long optimizerSteps, Map<String, String> meta, About about) {
        this.about = about;
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
        write(out, net, optimizerOrNull, meta, null, null, null);
    }

    /**
     * As {@link #write(OutputStream, Network, Optimizer, Map)}, with the network's description (when
     * it was built from one), its outputs' class names and its inputs' normalisation (each may be null).
     */
    public static void write(OutputStream out, Network net, Optimizer optimizerOrNull, Map<String, String> meta,
                             List<String> classNames, float[] mean, float[] std) throws IOException {
        write(out, net, optimizerOrNull, null, meta, classNames, mean, std);
    }

    /**
     * As {@link #write(OutputStream, Network, Optimizer, Map, List, float[], float[])}, with the
     * parameter server's velocity (serverMomentum: one value per parameter, in parameter order;
     * null when the run has none), which a checkpoint needs to resume bit for bit.
     */
    public static void write(OutputStream out, Network net, Optimizer optimizerOrNull, float[] serverVelocityOrNull,
                             Map<String, String> meta, List<String> classNames, float[] mean, float[] std)
            throws IOException {
        List<Entry> entries = new ArrayList<>();
        net.params().forEach((name, p) -> entries.add(new Entry(name, "param", p.value.shape(), p.value.data,
                p.value.offset)));
        net.buffers().forEach((name, b) -> entries.add(new Entry(name, "buffer", b.value.shape(), b.value.data,
                b.value.offset)));
        String kind = null;
        if (optimizerOrNull != null) {
            kind = kind(optimizerOrNull);
            List<String> slots = slots(kind);
            float[] state = optimizerOrNull.stateArray();
            int n = net.numParameters(), per = state == null ? 0 : optimizerOrNull.slotsPerParameter();
            if (state != null && state.length != per * n) {
                throw new IllegalArgumentException(kind + " state of " + state.length + " values does not belong to"
                        + " model '" + net.name() + "' (" + n + " parameters)");
            }
            // per parameter its slots side by side, each read where it lies in the slot-major state
            net.params().forEach((name, p) -> {
                for (int s = 0; s < per; s++) {
                    entries.add(new Entry(name + "." + slots.get(s), "optimizer", p.value.shape(), state,
                            s * n + p.value.offset));
                }
            });
        }
        if (serverVelocityOrNull != null) {
            if (serverVelocityOrNull.length != net.numParameters()) {
                throw new IllegalArgumentException("a server velocity of " + serverVelocityOrNull.length
                        + " values does not belong to model '" + net.name() + "' (" + net.numParameters() + " parameters)");
            }
            net.params().forEach((name, p) -> entries.add(new Entry(name + "." + SERVER_SLOT, "server", p.value.shape(),
                    serverVelocityOrNull, p.value.offset)));
        }
        About about = new About(net.description(), classNames, mean, std);
        refuseNonFinite(net, entries, mean, std);
        byte[] header = header(net, kind, optimizerOrNull == null ? 0 : optimizerOrNull.steps(), entries,
                meta == null ? Map.of() : meta, about).getBytes(StandardCharsets.UTF_8);
        // never write what the reader refuses (its caps guard it against corrupt files)
        if (header.length > ModelFileReader.MAX_HEADER || entries.size() > ModelFileReader.MAX_TENSORS
                || (about.description() != null && about.description().length() > ModelFileReader.MAX_DESCRIPTION)) {
            throw new IllegalArgumentException("model '" + net.name() + "' does not fit a model file: " + entries.size()
                    + " tensors (at most " + ModelFileReader.MAX_TENSORS + "), a header of " + header.length
                    + " bytes (at most " + ModelFileReader.MAX_HEADER + "), a description of at most "
                    + ModelFileReader.MAX_DESCRIPTION + " characters");
        }

        CRC32 crc = new CRC32();
        OutputStream o = new BufferedOutputStream(out, CHUNK);
        ByteBuffer b = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).putInt(FORMAT).putInt(header.length);
        emit(o, b, crc);
        o.write(header);
        crc.update(header);
        for (Entry e : entries) {
            for (int i = 0, size = Shapes.size(e.shape); i < size; i += CHUNK / 4) {
                int n = Math.min(CHUNK / 4, size - i);
                b.asFloatBuffer().put(e.data, e.offset + i, n);
                b.position(4 * n);
                emit(o, b, crc);
            }
        }
        b.putInt((int) crc.getValue());
        emit(o, b, null);
        o.flush();
    }

    /**
     * A model or checkpoint never holds a NaN or an infinity: one would be trusted by a resumed run
     * or a scorer and spoil everything after it. Checked before the first byte is written, so a
     * refused write leaves nothing behind (the stores remove their unfinished folder).
     */
    private static void refuseNonFinite(Network net, List<Entry> entries, float[] mean, float[] std) {
        for (Entry e : entries) {
            for (int i = 0, size = Shapes.size(e.shape); i < size; i++) {
                float v = e.data[e.offset + i];
                if (!Float.isFinite(v)) {
                    throw new ArithmeticException("model '" + net.name() + "': " + e.role + " " + e.name + " value " + i
                            + " of " + size + " is " + v + ": a model file never holds a non-finite value, nothing was written");
                }
            }
        }
        for (float[] v : new float[][] {mean, std}) {
            for (int i = 0; v != null && i < v.length; i++) {
                if (!Float.isFinite(v[i])) {
                    throw new ArithmeticException("model '" + net.name() + "': " + (v == mean ? "mean" : "std") + "[" + i
                            + "] is " + v[i] + ": a model file never holds a non-finite value, nothing was written");
                }
            }
        }
    }

    /** Writes the bytes put into {@code b} so far (adding them to the CRC) and clears it. */
    private static void emit(OutputStream o, ByteBuffer b, CRC32 crc) throws IOException {
        if (crc != null) {
            crc.update(b.array(), 0, b.position());
        }
        o.write(b.array(), 0, b.position());
        b.clear();
    }

    /**
     * The header's JSON, keys in a fixed order, each section and each tensor on a line of its own
     * ({@link HeaderLines}), so that {@code head -c} shows a readable header and a JSON error names a line.
     */
    private static String header(Network net, String kind, long steps, List<Entry> entries, Map<String, String> meta,
                                 About about) {
        if (about.classNames() != null && about.classNames().size() != net.classes()) {
            throw new IllegalArgumentException(about.classNames().size() + " class names for model '" + net.name()
                    + "' with " + net.classes() + " outputs");
        }
        StringWriter text = new StringWriter();
        HeaderLines lines = new HeaderLines();
        try (JsonGenerator g = JsonText.MAPPER.createGenerator(text).setPrettyPrinter(lines)) {
            g.writeStartObject();
            g.writeNumberField("format", FORMAT);
            g.writeStringField("model", net.name());
            g.writeFieldName("inputShape");
            g.writeArray(net.inputShape(), 0, net.inputShape().length);
            g.writeNumberField("classes", net.classes());
            if (about.classNames() != null) {
                lines.breakLine();
                g.writeArrayFieldStart("classNames");
                for (String c : about.classNames()) {
                    g.writeString(c);
                }
                g.writeEndArray();
            }
            if (about.mean() != null && about.std() != null) {
                lines.breakLine();
                g.writeObjectFieldStart("normalization");
                numbers(g, "mean", about.mean());
                numbers(g, "std", about.std());
                g.writeEndObject();
            }
            if (about.description() != null) {
                lines.breakLine();
                g.writeStringField("description", about.description());
            }
            g.writeArrayFieldStart("tensors");
            for (Entry e : entries) {
                g.writeStartObject();
                g.writeStringField("name", e.name);
                g.writeStringField("role", e.role);
                g.writeFieldName("shape");
                g.writeArray(e.shape, 0, e.shape.length);
                g.writeEndObject();
            }
            g.writeEndArray();
            if (kind != null) {
                lines.breakLine();
                g.writeObjectFieldStart("optimizer");
                g.writeStringField("name", kind);
                g.writeNumberField("steps", steps);
                g.writeEndObject();
            }
            lines.breakLine();
            g.writeObjectFieldStart("meta");
            for (Map.Entry<String, String> m : meta.entrySet()) {
                if (m.getKey() == null || m.getValue() == null) {
                    throw new IllegalArgumentException("model file metadata: null key or value for key " + m.getKey());
                }
                g.writeStringField(m.getKey(), m.getValue());
            }
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return text.append('\n').toString();
    }

    /** Compact JSON with a line break before each entry of "tensors" and before the fields {@link #breakLine} marks. */
    private static final class HeaderLines extends MinimalPrettyPrinter {
        private boolean lineBreak;

        /** The next field starts a line. */
        HeaderLines breakLine() {
            lineBreak = true;
            return this;
        }

        @Override
        public void writeObjectEntrySeparator(JsonGenerator g) throws IOException {
            g.writeRaw(lineBreak ? ",\n" : ",");
            lineBreak = false;
        }

        @Override
        public void beforeArrayValues(JsonGenerator g) throws IOException {
            if (inTensors(g)) {
                g.writeRaw('\n');
            }
        }

        @Override
        public void writeArrayValueSeparator(JsonGenerator g) throws IOException {
            g.writeRaw(inTensors(g) ? ",\n" : ",");
        }

        private static boolean inTensors(JsonGenerator g) {
            JsonStreamContext parent = g.getOutputContext().getParent();
            return parent.getParent() != null && parent.getParent().inRoot() && "tensors".equals(parent.getCurrentName());
        }
    }

    private static void numbers(JsonGenerator g, String field, float[] v) throws IOException {
        g.writeArrayFieldStart(field);
        for (float x : v) {
            g.writeNumber(x);
        }
        g.writeEndArray();
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
        return new ModelFileReader(in, source, -1).read();
    }

    /**
     * As {@link #read(InputStream, String)} for a source of {@code length} bytes (a file's size;
     * -1 if unknown): right after the header, the size its tensor shapes imply must be exactly
     * {@code length}, so no tensor is allocated for data the file does not have.
     */
    public static ModelFile read(InputStream in, String source, long length) throws IOException {
        if (length < -1) {
            throw new IllegalArgumentException("length must be -1 (unknown) or a size, got " + length);
        }
        return new ModelFileReader(in, source, length).read();
    }

    /** Reads the model file at {@code path}, checked against its size; errors start with the path. */
    public static ModelFile read(Path path) throws IOException {
        try (InputStream in = Files.newInputStream(path)) {
            return read(in, path.toString(), Files.size(path));
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

    /** The description, class names and normalisation the file carries (each null when it has none). */
    public About about() {
        return about;
    }

    /**
     * A new network holding the file's parameters and buffers: built from the description the
     * file carries, or, for a file without one (format 1), the reference model it names.
     */
    public Network network() throws ModelFileException {
        Network net;
        if (about.description() != null) {
            long held = 0;
            for (Entry e : tensors) {
                held += e.role.equals("param") || e.role.equals("buffer") ? Shapes.size(e.shape) : 0;
            }
            try {
                // built under the values the file holds: a description declaring more is refused before it allocates
                net = ValueBudget.within(held, () -> NetworkBuilder.build(Description.parse(about.description(),
                        source + " (its network description)"), model, inputShape, classes));
            } catch (IllegalArgumentException e) {
                throw new ModelFileException(source, "its network description does not build: " + e.getMessage());
            }
        } else if (ModelZoo.NAMES.contains(model) && Arrays.equals(inputShape, ModelZoo.MNIST) && classes == 10) {
            net = ModelZoo.build(model, 0);
        } else {
            throw new ModelFileException(source, "holds no network description, and '" + model + "' for "
                    + Shapes.str(inputShape) + " and " + classes + " classes is not a reference model");
        }
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

    /**
     * The parameter server's velocity the file carries (role {@code server}, written with
     * serverMomentum), one value per parameter of {@code net} in parameter order; null when it has none.
     */
    public float[] serverVelocity(Network net) throws ModelFileException {
        List<Entry> have = role("server");
        if (have.isEmpty()) {
            return null;
        }
        List<String> names = new ArrayList<>(net.params().keySet());
        List<Param> params = net.paramList();
        if (have.size() != names.size()) {
            throw new ModelFileException(source, "holds " + have.size() + " server velocity tensors, model '" + net.name()
                    + "' has " + names.size() + " parameters");
        }
        float[] v = new float[net.numParameters()];
        for (int k = 0; k < have.size(); k++) {
            Entry e = have.get(k);
            String want = names.get(k) + "." + SERVER_SLOT;
            if (!e.name.equals(want)) {
                throw new ModelFileException(source, "server velocity tensor " + k + " is '" + e.name + "', model '"
                        + net.name() + "' expects '" + want + "' there");
            }
            Tensor t = params.get(k).value;
            checkShape("server velocity tensor", e, t, net);
            System.arraycopy(e.data, 0, v, t.offset, e.data.length);
        }
        return v;
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
            copies.add(() -> System.arraycopy(e.data, 0, t.data, t.offset, e.data.length));
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
