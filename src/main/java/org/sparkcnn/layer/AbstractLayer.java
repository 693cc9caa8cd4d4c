package org.sparkcnn.layer;

import org.sparkcnn.kernel.Parallel;
import org.sparkcnn.tensor.ShapeException;
import org.sparkcnn.tensor.Shapes;
import org.sparkcnn.tensor.Tensor;

/** Name, path, thread pool and the shape checks every layer shares. */
public abstract class AbstractLayer implements Layer {
    private final String name;
    private String path;
    protected Parallel parallel = Parallel.defaultPool();
    /** Input of the last forward call; backward needs it. */
    protected Tensor input;

    protected AbstractLayer(String name) {
        this.name = name == null ? "" : name;
        this.path = this.name;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void setPath(String path) {
        this.path = path;
    }

    /** Runs {@link #forwardImpl}, timed when a {@link Profiler} is on and this is a leaf layer. */
    @Override
    public final Tensor forward(Tensor x, boolean training) {
        Profiler p = Profiler.active();
        if (p == null || !children().isEmpty()) {
            return forwardImpl(x, training);
        }
        long t = System.nanoTime();
        Tensor y = forwardImpl(x, training);
        p.add(this, true, System.nanoTime() - t);
        return y;
    }

    @Override
    public final Tensor backward(Tensor dy) {
        Profiler p = Profiler.active();
        if (p == null || !children().isEmpty()) {
            return backwardImpl(dy);
        }
        long t = System.nanoTime();
        Tensor dx = backwardImpl(dy);
        p.add(this, false, System.nanoTime() - t);
        return dx;
    }

    protected abstract Tensor forwardImpl(Tensor x, boolean training);

    protected abstract Tensor backwardImpl(Tensor dy);

    /** Multiply-adds of one forward pass on this input shape (0 where not meaningful). */
    public long forwardMacs(int[] inputShape) {
        return 0;
    }

    @Override
    public void setParallel(Parallel parallel) {
        this.parallel = parallel;
    }

    /** Qualified name, e.g. {@code stage1.block0.conv1}. */
    public String path() {
        return path;
    }

    /** Type and attributes, e.g. {@code Conv2d 3→16 3×3 stride 1×1 same}. */
    public String kind() {
        return signature();
    }

    /** e.g. {@code layer 'stage1.conv1' (Conv2d 3→16 3×3)}. */
    public String describe() {
        return "layer '" + (path.isEmpty() ? "?" : path) + "' (" + signature() + ")";
    }

    /** Type and attributes, shown in error messages. */
    protected abstract String signature();

    protected ShapeException error(String message) {
        return new ShapeException(describe() + ": " + message);
    }

    /** Attribute checks at construction time. */
    protected void require(boolean ok, String message) {
        if (!ok) {
            throw error(message);
        }
    }

    protected int[] requireRank(int[] shape, int rank, String what) {
        if (shape.length != rank) {
            throw error("expects " + what + " of rank " + rank + ", got shape " + Shapes.str(shape));
        }
        for (int d : shape) {
            if (d <= 0) {
                throw error("got an empty or negative dimension in input shape " + Shapes.str(shape));
            }
        }
        return shape;
    }

    /** Checks that dy has the shape the last forward produced, and that forward ran. */
    protected void requireGradShape(Tensor dy, Tensor output) {
        if (output == null || input == null) {
            throw error("backward called before forward");
        }
        if (!dy.sameShape(output)) {
            throw error("gradient of shape " + Shapes.str(dy.shape()) + " does not match the output shape "
                    + Shapes.str(output.shape()));
        }
    }
}
