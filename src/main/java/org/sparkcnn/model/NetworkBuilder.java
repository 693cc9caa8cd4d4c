package org.sparkcnn.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.sparkcnn.block.Concat;
import org.sparkcnn.block.ConvBnRelu;
import org.sparkcnn.block.InceptionModule;
import org.sparkcnn.block.Residual;
import org.sparkcnn.block.Sequential;
import org.sparkcnn.layer.AvgPool2d;
import org.sparkcnn.layer.BatchNorm2d;
import org.sparkcnn.layer.Conv2d;
import org.sparkcnn.layer.Dropout;
import org.sparkcnn.layer.Flatten;
import org.sparkcnn.layer.GlobalAvgPool;
import org.sparkcnn.layer.Layer;
import org.sparkcnn.layer.Linear;
import org.sparkcnn.layer.MaxPool2d;
import org.sparkcnn.layer.Padding;
import org.sparkcnn.layer.ReLU;
import org.sparkcnn.layer.Sigmoid;
import org.sparkcnn.layer.Tanh;
import org.sparkcnn.tensor.ShapeException;
import org.sparkcnn.tensor.Shapes;

/**
 * Builds the layer tree a {@link Description} declares, for one input shape and class count
 * (docs/models.md). Shapes are inferred layer by layer: input channels and features come from the
 * layer before, and each layer's output shape is checked as it is added, so an error names the
 * line, the JSON path and the layer path with the shapes involved. Parameters are drawn later,
 * by {@link Network#init}, in tree order: the same description, shape and seed give the same weights.
 */
public final class NetworkBuilder {
    /** The layer types and their fields (besides type and name); blocks of the description add their own. */
    static final Map<String, List<String>> TYPES = new LinkedHashMap<>();

    static {
        TYPES.put("conv", List.of("out", "kernel", "stride", "dilation", "padding", "bias", "in"));
        TYPES.put("maxpool", List.of("kernel", "stride", "padding"));
        TYPES.put("avgpool", List.of("kernel", "stride", "padding", "countIncludePad"));
        TYPES.put("globalavgpool", List.of());
        TYPES.put("relu", List.of());
        TYPES.put("sigmoid", List.of());
        TYPES.put("tanh", List.of());
        TYPES.put("batchnorm", List.of("momentum", "eps"));
        TYPES.put("dropout", List.of("p"));
        TYPES.put("flatten", List.of());
        TYPES.put("linear", List.of("out", "in"));
        TYPES.put("convbnrelu", List.of("out", "kernel", "stride"));
        TYPES.put("sequential", List.of("layers"));
        TYPES.put("residual", List.of("body", "shortcut"));
        TYPES.put("inception", List.of("b1", "b3reduce", "b3", "b5reduce", "b5", "pool"));
        TYPES.put("concat", List.of("branches"));
        TYPES.put("repeat", List.of("times", "start", "layers"));
    }

    /** Local names given to unnamed layers: the prefix, then a count per container ({@code conv1}, {@code conv2}). */
    private static final Map<String, String> PREFIX = Map.ofEntries(Map.entry("conv", "conv"),
            Map.entry("maxpool", "pool"), Map.entry("avgpool", "pool"), Map.entry("globalavgpool", "pool"),
            Map.entry("relu", "relu"), Map.entry("sigmoid", "sigmoid"), Map.entry("tanh", "tanh"),
            Map.entry("batchnorm", "bn"), Map.entry("dropout", "dropout"), Map.entry("flatten", "flatten"),
            Map.entry("linear", "fc"), Map.entry("convbnrelu", "cbr"), Map.entry("sequential", "seq"),
            Map.entry("residual", "res"), Map.entry("inception", "inception"), Map.entry("concat", "concat"));

    private final Description d;
    private final int classes;
    private final Map<String, Description.Node> blocks = new LinkedHashMap<>();

    private NetworkBuilder(Description d, int classes) {
        this.d = d;
        this.classes = classes;
    }

    /**
     * The network {@code d} describes for images of {@code input} ({C, H, W}) and {@code classes}
     * outputs; null (or 0 classes) takes what the description fixes. A description that fixes
     * them differently is an error naming both. The parameters are not drawn yet ({@link Network#init}).
     */
    public static Network build(Description d, int[] input, int classes) {
        return build(d, null, input, classes);
    }

