package org.sparkcnn.block;

import java.util.Arrays;
import java.util.List;
import org.sparkcnn.layer.BatchNorm2d;
import org.sparkcnn.layer.Fusion;
import org.sparkcnn.layer.Layer;
import org.sparkcnn.layer.ReLU;
import org.sparkcnn.tensor.Tensor;

/**
 * Layers applied one after another; backward runs them in reverse.
 * <p>
 * Fusion: where a {@link ReLU} follows a {@link BatchNorm2d} or a {@link Residual} among its
 * children, the sequence lets the first apply the ReLU in its own passes (forward and backward) and
 * the ReLU pass its input and gradient through. The tree, parameter names and per-layer profile
 * stay as described; only the passes over memory change, with bit-identical results (FusionTest).
 * It is set up when the sequence is built ({@link org.sparkcnn.layer.Fusion#byDefault}) and can be
 * switched for a whole tree with {@link #setFusion}.
 */
public class Sequential extends Container {
    public Sequential(String name, List<Layer> layers) {
        super(name, layers);
        fusePairs(Fusion.byDefault());
    }

    public Sequential(String name, Layer... layers) {
        this(name, Arrays.asList(layers));
    }

    /** Fused execution on or off in the whole tree under {@code root} (results are the same either way). */
    public static void setFusion(Layer root, boolean on) {
        setBatchNorms(root, on); // first: a residual fuses only onto fused batch norms
        setPairs(root, on);
    }

    private static void setBatchNorms(Layer l, boolean on) {
        if (l instanceof BatchNorm2d) {
            ((BatchNorm2d) l).setFused(on);
        }
        for (Layer c : l.children()) {
            setBatchNorms(c, on);
        }
    }

    private static void setPairs(Layer l, boolean on) {
        for (Layer c : l.children()) {
            setPairs(c, on);
        }
        if (l instanceof Sequential) {
            ((Sequential) l).fusePairs(on);
        }
    }

    /** Lets each batch norm or residual followed by a ReLU apply it, the ReLU passing through. */
    private void fusePairs(boolean on) {
        for (int i = 0; i + 1 < children.size(); i++) {
            if (children.get(i + 1) instanceof ReLU) {
                Layer first = children.get(i);
                boolean fused = false;
                if (first instanceof BatchNorm2d) {
                    fused = ((BatchNorm2d) first).fuseRelu(on);
                } else if (first instanceof Residual) {
                    fused = ((Residual) first).fuseRelu(on);
                }
                ((ReLU) children.get(i + 1)).passThrough(fused);
            }
        }
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
