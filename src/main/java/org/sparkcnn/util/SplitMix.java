package org.sparkcnn.util;

/**
 * SplitMix64 (Steele, Lea and Flood), the one source of seeded hashes in the project: dropout
 * masks, augmentation draws and per-task seeds are pure functions of their inputs built from it, so
 * that results do not depend on threads, task retries or the order in which work runs.
 */
public final class SplitMix {
    /** SplitMix64's increment, 2^64 / φ: the generator's state advances by it per draw. */
    public static final long GOLDEN = 0x9e3779b97f4a7c15L;

    private SplitMix() {
    }

    /** SplitMix64's finaliser: a bijective 64-bit mix (the draw after the state advanced to z). */
    public static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** A 64-bit hash of the parts, in order: seeds for each (seed, epoch, round, partition). */
    public static long seedOf(long... parts) {
        long z = GOLDEN;
        for (long p : parts) {
            z = mix(z + p * 0xbf58476d1ce4e5b9L + GOLDEN);
        }
        return z;
    }

    /** The top 53 bits of z as a double in [0, 1). */
    public static double unit(long z) {
        return (z >>> 11) * 0x1.0p-53;
    }
}
