package org.sparkcnn.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Float sums that do not depend on the order or grouping in which partitions arrive. */
class OrderedSumTest {
    /** A float vector summand whose values make float addition visibly non-associative. */
    static final class Vec implements OrderedSum.Summand<Vec> {
        private static final long serialVersionUID = 1L;
        final float[] v;

        Vec(float[] v) {
            this.v = v;
        }

        @Override
        public Vec plus(Vec right) {
            for (int i = 0; i < v.length; i++) {
                v[i] += right.v[i];
            }
            return this;
        }
    }

    private static float[] values(int partition) {
        Random r = new Random(partition);
        float[] v = new float[16];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(8) - 4));
        }
        return v;
    }

    /** Merges the partitions' sums in a random arrival order and random groups (like treeAggregate's levels). */
    private static float[] shuffledTotal(int partitions, long seed) {
        Random r = new Random(seed);
        List<OrderedSum<Vec>> pending = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            pending.add(OrderedSum.of(p, new Vec(values(p))));
        }
        Collections.shuffle(pending, r);
        while (pending.size() > 1) {
            OrderedSum<Vec> a = pending.remove(r.nextInt(pending.size()));
            OrderedSum<Vec> b = pending.remove(r.nextInt(pending.size()));
            pending.add(r.nextBoolean() ? a.merge(b) : b.merge(a));
        }
        assertEquals(partitions, pending.get(0).partitions());
        return pending.get(0).total().v;
    }

    @Test
    void totalIsBitIdenticalWhateverTheArrivalOrder() {
        for (int partitions : new int[] {1, 2, 3, 5, 8, 13, 64}) {
            float[] first = shuffledTotal(partitions, 1);
            for (long seed = 2; seed < 30; seed++) {
                assertArrayEquals(first, shuffledTotal(partitions, seed), partitions + " partitions, order " + seed);
            }
        }
    }

    /** Without the fixed tree the same values do give different floats: the test above can fail. */
    @Test
    void plainArrivalOrderSumsDiffer() {
        boolean differ = false;
        for (long seed = 0; seed < 20 && !differ; seed++) {
            List<Integer> order = new ArrayList<>();
            for (int p = 0; p < 13; p++) {
                order.add(p);
            }
            Collections.shuffle(order, new Random(seed));
            float[] a = new float[16], b = new float[16];
            for (int i = 0; i < 13; i++) {
                float[] x = values(i), y = values(order.get(i));
                for (int k = 0; k < 16; k++) {
                    a[k] += x[k];
                    b[k] += y[k];
                }
            }
            differ = !java.util.Arrays.equals(a, b);
        }
        assertFalse(!differ, "naive sums never differed: the values do not exercise rounding");
    }

    @Test
    void emptySumHasNoTotalAndAPartitionCountsOnce() {
        assertNull(new OrderedSum<Vec>().total());
        OrderedSum<Vec> s = OrderedSum.of(3, new Vec(values(3)));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.merge(OrderedSum.of(3, new Vec(values(3)))));
        assertEquals("partition 3 was counted twice", e.getMessage());
    }

    /**
     * Placed by leafOf, the partitions of each group treeAggregate forms at its first level (i mod n)
     * merge into the few blocks of a contiguous run, so groups add up before the driver.
     */
    @Test
    void leavesOfATreeAggregateGroupMergeInsideTheGroup() {
        for (int partitions : new int[] {6, 7, 16, 30, 64, 100}) {
            int scale = Math.max((int) Math.ceil(Math.sqrt(partitions)), 2);
            int n = partitions / scale;
            java.util.Set<Integer> leaves = new java.util.HashSet<>();
            for (int r = 0; r < n; r++) {
                OrderedSum<Vec> group = new OrderedSum<>();
                int members = 0;
                for (int i = r; i < partitions; i += n) {
                    int leaf = OrderedSum.leafOf(i, partitions, 2);
                    leaves.add(leaf);
                    group.merge(OrderedSum.of(leaf, new Vec(values(i))));
                    members++;
                }
                assertTrue(group.blocks() <= Integer.bitCount(members),
                        partitions + " partitions, group " + r + ": " + group.blocks() + " blocks for " + members);
            }
            assertEquals(partitions, leaves.size(), "leaves are distinct");
        }
        assertEquals(5, OrderedSum.leafOf(5, 4, 2), "no intermediate level: the partition index");
    }
}
