package org.sparkcnn.layer;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Wall time of every leaf layer's forward and backward, for the benchmark's per-layer table.
 * Off unless {@link #start} installed one; then each leaf call costs two nanoTime reads.
 */
public final class Profiler {
    /** Accumulated figures of one layer. */
    public static final class Entry {
        public final AbstractLayer layer;
        public long forwardNanos, backwardNanos, forwardCalls, backwardCalls;

        Entry(AbstractLayer layer) {
            this.layer = layer;
        }
    }

    private static volatile Profiler active;
    private final Map<AbstractLayer, Entry> entries = new LinkedHashMap<>();

    private Profiler() {
    }

    /** Installs a fresh profiler for all layers of this JVM and returns it. */
    public static Profiler start() {
        Profiler p = new Profiler();
        active = p;
        return p;
    }

    public static void stop() {
        active = null;
    }

    static Profiler active() {
        return active;
    }

    synchronized void add(AbstractLayer layer, boolean forward, long nanos) {
        Entry e = entries.computeIfAbsent(layer, Entry::new);
        if (forward) {
            e.forwardNanos += nanos;
            e.forwardCalls++;
        } else {
            e.backwardNanos += nanos;
            e.backwardCalls++;
        }
    }

    /** Entries in the order layers first ran. */
    public synchronized Map<AbstractLayer, Entry> entries() {
        return new LinkedHashMap<>(entries);
    }
}