    /** As {@link #build(Description, int[], int)}, named {@code name} (null: the description's "name", else its file's). */
    public static Network build(Description d, String name, int[] input, int classes) {
        Map<String, Description.Node> top = d.root().object();
        Fields f = new NetworkBuilder(d, 0).new Fields(d.root(), "network",
                Set.of("name", "input", "classes", "blocks", "layers"));
        String described = f.string("name", stem(d.source()));
        name = name != null ? name : described;
        int[] fixedInput = f.has("input") ? f.ints("input", 3, 1) : null;
        int fixedClasses = f.has("classes") ? f.integer("classes", 0, 1) : 0;
        int[] shape = input != null ? input.clone() : fixedInput;
        if (shape == null) {
            throw DescriptionException.at(d.root(), "no input shape: give \"input\": [C, H, W] or build for a dataset");
        }
        if (shape.length != 3) {
            throw new IllegalArgumentException("an input shape is C×H×W, got " + Shapes.str(shape));
        }
        if (fixedInput != null && !Arrays.equals(fixedInput, shape)) {
            throw DescriptionException.at(top.get("input"), "the description is for " + chw(fixedInput)
                    + " images but the data is " + chw(shape));
        }
        int k = classes > 0 ? classes : fixedClasses;
        if (fixedClasses > 0 && k != fixedClasses) {
            throw DescriptionException.at(top.get("classes"), "the description has " + fixedClasses
                    + " classes but the data has " + k);
        }
        NetworkBuilder b = new NetworkBuilder(d, k);
        if (top.containsKey("blocks")) {
            Description.Node blocks = top.get("blocks");
            if (blocks.object() == null) {
                throw DescriptionException.at(blocks, "expected an object of named blocks {\"name\": {\"args\": {...}, \"layers\": [...]}}");
            }
            for (Map.Entry<String, Description.Node> e : blocks.object().entrySet()) {
                if (TYPES.containsKey(e.getKey()) || e.getKey().equals("repeat")) {
                    throw DescriptionException.at(e.getValue(), "a block may not be named like a layer type: " + e.getKey());
                }
                b.new Fields(e.getValue(), "block " + e.getKey(), Set.of("args", "layers")).list("layers");
                b.blocks.put(e.getKey(), e.getValue());
            }
        }
        int[] probe = {1, shape[0], shape[1], shape[2]};
        Description.Node layers = top.get("layers");
        if (layers == null) {
            throw DescriptionException.at(d.root(), "missing field \"layers\": the list of layers");
        }
        List<Layer> built = b.sequence(layers, probe, "").layers();
        Network net;
        try {
            net = new Network(name, new Sequential("", built), shape);
        } catch (IllegalArgumentException e) { // a ShapeException among them
            throw DescriptionException.at(layers, e.getMessage());
        }
        net.describedBy(d.text());
        if (k > 0 && net.classes() != k) {
            throw DescriptionException.at(layers, "the network ends in " + net.classes() + " outputs but there are " + k
                    + " classes: leave the last linear's \"out\" out (it defaults to the class count)");
        }
        return net;
    }

    static String chw(int[] s) {
        return s[0] + "×" + s[1] + "×" + s[2];
    }

    private static String stem(String source) {
        String n = source.substring(source.lastIndexOf('/') + 1);
        return n.endsWith(".json") ? n.substring(0, n.length() - 5) : n;
    }

    /** The layers of a list node and the shape they give (batch first). */
    private record Seq(List<Layer> layers, int[] out) {
    }

    /** Builds the layers of a list node in order, each on the output shape of the one before. */
    private Seq sequence(Description.Node list, int[] in, String path) {
        if (list.array() == null) {
            throw DescriptionException.at(list, "expected a list of layers");
        }
        List<Layer> out = new ArrayList<>();
        Map<String, Integer> counts = new HashMap<>();
        Set<String> names = new HashSet<>();
        int[] shape = in;
        for (Description.Node item : list.array()) {
            for (Built l : layer(item, shape, path, counts)) {
                if (!l.layer.name().isEmpty() && !names.add(l.layer.name())) {
                    throw DescriptionException.at(l.node, "two layers here are named '" + l.layer.name() + "'");
                }
                out.add(l.layer);
                shape = l.out;
            }
        }
        return new Seq(out, shape);
    }

