package org.sparkcnn.tensor;

import java.util.Arrays;

/**
 * A shape plus a flat row-major {@code float[]} (NCHW for images). The array may be shared
 * with another tensor of the same size (a reshaped view, e.g. Flatten). A tensor made by
 * {@link #slice} is a window of a larger array: its values are {@code data[offset …
 * offset + size())}. That is how a parameter, its gradient and a buffer live inside their
 * network's flat vectors; every other tensor has offset 0 and owns all of {@code data}.
 */
public final class Tensor {
    private final int[] shape;
    public final float[] data;
    /** Where the values start in {@link #data}; 0 unless made by {@link #slice}. */
    public final int offset;
    private final int size;

    public Tensor(int... shape) {
        this.shape = shape.clone();
        this.data = new float[Shapes.size(this.shape)];
        this.offset = 0;
        this.size = data.length;
    }

    /** Wraps {@code data}; its length must equal the product of the shape. */
    public Tensor(float[] data, int... shape) {
        this(data, 0, shape);
        if (data.length != size) {
            throw new IllegalArgumentException("data of length " + data.length
                    + " does not fit shape " + Shapes.str(this.shape));
        }
    }

    private Tensor(float[] data, int offset, int[] shape) {
        this.shape = shape.clone();
        this.data = data;
        this.offset = offset;
        this.size = Shapes.size(this.shape);
    }

    /** The window {@code data[offset … offset + ∏shape)} as a tensor of that shape (no copy). */
    public static Tensor slice(float[] data, int offset, int... shape) {
        int n = Shapes.size(shape);
        if (offset < 0 || offset > data.length - n) {
            throw new IllegalArgumentException("a slice of shape " + Shapes.str(shape) + " at offset " + offset
                    + " does not fit an array of length " + data.length);
        }
        return new Tensor(data, offset, shape);
    }

    public int rank() {
        return shape.length;
    }

    public int dim(int i) {
        return shape[i];
    }

    /** A copy of the shape. */
    public int[] shape() {
        return shape.clone();
    }

    public int size() {
        return size;
    }

    public boolean sameShape(Tensor other) {
        return Arrays.equals(shape, other.shape);
    }

    /** A tensor of another shape (of the same size) over the same values. */
    public Tensor view(int... newShape) {
        if (Shapes.size(newShape) != size) {
            throw new IllegalArgumentException("a tensor of shape " + Shapes.str(shape) + " cannot be viewed as "
                    + Shapes.str(newShape));
        }
        return new Tensor(data, offset, newShape);
    }

    /** A tensor of its own (offset 0) holding a copy of the values. */
    public Tensor copy() {
        return new Tensor(Arrays.copyOfRange(data, offset, offset + size), shape);
    }

    public void fill(float v) {
        Arrays.fill(data, offset, offset + size, v);
    }

    public void copyFrom(Tensor other) {
        if (!Arrays.equals(shape, other.shape)) {
            throw new IllegalArgumentException("cannot copy a tensor of shape " + Shapes.str(other.shape)
                    + " into one of shape " + Shapes.str(shape));
        }
        System.arraycopy(other.data, other.offset, data, offset, size);
    }

    /**
     * Returns {@code cached} when it already has the wanted shape, else a new tensor: layers
     * keep their output and gradient buffers this way, so that steady state allocates nothing.
     */
    public static Tensor reuse(Tensor cached, int... shape) {
        if (cached != null && Arrays.equals(cached.shape, shape)) {
            return cached;
        }
        return new Tensor(shape);
    }

    /** {@link #reuse(Tensor, int...)} for rank 2 without allocating a shape array when it matches. */
    public static Tensor reuse(Tensor cached, int d0, int d1) {
        if (cached != null && cached.shape.length == 2 && cached.shape[0] == d0 && cached.shape[1] == d1) {
            return cached;
        }
        return new Tensor(d0, d1);
    }

    /** {@link #reuse(Tensor, int...)} for rank 4 without allocating a shape array when it matches. */
    public static Tensor reuse(Tensor cached, int d0, int d1, int d2, int d3) {
        int[] s = cached == null ? null : cached.shape;
        if (s != null && s.length == 4 && s[0] == d0 && s[1] == d1 && s[2] == d2 && s[3] == d3) {
            return cached;
        }
        return new Tensor(d0, d1, d2, d3);
    }

    /** Like {@link #reuse(Tensor, int...)} with the shape of {@code like}. */
    public static Tensor reuseLike(Tensor cached, Tensor like) {
        if (cached != null && Arrays.equals(cached.shape, like.shape)) {
            return cached;
        }
        return new Tensor(like.shape);
    }

    @Override
    public String toString() {
        return "Tensor" + Shapes.str(shape);
    }
}
