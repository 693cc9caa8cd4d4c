package org.sparkcnn.model;

import java.util.ArrayList;
import java.util.List;
import org.sparkcnn.block.ConvBnRelu;
import org.sparkcnn.block.InceptionModule;
import org.sparkcnn.block.ResidualBlock;
import org.sparkcnn.block.Sequential;
import org.sparkcnn.layer.Conv2d;
import org.sparkcnn.layer.Dropout;
import org.sparkcnn.layer.Flatten;
import org.sparkcnn.layer.GlobalAvgPool;
import org.sparkcnn.layer.Layer;
import org.sparkcnn.layer.Linear;
import org.sparkcnn.layer.MaxPool2d;
import org.sparkcnn.layer.Padding;
import org.sparkcnn.layer.ReLU;

/** The four reference models of models.md, for 1×28×28 inputs and 10 classes. */
public final class ModelZoo {
    public static final List<String> NAMES = List.of("lenet5", "convnet", "resnet20", "inception");
    private static final int[] MNIST = {1, 28, 28};

    private ModelZoo() {
    }

    /** Builds and initialises a zoo model from {@code seed}. */
    public static Network build(String name, long seed) {
        return javaNetwork(name).init(seed);
    }

    /** The network as written in Java, parameters not drawn yet. */
    static Network javaNetwork(String name) {
        Network net;
        switch (name) {
            case "lenet5": net = lenet5(); break;
            case "convnet": net = convnet(); break;
            case "resnet20": net = resnet20(); break;
            case "inception": net = inception(); break;
            default:
                throw new IllegalArgumentException("unknown model '" + name + "': expected one of " + NAMES);
        }
        return net;
    }

    /** 61,706 parameters. */
    public static Network lenet5() {
        return new Network("lenet5", new Sequential("",
                new Conv2d("conv1", 1, 6, 5, 1, Padding.SAME, true), new ReLU("relu1"),
                new MaxPool2d("pool1", 2, 2, 0),
                new Conv2d("conv2", 6, 16, 5, 1, Padding.VALID, true), new ReLU("relu2"),
                new MaxPool2d("pool2", 2, 2, 0),
                new Flatten("flatten"),
                new Linear("fc1", 400, 120), new ReLU("relu3"),
                new Linear("fc2", 120, 84), new ReLU("relu4"),
                new Linear("fc3", 84, 10)), MNIST);
    }

    /** 3,274,634 parameters. */
    public static Network convnet() {
        return new Network("convnet", new Sequential("",
                new Conv2d("conv1", 1, 32, 5, 1, Padding.SAME, true), new ReLU("relu1"),
                new MaxPool2d("pool1", 2, 2, 0),
                new Conv2d("conv2", 32, 64, 5, 1, Padding.SAME, true), new ReLU("relu2"),
                new MaxPool2d("pool2", 2, 2, 0),
                new Flatten("flatten"),
                new Linear("fc1", 3136, 1024), new ReLU("relu3"), new Dropout("dropout", 0.4f, 0),
                new Linear("fc2", 1024, 10)), MNIST);
    }

    /** 272,186 parameters. */
    public static Network resnet20() {
        List<Layer> layers = new ArrayList<>();
        layers.add(new ConvBnRelu("stem", 1, 16, 3, 1));
        int in = 16;
        int[] widths = {16, 32, 64};
        for (int s = 0; s < widths.length; s++) {
            for (int b = 0; b < 3; b++) {
                int stride = (s > 0 && b == 0) ? 2 : 1;
                layers.add(new ResidualBlock("stage" + (s + 1) + ".block" + b, in, widths[s], stride));
                in = widths[s];
            }
        }
        layers.add(new GlobalAvgPool("pool"));
        layers.add(new Linear("fc", 64, 10));
        return new Network("resnet20", new Sequential("", layers), MNIST);
    }

    /** 58,002 parameters. */
    public static Network inception() {
        return new Network("inception", new Sequential("",
                new ConvBnRelu("stem", 1, 32, 3, 1),
                new InceptionModule("inception1", 32, 16, 16, 24, 4, 8, 8),
                new MaxPool2d("pool1", 2, 2, 0),
                new InceptionModule("inception2", 56, 32, 32, 48, 8, 16, 16),
                new MaxPool2d("pool2", 2, 2, 0),
                new InceptionModule("inception3", 112, 48, 24, 64, 8, 16, 16),
                new GlobalAvgPool("pool"),
                new Linear("fc", 144, 10)), MNIST);
    }
}