    /** A built layer, the node it came from and its output shape. */
    private record Built(Layer layer, Description.Node node, int[] out) {
    }

    private List<Built> layer(Description.Node item, int[] in, String parent, Map<String, Integer> counts) {
        Description.Node node = item.value() instanceof String ? item.withValue(Map.of("type", item)) : item;
        if (node.object() == null) {
            throw DescriptionException.at(item, "expected a layer: {\"type\": \"conv\", ...} or a type name such as \"relu\"");
        }
        Description.Node typeNode = node.object().get("type");
        if (typeNode == null || !(typeNode.value() instanceof String)) {
            throw DescriptionException.at(node, "missing field \"type\" (one of " + String.join(", ", TYPES.keySet())
                    + (blocks.isEmpty() ? "" : ", or a block: " + String.join(", ", blocks.keySet())) + ")");
        }
        String type = (String) typeNode.value();
        if (type.equals("repeat")) {
            return repeat(node, in, parent, counts);
        }
        if (!TYPES.containsKey(type) && !blocks.containsKey(type)) {
            throw DescriptionException.at(typeNode, "unknown layer type '" + type + "': expected one of "
                    + String.join(", ", TYPES.keySet()) + (blocks.isEmpty() ? "" : ", or a block: "
                    + String.join(", ", blocks.keySet())));
        }
        Set<String> allowed = new HashSet<>(List.of("type", "name"));
        allowed.addAll(TYPES.containsKey(type) ? TYPES.get(type) : args(type).keySet());
        Fields f = new Fields(node, type, allowed);
        String prefix = PREFIX.getOrDefault(type, type); // counted per prefix: maxpool and avgpool share "pool"
        String auto = prefix + counts.merge(prefix, 1, Integer::sum);
        String name = f.string("name", auto);
        String path = parent.isEmpty() ? name : name.isEmpty() ? parent : parent + "." + name;
        Layer layer;
        try {
            layer = blocks.containsKey(type) ? block(type, node, f, name, in, path) : create(type, f, name, in, path);
            layer.setPath(path); // the layer's own errors name its whole path
            int[] out = layer.outputShape(in);
            return List.of(new Built(layer, node, out));
        } catch (ShapeException e) {
            throw DescriptionException.at(node, "on input " + Shapes.str(in) + ": " + e.getMessage());
        }
    }

    private Layer create(String type, Fields f, String name, int[] in, String path) {
        switch (type) {
            case "conv": {
                int c = channels(f, in, path);
                int out = f.outputs("out", false);
                int[] k = f.pair("kernel", 3), s = f.pair("stride", 1), dil = f.pair("dilation", 1);
                return new Conv2d(name, c, out, k[0], k[1], s[0], s[1], dil[0], dil[1], f.padding("padding"),
                        f.bool("bias", true));
            }
            case "maxpool": {
                channels(f, in, path);
                int[] k = f.pair("kernel", 2), s = f.pair("stride", k[0], k[1]), p = f.pair("padding", 0);
                return new MaxPool2d(name, k[0], k[1], s[0], s[1], p[0], p[1]);
            }
            case "avgpool": {
                channels(f, in, path);
                int[] k = f.pair("kernel", 2), s = f.pair("stride", k[0], k[1]), p = f.pair("padding", 0);
                return new AvgPool2d(name, k[0], k[1], s[0], s[1], p[0], p[1], f.bool("countIncludePad", true));
            }
            case "globalavgpool":
                channels(f, in, path);
                return new GlobalAvgPool(name);
            case "relu":
                return new ReLU(name);
            case "sigmoid":
                return new Sigmoid(name);
            case "tanh":
                return new Tanh(name);
            case "batchnorm":
                return new BatchNorm2d(name, channels(f, in, path), (float) f.number("momentum", 0.1, 0, 1),
                        (float) f.number("eps", 1e-5, Double.MIN_VALUE, 1));
            case "dropout":
                return new Dropout(name, (float) f.number("p", 0.5, 0, 0.999999), 0);
            case "flatten":
                return new Flatten(name);
            case "linear": {
                if (in.length != 2) {
                    throw DescriptionException.at(f.node, "layer '" + path + "': a linear layer needs [N, features] input but "
                            + "gets " + Shapes.str(in) + ": add {\"type\": \"flatten\"} or a global pooling before it");
                }
                int features = f.has("in") ? f.integer("in", 0, 1) : in[1];
                if (features != in[1]) {
                    throw DescriptionException.at(f.node.object().get("in"), "layer '" + path + "' declares " + features
                            + " inputs but the layer before gives " + in[1] + " (shape " + Shapes.str(in) + ")");
                }
                return new Linear(name, features, f.outputs("out", true));
            }
            case "convbnrelu":
                return new ConvBnRelu(name, channels(f, in, path), f.outputs("out", false), f.integer("kernel", 3, 1),
                        f.integer("stride", 1, 1));
            case "sequential":
                return new Sequential(name, sequence(f.list("layers"), in, path).layers());
            case "residual":
                return residual(f, name, in, path);
            case "inception":
                return new InceptionModule(name, channels(f, in, path), f.integer("b1", -1, 1),
                        f.integer("b3reduce", -1, 1), f.integer("b3", -1, 1), f.integer("b5reduce", -1, 1),
                        f.integer("b5", -1, 1), f.integer("pool", -1, 1));
            default: { // concat
                Description.Node branches = f.list("branches");
                List<Layer> made = new ArrayList<>();
                for (Description.Node b : branches.array()) {
                    String branch = "branch" + (made.size() + 1);
                    List<Layer> layers = sequence(b, in, path + "." + branch).layers();
                    made.add(layers.size() == 1 ? layers.get(0) : new Sequential(branch, layers));
                }
                if (made.isEmpty()) {
                    throw DescriptionException.at(branches, "a concat needs at least one branch");
                }
                return new Concat(name, made);
            }
        }
    }

