package org.sparkcnn.reference;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.sparkcnn.io.JsonText;
import org.sparkcnn.tensor.Tensor;

/**
 * One case folder: its case.json read and checked, tensors loaded on demand, and a record of
 * which attributes and tensors the runner used and which comparisons failed. {@link #finish}
 * turns anything left unused into a failure, so nothing in a case is silently ignored.
 */
public final class ReferenceCase {
    public static final String CASE_FILE = "case.json";

    /** One entry of "tensors": where the array is and what it must look like. */
    private record Spec(String file, int[] shape, String dtype) {
    }

    public final String name;
    public final Path dir;
    public final String op;
    public final double atol;
    public final double rtol;
    private final Map<String, Object> attrs;
    private final Map<String, Spec> specs = new TreeMap<>();
    private final Set<String> usedAttrs = new LinkedHashSet<>();
    private final Set<String> usedTensors = new LinkedHashSet<>();
    private final Map<String, Npy> loaded = new HashMap<>();
    private final List<String> problems = new ArrayList<>();
    private int compared;

    private ReferenceCase(String name, Path dir, Map<String, Object> json) {
        this.name = name;
        this.dir = dir;
        String where = dir.resolve(CASE_FILE).toString();
        for (String key : json.keySet()) {
            if (!List.of("op", "attrs", "tensors", "tolerance", "note", "description").contains(key)) {
                throw new CaseException(where + ": unknown top-level key '" + key
                        + "' (expected op, attrs, tensors, tolerance; note and description are free text)");
            }
        }
        Object o = json.get("op");
        if (!(o instanceof String)) {
            throw new CaseException(where + ": 'op' must be a string, got " + o);
        }
        this.op = (String) o;
        this.attrs = map(json.get("attrs"), where + ": 'attrs'", true);
        Map<String, Object> tol = map(json.get("tolerance"), where + ": 'tolerance'", false);
        for (String key : tol.keySet()) {
            if (!key.equals("atol") && !key.equals("rtol")) {
                throw new CaseException(where + ": unknown tolerance key '" + key + "' (expected atol, rtol)");
            }
        }
        this.atol = tolerance(tol, "atol", where);
        this.rtol = tolerance(tol, "rtol", where);
        Map<String, Object> ts = map(json.get("tensors"), where + ": 'tensors'", false);
        for (Map.Entry<String, Object> e : ts.entrySet()) {
            specs.put(e.getKey(), spec(e.getKey(), e.getValue(), where));
        }
    }

