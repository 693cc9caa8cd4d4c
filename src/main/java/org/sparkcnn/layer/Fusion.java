package org.sparkcnn.layer;

/**
 * Whether layers are built to run fused (docs/performance.md, "Fused batch norm, ReLU and residual
 * add"): on unless the system property {@code sparkcnn.fuse} is {@code false}, which runs batch
 * norm, ReLU and the residual add as separate passes, with bit-identical results, for comparisons.
 * A built tree is switched with {@code block.Sequential.setFusion}.
 */
public final class Fusion {
    private Fusion() {
    }

    public static boolean byDefault() {
        return !"false".equalsIgnoreCase(System.getProperty("sparkcnn.fuse", "true").trim());
    }
}