    /**
     * A residual: its body, added to the identity, or to a 1×1 projection (conv with the stride
     * that gives the body's output size, then batch norm) when the shapes differ ({@code auto},
     * the default) or when asked ({@code projection}). {@code identity} refuses a body that changes the shape.
     */
    private Layer residual(Fields f, String name, int[] in, String path) {
        Seq seq = sequence(f.list("body"), in, path);
        Layer body = new Sequential("", seq.layers());
        int[] out = seq.out();
        String mode = f.choice("shortcut", "auto", "auto", "identity", "projection");
        boolean same = Arrays.equals(in, out);
        if (mode.equals("identity") && !same) {
            throw DescriptionException.at(f.node, "layer '" + path + "': the residual body changes " + Shapes.str(in)
                    + " to " + Shapes.str(out) + ", so it cannot be added to the identity: use \"shortcut\": \"auto\" or "
                    + "\"projection\" (a 1×1 convolution)");
        }
        if (same && !mode.equals("projection")) {
            return new Residual(name, body, null);
        }
        if (in.length != 4 || out.length != 4) {
            throw DescriptionException.at(f.node, "layer '" + path + "': a projection shortcut needs images in and out, "
                    + "got " + Shapes.str(in) + " → " + Shapes.str(out));
        }
        int stride = strideFor(in[2], out[2]);
        if (stride < 1 || strideFor(in[3], out[3]) != stride) {
            throw DescriptionException.at(f.node, "layer '" + path + "': the residual body changes " + Shapes.str(in)
                    + " to " + Shapes.str(out) + " and no 1×1 convolution with one stride gives that size");
        }
        return new Residual(name, body, new Sequential("shortcut",
                new Conv2d("conv", in[1], out[1], 1, stride, Padding.VALID, false), new BatchNorm2d("bn", out[1])));
    }

    /** The stride s with floor((n − 1) / s) + 1 = out, or -1. */
    private static int strideFor(int n, int out) {
        for (int s = 1; s <= n; s++) {
            if ((n - 1) / s + 1 == out) {
                return s;
            }
        }
        return -1;
    }

    /** {@code times} copies of {@code layers}, inline, with {@code $i} = start, start + 1, … in each. */
    private List<Built> repeat(Description.Node node, int[] in, String parent, Map<String, Integer> counts) {
        Fields f = new Fields(node, "repeat", Set.of("type", "times", "start", "layers"));
        int times = f.integer("times", -1, 1), start = f.integer("start", 0, 0);
        Description.Node layers = f.list("layers");
        List<Built> out = new ArrayList<>();
        int[] shape = in;
        for (int i = 0; i < times; i++) {
            Description.Node copy = substitute(layers, Map.of("i", layers.withValue((long) (start + i))));
            for (Description.Node item : copy.array()) {
                for (Built b : layer(item, shape, parent, counts)) {
                    out.add(b);
                    shape = b.out;
                }
            }
        }
        return out;
    }

