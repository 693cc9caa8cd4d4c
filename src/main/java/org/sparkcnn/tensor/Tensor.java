package org.sparkcnn.tensor;

import java.util.Arrays;

/**
 * A shape plus a flat row-major {@code float[]} (NCHW for images). The array may be shared
 * with another tensor of the same size (a reshaped view, e.g. Flatten).
 */
public final class Tensor {
    private final int[] shape;
    public final float[] data;

    public Tensor(int... shape) {
        this.shape = shape.clone();
        this.data = new float[Shapes.size(this.shape)];
    }

    /** Wraps {@code data}; its length must equal the product of the shape. */
    public Tensor(float[] data, int... shape) {
        this.shape = shape.clone();
        if (data.length != Shapes.size(this.shape)) {
            throw new IllegalArgumentException("data of length " + data.length
                    + " does not fit shape " + Shapes.str(this.shape));
        }
        this.data = data;
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
        return data.length;
    }

    public boolean sameShape(Tensor other) {
        return Arrays.equals(shape, other.shape);
    }

    /** A tensor of another shape over the same array. */
    public Tensor view(int... newShape) {
        return new Tensor(data, newShape);
    }

    public Tensor copy() {
        return new Tensor(data.clone(), shape);
    }

    public void fill(float v) {
        Arrays.fill(data, v);
    }

    public void copyFrom(Tensor other) {
        if (!Arrays.equals(shape, other.shape)) {
            throw new IllegalArgumentException("cannot copy a tensor of shape " + Shapes.str(other.shape)
                    + " into one of shape " + Shapes.str(shape));
        }
        System.arraycopy(other.data, 0, data, 0, data.length);
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