    /** Reads {@code dir/case.json}; any problem with it is a {@link CaseException} naming the file. */
    public static ReferenceCase load(Path dir, String name) {
        Path file = dir.resolve(CASE_FILE);
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new CaseException(file + ": file not found");
        } catch (IOException e) {
            throw new CaseException(file + ": cannot read: " + e.getMessage(), e);
        }
        Object json;
        try {
            json = JsonText.parse(text, file.toString());
        } catch (IllegalArgumentException e) {
            throw new CaseException("malformed JSON: " + e.getMessage(), e);
        }
        if (!(json instanceof Map)) {
            throw new CaseException(file + ": expected a JSON object at the top level");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) json;
        return new ReferenceCase(name, dir, m);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o, String what, boolean optional) {
        if (o == null && optional) {
            return Map.of();
        }
        if (!(o instanceof Map)) {
            throw new CaseException(what + " must be a JSON object, got " + (o == null ? "nothing" : o));
        }
        return (Map<String, Object>) o;
    }

    private static double tolerance(Map<String, Object> tol, String key, String where) {
        Object v = tol.get(key);
        if (!(v instanceof Number) || !(((Number) v).doubleValue() >= 0)) {
            throw new CaseException(where + ": tolerance '" + key + "' must be a number ≥ 0, got " + v);
        }
        return ((Number) v).doubleValue();
    }

    private static Spec spec(String tensor, Object o, String where) {
        String what = where + ": tensor '" + tensor + "'";
        Map<String, Object> m = map(o, what, false);
        for (String key : m.keySet()) {
            if (!key.equals("file") && !key.equals("shape") && !key.equals("dtype")) {
                throw new CaseException(what + ": unknown key '" + key + "' (expected file, shape, dtype)");
            }
        }
        if (!(m.get("file") instanceof String)) {
            throw new CaseException(what + ": 'file' must be a string");
        }
        Object dtype = m.get("dtype");
        if (!"float32".equals(dtype) && !"int64".equals(dtype)) {
            throw new CaseException(what + ": 'dtype' must be \"float32\" or \"int64\", got " + dtype);
        }
        if (!(m.get("shape") instanceof List)) {
            throw new CaseException(what + ": 'shape' must be a list of integers");
        }
        List<?> l = (List<?>) m.get("shape");
        int[] shape = new int[l.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = integer(l.get(i), what + ": 'shape'");
            if (shape[i] < 0) {
                throw new CaseException(what + ": 'shape' has a negative dimension");
            }
        }
        return new Spec((String) m.get("file"), shape, (String) dtype);
    }

    private static int integer(Object v, String what) {
        double d = v instanceof Number ? ((Number) v).doubleValue() : Double.NaN; // 3 and 3.0 alike
        if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
            throw new CaseException(what + " must be an integer, got " + v);
        }
        return (int) d;
    }

    // ---- attributes: each accessor marks the key as known ----

    public boolean hasAttr(String key) {
        return attrs.containsKey(key);
    }

    private Object attr(String key) {
        usedAttrs.add(key);
        return attrs.get(key);
    }

    private CaseException missing(String key) {
        return new CaseException("op '" + op + "' needs attribute '" + key + "'");
    }

    /** An integer attribute; {@code def} null makes it required. */
    public int intAttr(String key, Integer def) {
        if (!attrs.containsKey(key)) {
            if (def == null) {
                throw missing(key);
            }
            usedAttrs.add(key);
            return def;
        }
        return integer(attr(key), "attribute '" + key + "'");
    }

    /** A [h, w] attribute; a single integer means the same on both axes. */
    public int[] pairAttr(String key, int[] def) {
        if (!attrs.containsKey(key)) {
            if (def == null) {
                throw missing(key);
            }
            usedAttrs.add(key);
            return def.clone();
        }
        Object v = attr(key);
        if (v instanceof List && ((List<?>) v).size() == 2) {
            List<?> l = (List<?>) v;
            return new int[] {integer(l.get(0), "attribute '" + key + "'[0]"), integer(l.get(1), "attribute '" + key + "'[1]")};
        }
        if (v instanceof Number) {
            int k = integer(v, "attribute '" + key + "'");
            return new int[] {k, k};
        }
        throw new CaseException("attribute '" + key + "' must be [h, w] or an integer, got " + v);
    }

    public double numberAttr(String key, Double def) {
        return typedAttr(key, def, Number.class, "a number").doubleValue();
    }

    public boolean boolAttr(String key, Boolean def) {
        return typedAttr(key, def, Boolean.class, "true or false");
    }

    private <T> T typedAttr(String key, T def, Class<T> type, String what) {
        if (!attrs.containsKey(key)) {
            if (def == null) {
                throw missing(key);
            }
            usedAttrs.add(key);
            return def;
        }
        Object v = attr(key);
        if (!type.isInstance(v)) {
            throw new CaseException("attribute '" + key + "' must be " + what + ", got " + v);
        }
        return type.cast(v);
    }

    /** A string attribute, or null when absent or JSON null. */
    public String stringAttr(String key) {
        Object v = attr(key);
        if (v != null && !(v instanceof String)) {
            throw new CaseException("attribute '" + key + "' must be a string or null, got " + v);
        }
        return (String) v;
    }

    /** Free-text attributes that describe the case for people (e.g. note); they must be strings. */
    public void acceptText(String... keys) {
        for (String key : keys) {
            if (attrs.containsKey(key)) {
                stringAttr(key);
            }
        }
    }

    // ---- tensors ----

    public boolean has(String tensor) {
        return specs.containsKey(tensor);
    }

    /** All tensor names, sorted. */
    public Set<String> tensorNames() {
        return specs.keySet();
    }

    private Npy npy(String tensor, String dtype) {
        Spec s = specs.get(tensor);
        if (s == null) {
            throw new CaseException("op '" + op + "' needs tensor '" + tensor + "', which case.json does not list");
        }
        usedTensors.add(tensor);
        if (!s.dtype.equals(dtype)) {
            throw new CaseException("tensor '" + tensor + "' must be " + dtype + ", case.json says " + s.dtype);
        }
        Npy a = loaded.get(tensor);
        if (a != null) {
            return a;
        }
        Path file = dir.resolve(s.file).normalize();
        if (!file.startsWith(dir.normalize())) {
            throw new CaseException("tensor '" + tensor + "': file '" + s.file + "' is outside the case folder");
        }
        if (!Files.isRegularFile(file)) {
            throw new CaseException("tensor '" + tensor + "': missing file " + s.file + " (" + file + ")");
        }
        try {
            a = Npy.read(file);
        } catch (IOException e) {
            throw new CaseException("tensor '" + tensor + "': " + e.getMessage(), e);
        }
        if (!a.dtypeName().equals(s.dtype)) {
            throw new CaseException("tensor '" + tensor + "': case.json says " + s.dtype + " but " + s.file
                    + " holds " + a.descr);
        }
        if (!Arrays.equals(a.shape(), s.shape)) {
            throw new CaseException("tensor '" + tensor + "': case.json says shape " + Arrays.toString(s.shape)
                    + " but " + s.file + " has shape " + Arrays.toString(a.shape()));
        }
        loaded.put(tensor, a);
        return a;
    }

    /** A float32 input as a fresh tensor (the engine may keep it). */
    public Tensor tensor(String tensor) {
        Npy a = npy(tensor, "float32");
        return new Tensor(a.floats.clone(), a.shape());
    }

    /** An int64 tensor (labels) as int[]. */
    public int[] ints(String tensor) {
        Npy a = npy(tensor, "int64");
        try {
            return a.ints(specs.get(tensor).file);
        } catch (IOException e) {
            throw new CaseException("tensor '" + tensor + "': " + e.getMessage(), e);
        }
    }

    /** Records a failure and carries on, so one run reports every difference. */
    public void problem(String message) {
        problems.add(message);
    }

    /** Marks a tensor as accounted for without comparing it (after reporting a problem with it). */
    public void markUsed(String tensor) {
        usedTensors.add(tensor);
    }

    /** Compares a tensor's values (a parameter's are a window of its network's flat vector). */
    public void check(String tensor, Tensor got) {
        check(tensor, got.copy().data, got.shape());
    }

    /** Compares {@code got} with the expected tensor: |got − want| ≤ atol + rtol·|want| everywhere. */
    public void check(String tensor, float[] got, int[] gotShape) {
        float[] want = npy(tensor, "float32").floats;
        int[] shape = specs.get(tensor).shape;
        compared++;
        if (!Arrays.equals(shape, gotShape)) {
            problem(tensor + ": shape got " + Arrays.toString(gotShape) + ", want " + Arrays.toString(shape));
            return;
        }
        int bad = 0, worst = -1;
        double worstErr = -1;
        for (int i = 0; i < want.length; i++) {
            double g = got[i], w = want[i];
            boolean same = g == w || (Double.isNaN(g) && Double.isNaN(w));
            if (same) {
                continue;
            }
            double err = Math.abs(g - w);
            if (err <= atol + rtol * Math.abs(w)) {
                continue;
            }
            bad++;
            // NaN errors rank above any number, so a NaN is never hidden behind a finite error.
            double rank = Double.isNaN(err) ? Double.POSITIVE_INFINITY : err;
            if (rank > worstErr) {
                worstErr = rank;
                worst = i;
            }
        }
        if (bad > 0) {
            problem(String.format(Locale.ROOT,
                    "%s: %d of %d values beyond atol %s + rtol %s·|want|; max abs error %s at flat index %d %s: got %s, want %s",
                    tensor, bad, want.length, atol, rtol, (float) Math.abs((double) got[worst] - want[worst]), worst,
                    Arrays.toString(unravel(worst, shape)), got[worst], want[worst]));
        }
    }

    /** The C-order multi-dimensional index of a flat index. */
    public static int[] unravel(int flat, int[] shape) {
        int[] idx = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = shape[d] == 0 ? 0 : flat % shape[d];
            flat = shape[d] == 0 ? 0 : flat / shape[d];
        }
        return idx;
    }

    /** Ends a case that stopped with {@code error}: the problems found so far, then the error. */
    public String abort(String error) {
        List<String> all = new ArrayList<>(problems);
        all.add(error);
        return String.join("; ", all);
    }

    /**
     * Ends the case: null when it passed, else one message with every problem, unknown attribute
     * and unused tensor.
     */
    public String finish() {
        List<String> all = new ArrayList<>(problems);
        for (String key : attrs.keySet()) {
            if (!usedAttrs.contains(key)) {
                all.add("unknown attribute '" + key + "' for op '" + op + "'");
            }
        }
        for (String t : specs.keySet()) {
            if (!usedTensors.contains(t)) {
                all.add("unused tensor '" + t + "' (op '" + op + "' neither reads nor compares it)");
            }
        }
        if (compared == 0 && all.isEmpty()) {
            all.add("no expected tensor to compare");
        }
        return all.isEmpty() ? null : String.join("; ", all);
    }
}