    /** A use of a block of the description: its layers with the arguments put in, as a sequential. */
    private Layer block(String type, Description.Node use, Fields f, String name, int[] in, String path) {
        Map<String, Description.Node> values = new HashMap<>();
        for (Map.Entry<String, Description.Node> a : args(type).entrySet()) {
            Description.Node given = use.object().get(a.getKey());
            if (given == null && a.getValue().value() == null) {
                throw DescriptionException.at(use, "block '" + type + "' needs argument \"" + a.getKey() + "\"");
            }
            values.put(a.getKey(), given != null ? given : a.getValue());
        }
        Description.Node layers = substitute(blocks.get(type).object().get("layers"), values);
        return new Sequential(name, sequence(layers, in, path).layers());
    }

    private Map<String, Description.Node> args(String block) {
        Description.Node a = blocks.get(block).object().get("args");
        if (a == null) {
            return Map.of();
        }
        if (a.object() == null) {
            throw DescriptionException.at(a, "a block's args are an object {\"name\": default or null if required}");
        }
        return a.object();
    }

    /** A copy of {@code n} in which "$x" is the value of x, and "…$x…" in a string its text. */
    private static Description.Node substitute(Description.Node n, Map<String, Description.Node> values) {
        if (n.object() != null) {
            Map<String, Description.Node> m = new LinkedHashMap<>();
            n.object().forEach((k, v) -> m.put(k, substitute(v, values)));
            return n.withValue(m);
        }
        if (n.array() != null) {
            List<Description.Node> l = new ArrayList<>();
            n.array().forEach(v -> l.add(substitute(v, values)));
            return n.withValue(l);
        }
        if (n.value() instanceof String s && s.contains("$")) {
            if (s.startsWith("$") && values.containsKey(s.substring(1))) {
                return n.withValue(values.get(s.substring(1)).value());
            }
            String t = s;
            for (Map.Entry<String, Description.Node> e : values.entrySet()) {
                t = t.replace("$" + e.getKey(), String.valueOf(e.getValue().value()));
            }
            if (t.contains("$")) {
                throw DescriptionException.at(n, "unknown argument in '" + s + "': the arguments here are " + values.keySet());
            }
            return n.withValue(t);
        }
        return n;
    }

    /** The input's channel count; a layer that declares "in" must agree. */
    private static int channels(Fields f, int[] in, String path) {
        if (in.length != 4) {
            throw DescriptionException.at(f.node, "layer '" + path + "' needs images [N, C, H, W] but gets " + Shapes.str(in));
        }
        if (f.has("in") && f.integer("in", 0, 1) != in[1]) {
            throw DescriptionException.at(f.node.object().get("in"), "layer '" + path + "' declares " + f.integer("in", 0, 1)
                    + " input channels but the layer before gives " + in[1] + " (shape " + Shapes.str(in) + ")");
        }
        return in[1];
    }

    /** The fields of one object node, read with type checks; fields it does not know are errors. */
    final class Fields {
        final Description.Node node;
        private final String what;

        Fields(Description.Node node, String what, Set<String> allowed) {
            this.node = node;
            this.what = what;
            if (node.object() == null) {
                throw DescriptionException.at(node, "expected an object for " + what);
            }
            for (Map.Entry<String, Description.Node> e : node.object().entrySet()) {
                if (!allowed.contains(e.getKey())) {
                    throw DescriptionException.at(e.getValue(), "unknown field \"" + e.getKey() + "\" for " + what
                            + " (its fields: " + String.join(", ", new java.util.TreeSet<>(allowed)) + ")");
                }
            }
        }

        boolean has(String name) {
            return node.object().containsKey(name);
        }

        private Description.Node get(String name) {
            Description.Node v = node.object().get(name);
            if (v == null) {
                throw DescriptionException.at(node, "missing field \"" + name + "\" for " + what);
            }
            return v;
        }

        private DescriptionException wrong(Description.Node v, String expected) {
            return DescriptionException.at(v, "\"" + v.path().substring(v.path().lastIndexOf('.') + 1) + "\" of " + what
                    + " must be " + expected + ", got " + (v.value() instanceof String ? "\"" + v.value() + "\"" : v.value()));
        }

