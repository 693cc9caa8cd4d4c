package org.sparkcnn.onnx;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.sparkcnn.block.Concat;
import org.sparkcnn.block.Container;
import org.sparkcnn.block.Residual;
import org.sparkcnn.block.Sequential;
import org.sparkcnn.io.JsonText;
import org.sparkcnn.layer.AbstractLayer;
import org.sparkcnn.layer.AvgPool2d;
import org.sparkcnn.layer.BatchNorm2d;
import org.sparkcnn.layer.Conv2d;
import org.sparkcnn.layer.Dropout;
import org.sparkcnn.layer.Flatten;
import org.sparkcnn.layer.GlobalAvgPool;
import org.sparkcnn.layer.Layer;
import org.sparkcnn.layer.Linear;
import org.sparkcnn.layer.MaxPool2d;
import org.sparkcnn.layer.Param;
import org.sparkcnn.layer.ReLU;
import org.sparkcnn.layer.Sigmoid;
import org.sparkcnn.layer.Tanh;
import org.sparkcnn.model.Network;
import org.sparkcnn.tensor.Shapes;
import org.sparkcnn.tensor.Tensor;

/**
 * A network as an ONNX model for inference (docs/onnx.md): {@code input} float32 [N, C, H, W] pixels
 * in [0, 1], normalised in the graph with the model's per-channel mean and std, then the layer tree
 * with batch norm on its running statistics and dropout left out; outputs {@code logits} and
 * {@code probability} (softmax), float32 [N, classes]. The batch size is the symbolic dimension
 * {@code N}; the image shape is the one the network was built for. Weights are initializers named
 * as the network's parameters ({@code stage1.block0.conv1.weight}). One method per layer type.
 */
public final class OnnxExporter {
    /** The ONNX operator set of every export. */
    public static final int OPSET = 17;
    /** The IR version that goes with {@link #OPSET} (ONNX 1.12). */
    public static final long IR_VERSION = 8;
    public static final String INPUT = "input", LOGITS = "logits", PROBABILITY = "probability";
    /** The symbolic batch dimension of the input and outputs. */
    public static final String BATCH = "N";

    private final OnnxMl.GraphProto.Builder graph = OnnxMl.GraphProto.newBuilder();
    private final Set<String> names = new HashSet<>();

    /** A tensor of the graph and its shape for a batch of one. */
    private record Value(String name, int[] shape) {
    }

    private OnnxExporter() {
    }

