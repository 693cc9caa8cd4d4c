package org.sparkcnn.spark;

import java.io.Serializable;
import java.util.ArrayList;

/**
 * Adds per-partition values in one fixed order whatever order Spark delivers them in, so that
 * float sums, and with them the trained weights, are bit-identical from run to run. Spark's
 * treeAggregate and reduce combine task results as they arrive; here each partition's value is a
 * leaf of a fixed binary tree over partition indexes: a block [s, s + 2^k) (s a multiple of 2^k)
 * becomes the sum left + right of its two halves as soon as both are present, and the blocks left
 * when all partitions are in (the binary decomposition of [0, P)) are added from left to right.
 * Used as both the seqOp and combOp state of treeAggregate.
 */
public final class OrderedSum<T extends OrderedSum.Summand<T>> implements Serializable {
    private static final long serialVersionUID = 1L;

    /** A value that can be added to the one on its right (may update and return itself). */
    public interface Summand<T> extends Serializable {
        T plus(T right);
    }

    /** Partitions [start, start + size), size a power of two, start a multiple of it. */
    static final class Block<T> implements Serializable {
        private static final long serialVersionUID = 1L;
        int start;
        int size;
        T value;

        Block() {
        }

        Block(int start, int size, T value) {
            this.start = start;
            this.size = size;
            this.value = value;
        }
    }

    /** Sorted by start, disjoint. */
    private final ArrayList<Block<T>> blocks = new ArrayList<>();

    /** The value at leaf {@code position} (a partition index, or {@link #leafOf}'s position for it). */
    public static <T extends Summand<T>> OrderedSum<T> of(int position, T value) {
        OrderedSum<T> s = new OrderedSum<>();
        s.insert(new Block<>(position, 1, value));
        return s;
    }

    /**
     * The leaf of partition {@code i} of {@code partitions} such that the groups treeAggregate
     * forms at its first level ({@code i mod n} with n = partitions / scale, as Spark 4 computes
     * them) are contiguous aligned runs of leaves, so they add up inside the executors instead of
     * all reaching the driver. Any fixed bijection keeps the sum deterministic; this one also
     * keeps it small. Without an intermediate level the leaf is the partition index.
     */
    public static int leafOf(int i, int partitions, int depth) {
        int scale = Math.max((int) Math.ceil(Math.pow(partitions, 1.0 / depth)), 2);
        if (depth < 2 || partitions <= scale + Math.ceil((double) partitions / scale)) {
            return i;
        }
        int n = partitions / scale;
        int perGroup = (partitions + n - 1) / n;
        int width = Integer.highestOneBit(perGroup) == perGroup ? perGroup : Integer.highestOneBit(perGroup) << 1;
        return (i % n) * width + i / n;
    }

    /** Takes in {@code other}'s blocks (other must not be used afterwards); returns this. */
    public OrderedSum<T> merge(OrderedSum<T> other) {
        for (Block<T> b : other.blocks) {
            insert(b);
        }
        other.blocks.clear();
        return this;
    }

    private void insert(Block<T> b) {
        while (true) {
            int at = position(b.start);
            if (at < blocks.size() && blocks.get(at).start == b.start) {
                throw new IllegalStateException("partition " + b.start + " was counted twice");
            }
            int sibling = b.start ^ b.size;
            int si = sibling < b.start ? at - 1 : at;
            if (si >= 0 && si < blocks.size() && blocks.get(si).start == sibling && blocks.get(si).size == b.size) {
                Block<T> s = blocks.remove(si);
                Block<T> left = sibling < b.start ? s : b, right = sibling < b.start ? b : s;
                b = new Block<>(left.start, 2 * b.size, left.value.plus(right.value));
                continue;
            }
            blocks.add(at, b);
            return;
        }
    }

    /** The index of the first block starting at or after {@code start}. */
    private int position(int start) {
        int i = 0;
        while (i < blocks.size() && blocks.get(i).start < start) {
            i++;
        }
        return i;
    }

    /** Blocks held (a measure of what merging this sum would ship). */
    public int blocks() {
        return blocks.size();
    }

    /** Partitions counted so far. */
    public int partitions() {
        int n = 0;
        for (Block<T> b : blocks) {
            n += b.size;
        }
        return n;
    }

    /** The sum of all partitions, left to right over the remaining blocks; null when there are none. */
    public T total() {
        T sum = null;
        for (Block<T> b : blocks) {
            sum = sum == null ? b.value : sum.plus(b.value);
        }
        return sum;
    }
}