        /** An integer ≥ min; {@code def} < min means required. */
        int integer(String name, int def, int min) {
            if (!has(name) && def >= min) {
                return def;
            }
            return integerOf(get(name), min);
        }

        private int integerOf(Description.Node v, int min) {
            if (v.value() instanceof Long l && l >= min && l <= Integer.MAX_VALUE) {
                return (int) (long) l;
            }
            throw wrong(v, "an integer ≥ " + min);
        }

        double number(String name, double def, double min, double max) {
            if (!has(name)) {
                return def;
            }
            Description.Node v = get(name);
            if (v.value() instanceof Number x && x.doubleValue() >= min && x.doubleValue() <= max) {
                return x.doubleValue();
            }
            throw wrong(v, "a number in [" + min + ", " + max + "]");
        }

        boolean bool(String name, boolean def) {
            if (!has(name)) {
                return def;
            }
            Description.Node v = get(name);
            if (v.value() instanceof Boolean b) {
                return b;
            }
            throw wrong(v, "true or false");
        }

        String string(String name, String def) {
            if (!has(name)) {
                return def;
            }
            Description.Node v = get(name);
            if (v.value() instanceof String s) {
                return s;
            }
            throw wrong(v, "a string");
        }

        String choice(String name, String def, String... options) {
            String s = string(name, def);
            if (!Arrays.asList(options).contains(s)) {
                throw wrong(get(name), "one of " + String.join(", ", options));
            }
            return s;
        }

        Description.Node list(String name) {
            Description.Node v = get(name);
            if (v.array() == null) {
                throw wrong(v, "a list");
            }
            return v;
        }

        /** {h, w} from n or [h, w]; {@code def} for both when absent. */
        int[] pair(String name, int... def) {
            if (!has(name)) {
                return def.length == 1 ? new int[] {def[0], def[0]} : def.clone();
            }
            Description.Node v = get(name);
            if (v.value() instanceof Long) {
                int n = integerOf(v, 0);
                return new int[] {n, n};
            }
            if (v.array() != null && v.array().size() == 2) {
                return new int[] {integerOf(v.array().get(0), 0), integerOf(v.array().get(1), 0)};
            }
            throw wrong(v, "an integer or [h, w]");
        }

        /** Exactly {@code n} integers ≥ min, e.g. "input": [3, 32, 32]. */
        int[] ints(String name, int n, int min) {
            Description.Node v = get(name);
            if (v.array() == null || v.array().size() != n) {
                throw wrong(v, "a list of " + n + " integers");
            }
            int[] out = new int[n];
            for (int i = 0; i < n; i++) {
                out[i] = integerOf(v.array().get(i), min);
            }
            return out;
        }

        /** A count of outputs: an integer, or "classes": one per class of the data (when absent, if {@code byDefault}). */
        int outputs(String name, boolean byDefault) {
            Description.Node v = byDefault ? node.object().get(name) : get(name);
            if (v == null || "classes".equals(v.value())) {
                if (classes <= 0) {
                    throw DescriptionException.at(v == null ? node : v, "\"" + name + "\" of " + what + " is the class "
                            + "count, but none is known: give \"classes\" or build for a dataset");
                }
                return classes;
            }
            return integerOf(v, 1);
        }

        /** "valid", "same", "full", n, [ph, pw] or [top, bottom, left, right]; default valid. */
        Padding padding(String name) {
            if (!has(name)) {
                return Padding.VALID;
            }
            Description.Node v = get(name);
            if (v.value() instanceof String s && List.of("valid", "same", "full").contains(s)) {
                return Padding.named(s);
            }
            if (v.value() instanceof Long) {
                int p = integerOf(v, 0);
                return Padding.explicit(p, p);
            }
            if (v.array() != null && (v.array().size() == 2 || v.array().size() == 4)) {
                int[] p = new int[v.array().size()];
                for (int i = 0; i < p.length; i++) {
                    p[i] = integerOf(v.array().get(i), 0);
                }
                return p.length == 2 ? Padding.explicit(p[0], p[1]) : Padding.explicit(p[0], p[1], p[2], p[3]);
            }
            throw wrong(v, "\"valid\", \"same\", \"full\", an integer, [h, w] or [top, bottom, left, right]");
        }
    }
}