    /**
     * The ONNX model of {@code net}. {@code mean} and {@code std} have one value per input channel
     * (what the trainer normalised with: {@code (v − mean) / std} on [0, 1] pixels); {@code classNames}
     * (may be null) goes into the metadata, with the normalisation.
     */
    public static OnnxMl.ModelProto export(Network net, float[] mean, float[] std, List<String> classNames) {
        int[] image = net.inputShape();
        if (image.length != 3) {
            throw new OnnxExportException("model '" + net.name() + "' takes inputs of shape " + Shapes.str(image)
                    + ": the export needs images [C, H, W]");
        }
        int c = image[0];
        if (mean == null || std == null || mean.length != c || std.length != c) {
            throw new OnnxExportException("model '" + net.name() + "' takes " + c + " channel(s) but the normalisation has "
                    + (mean == null ? "no" : mean.length) + " mean(s) and " + (std == null ? "no" : std.length)
                    + " std(s)");
        }
        for (float s : std) {
            if (!(s > 0f) || !Float.isFinite(s)) {
                throw new OnnxExportException("model '" + net.name() + "': std " + s + " is not a positive number");
            }
        }
        if (classNames != null && classNames.size() != net.classes()) {
            throw new OnnxExportException("model '" + net.name() + "' has " + net.classes() + " outputs but "
                    + classNames.size() + " class names");
        }
        OnnxExporter e = new OnnxExporter();
        e.names.add(INPUT);
        e.names.add(LOGITS);
        e.names.add(PROBABILITY);
        int[] shape = {1, image[0], image[1], image[2]};
        e.graph.setName(net.name());
        e.graph.addInput(valueInfo(INPUT, shape));
        Value x = e.normalise(new Value(INPUT, shape), mean, std);
        Layer root = net.root();
        Value y = e.layer(root, root.name(), x);
        if (y.shape.length != 2) {
            throw new OnnxExportException("model '" + net.name() + "' ends in shape " + Shapes.str(y.shape)
                    + ": expected [N, classes]");
        }
        e.graph.addNode(node("Identity", LOGITS, LOGITS, y.name));
        e.graph.addNode(node("Softmax", PROBABILITY, PROBABILITY, LOGITS).addAttribute(intAttr("axis", 1)));
        e.graph.addOutput(valueInfo(LOGITS, y.shape));
        e.graph.addOutput(valueInfo(PROBABILITY, y.shape));
        OnnxMl.ModelProto.Builder m = OnnxMl.ModelProto.newBuilder().setIrVersion(IR_VERSION)
                .setProducerName("sparkcnn").setProducerVersion(version()).setGraph(e.graph)
                .setDocString("sparkcnn network '" + net.name() + "' for " + Shapes.str(image) + " images in [0, 1], "
                        + net.classes() + " classes (docs/onnx.md)")
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET));
        m.addMetadataProps(meta("model", net.name()));
        m.addMetadataProps(meta("mean", floats(mean)));
        m.addMetadataProps(meta("std", floats(std)));
        if (classNames != null) {
            m.addMetadataProps(meta("classNames", JsonText.write(classNames)));
        }
        return m.build();
    }

    // ---------------------------------------------------------------- the layer tree

    /** Emits {@code l} (at {@code path}) on {@code x}; returns its output. */
    private Value layer(Layer l, String path, Value x) {
        int[] out = l.outputShape(x.shape);
        if (l instanceof Sequential s) {
            return sequential(s, path, x);
        } else if (l instanceof Residual r) {
            return residual(r, path, x, out);
        } else if (l instanceof Concat c) {
            return concat(c, path, x, out);
        } else if (l instanceof Conv2d c) {
            return conv(c, path, x, out);
        } else if (l instanceof BatchNorm2d b) {
            return batchNorm(b, path, x, out);
        } else if (l instanceof MaxPool2d p) {
            return pool("MaxPool", p.kh, p.kw, p.sh, p.sw, p.ph, p.pw, null, path, x, out);
        } else if (l instanceof AvgPool2d p) {
            return pool("AveragePool", p.kh, p.kw, p.sh, p.sw, p.ph, p.pw, p.countIncludePad, path, x, out);
        } else if (l instanceof GlobalAvgPool) {
            return globalAvgPool(path, x, out);
        } else if (l instanceof Linear f) {
            return linear(f, path, x, out);
        } else if (l instanceof Flatten) {
            return unary("Flatten", path, x, out, intAttr("axis", 1));
        } else if (l instanceof ReLU) {
            return unary("Relu", path, x, out);
        } else if (l instanceof Sigmoid) {
            return unary("Sigmoid", path, x, out);
        } else if (l instanceof Tanh) {
            return unary("Tanh", path, x, out);
        } else if (l instanceof Dropout) {
            return x; // the identity at inference
        }
        String type = l.getClass().getSimpleName().isEmpty() ? l.getClass().getName() : l.getClass().getSimpleName();
        String what = l instanceof AbstractLayer a ? a.kind() : type;
        throw new OnnxExportException("layer '" + (path.isEmpty() ? "?" : path) + "' (" + what
                + "): no ONNX export for " + type + " (docs/onnx.md lists what is exported)");
    }

    private Value sequential(Sequential s, String path, Value x) {
        Value t = x;
        for (Layer c : s.children()) {
            t = layer(c, Container.join(path, c.name()), t);
        }
        return t;
    }

    private Value residual(Residual r, String path, Value x, int[] out) {
        Value f = layer(r.body(), Container.join(path, r.body().name()), x);
        Value s = r.shortcut() == null ? x : layer(r.shortcut(), Container.join(path, r.shortcut().name()), x);
        String y = fresh(path, "add");
        graph.addNode(node("Add", y, y, f.name, s.name));
        return new Value(y, out);
    }

    private Value concat(Concat c, String path, Value x, int[] out) {
        String[] branches = new String[c.children().size()];
        for (int i = 0; i < branches.length; i++) {
            Layer b = c.children().get(i);
            branches[i] = layer(b, Container.join(path, b.name()), x).name;
        }
        String y = fresh(path, "concat");
        graph.addNode(node("Concat", y, y, branches).addAttribute(intAttr("axis", 1)));
        return new Value(y, out);
    }

    private Value conv(Conv2d c, String path, Value x, int[] out) {
        int[] v = c.padding.resolve(x.shape[2], c.kh, c.sh, c.dh, true);
        int[] h = c.padding.resolve(x.shape[3], c.kw, c.sw, c.dw, false);
        String w = initializer(path, c.weight());
        String y = fresh(path, "conv");
        NodeProto.Builder n = c.bias() == null ? node("Conv", y, y, x.name, w)
                : node("Conv", y, y, x.name, w, initializer(path, c.bias()));
        n.addAttribute(intsAttr("kernel_shape", c.kh, c.kw)).addAttribute(intsAttr("strides", c.sh, c.sw))
                .addAttribute(intsAttr("dilations", c.dh, c.dw))
                .addAttribute(intsAttr("pads", v[0], h[0], v[1], h[1])).addAttribute(intAttr("group", 1));
        graph.addNode(n);
        return new Value(y, out);
    }

    private Value batchNorm(BatchNorm2d b, String path, Value x, int[] out) {
        String y = fresh(path, "bn");
        graph.addNode(node("BatchNormalization", y, y, x.name, initializer(path, b.weight()),
                initializer(path, b.bias()), initializer(Container.join(path, b.runningMean().name), b.runningMean().value),
                initializer(Container.join(path, b.runningVar().name), b.runningVar().value))
                .addAttribute(floatAttr("epsilon", b.eps)));
        return new Value(y, out);
    }

    /**
     * Max or average pooling in floor mode with symmetric padding, as {@code Pool2d}: padded cells
     * never win a max; {@code countIncludePad} (average only, else null) says whether they count
     * in the divisor.
     */
    private Value pool(String op, int kh, int kw, int sh, int sw, int ph, int pw, Boolean countIncludePad, String path,
                       Value x, int[] out) {
        String y = fresh(path, "pool");
        NodeProto.Builder n = node(op, y, y, x.name).addAttribute(intsAttr("kernel_shape", kh, kw))
                .addAttribute(intsAttr("strides", sh, sw)).addAttribute(intsAttr("pads", ph, pw, ph, pw))
                .addAttribute(intAttr("ceil_mode", 0));
        if (countIncludePad != null) {
            n.addAttribute(intAttr("count_include_pad", countIncludePad ? 1 : 0));
        }
        graph.addNode(n);
        return new Value(y, out);
    }

    /** GlobalAveragePool gives [N, C, 1, 1]; Flatten makes it our [N, C]. */
    private Value globalAvgPool(String path, Value x, int[] out) {
        String pooled = fresh(path, "pool4d");
        graph.addNode(node("GlobalAveragePool", pooled, pooled, x.name));
        String y = fresh(path, "pool");
        graph.addNode(node("Flatten", y, y, pooled).addAttribute(intAttr("axis", 1)));
        return new Value(y, out);
    }

    /** y = x·Wᵀ + b with our weight [out, in]: Gemm with transB. */
    private Value linear(Linear f, String path, Value x, int[] out) {
        String y = fresh(path, "fc");
        graph.addNode(node("Gemm", y, y, x.name, initializer(path, f.weight()), initializer(path, f.bias()))
                .addAttribute(intAttr("transB", 1)));
        return new Value(y, out);
    }

    private Value unary(String op, String path, Value x, int[] out, AttributeProto... attributes) {
        String y = fresh(path, op.toLowerCase(java.util.Locale.ROOT));
        NodeProto.Builder n = node(op, y, y, x.name);
        for (AttributeProto a : attributes) {
            n.addAttribute(a);
        }
        graph.addNode(n);
        return new Value(y, out);
    }

    /** (x − mean[c]) / std[c] per channel, as the trainer normalised [0, 1] pixels. */
    private Value normalise(Value x, float[] mean, float[] std) {
        int[] perChannel = {1, mean.length, 1, 1};
        String m = initializer("input_mean", perChannel, mean, 0);
        String s = initializer("input_std", perChannel, std, 0);
        String centred = fresh("input_centred", "");
        graph.addNode(node("Sub", centred, centred, x.name, m));
        String y = fresh("input_normalised", "");
        graph.addNode(node("Div", y, y, centred, s));
        return new Value(y, x.shape);
    }

    // ---------------------------------------------------------------- protobuf pieces

    /** A name no other tensor has: the layer path (or {@code what} for a transparent one), numbered when taken. */
    private String fresh(String path, String what) {
        String base = path.isEmpty() ? what : path;
        String name = base;
        for (int i = 2; !names.add(name); i++) {
            name = base + "_" + i;
        }
        return name;
    }

    private String initializer(String path, Param p) {
        return initializer(Container.join(path, p.name), p.value);
    }

    private String initializer(String name, Tensor t) {
        return initializer(name, t.shape(), t.data, t.offset);
    }

    /** float32 little-endian raw data, as ONNX stores it. */
    private String initializer(String name, int[] shape, float[] data, int offset) {
        if (!names.add(name)) {
            throw new OnnxExportException("two tensors of the graph would be named '" + name + "'");
        }
        int n = Shapes.size(shape);
        ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(data, offset, n);
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE)
                .setRawData(ByteString.copyFrom(b.array()));
        for (int d : shape) {
            t.addDims(d);
        }
        graph.addInitializer(t);
        return name;
    }

    private static NodeProto.Builder node(String op, String name, String output, String... inputs) {
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(name).addOutput(output);
        for (String i : inputs) {
            n.addInput(i);
        }
        return n;
    }

    private static AttributeProto intAttr(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
    }

    private static AttributeProto floatAttr(String name, float v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(v).build();
    }

    private static AttributeProto intsAttr(String name, int... v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (int i : v) {
            a.addInts(i);
        }
        return a.build();
    }

    /** float32 [N, …] with N symbolic and the rest of {@code shape} fixed. */
    private static OnnxMl.ValueInfoProto valueInfo(String name, int[] shape) {
        OnnxMl.TensorShapeProto.Builder s = OnnxMl.TensorShapeProto.newBuilder();
        s.addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam(BATCH));
        for (int i = 1; i < shape.length; i++) {
            s.addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(shape[i]));
        }
        return OnnxMl.ValueInfoProto.newBuilder().setName(name).setType(OnnxMl.TypeProto.newBuilder()
                .setTensorType(OnnxMl.TypeProto.Tensor.newBuilder()
                        .setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(s))).build();
    }

    private static OnnxMl.StringStringEntryProto meta(String key, String value) {
        return OnnxMl.StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
    }

    private static String floats(float[] v) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) {
            b.append(i == 0 ? "" : ",").append(v[i]);
        }
        return b.append(']').toString();
    }

    private static String version() {
        String v = OnnxExporter.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
