package org.sparkcnn.block;

import java.util.Arrays;
import java.util.List;
import org.sparkcnn.layer.Layer;
import org.sparkcnn.tensor.Tensor;

/** Layers applied one after another; backward runs them in reverse. */
public class Sequential extends Container {
    public Sequential(String name, List<Layer> layers) {
        super(name, layers);
    }

    public Sequential(String name, Layer... layers) {
        this(name, Arrays.asList(layers));
    }

    @Override
    protected String signature() {
        return "Sequential of " + children.size();
    }

    @Override
    public void setInputGradient(boolean needed) {
        children.get(0).setInputGradient(needed);
    }

    @Override
    public int[] outputShape(int[] in) {
        int[] s = in;
        for (Layer l : children) {
            s = l.outputShape(s);
        }
        return s;
    }

    @Override
    protected Tensor forwardImpl(Tensor x, boolean training) {
        if (input == null || !x.sameShape(input)) {
            outputShape(x.shape()); // a late child must not reject x after earlier ones changed state
        }
        Tensor t = x;
        for (int i = 0; i < children.size(); i++) { // indexed: an iterator would allocate every step
            t = children.get(i).forward(t, training);
        }
        input = x;
        return t;
    }

    @Override
    protected Tensor backwardImpl(Tensor dy) {
        Tensor g = dy;
        for (int i = children.size() - 1; i >= 0; i--) {
            g = children.get(i).backward(g);
        }
        return g;
    }
}
