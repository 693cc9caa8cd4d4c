package org.sparkcnn.spark;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;
import org.sparkcnn.io.ModelFile;
import org.sparkcnn.kernel.Parallel;
import org.sparkcnn.model.Network;

/**
 * Inference copies of models kept in an executor JVM: a model's file is parsed once per executor,
 * and each task borrows a network built from it (with an engine pool of the task's size) and
 * gives it back, so that scoring builds no network per batch, row or task after the first tasks;
 * there are never more copies of a model than tasks that ran on the executor at once. Inference
 * never changes a copy, so which one a task gets cannot change its result. The few models last
 * used are kept; an executor that scores many models one after another drops the oldest.
 */
final class ExecutorScorers {
    private static final int MODELS_KEPT = 4;

    /** A network and the engine pool it runs on (its threads end when the copy is dropped). */
    record Copy(Network net, Parallel pool, int threads) {
    }

    /** A parsed model and its idle copies, by engine pool size. */
    private static final class Entry {
        final ModelFile file;
        final Map<Integer, ArrayDeque<Copy>> idle = new LinkedHashMap<>();

        Entry(ModelFile file) {
            this.file = file;
        }

        void close() {
            idle.values().forEach(q -> q.forEach(c -> c.pool.close()));
            idle.clear();
        }
    }

    private static final Map<String, Entry> MODELS = new LinkedHashMap<>(8, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
            if (size() > MODELS_KEPT) {
                eldest.getValue().close();
                return true;
            }
            return false;
        }
    };

    private ExecutorScorers() {
    }

    /** A network of the model with {@code fingerprint} (parsing {@code bytes} the first time). */
    static Copy borrow(String fingerprint, byte[] bytes, String source, int threads) throws IOException {
        ModelFile file;
        synchronized (MODELS) {
            Entry e = MODELS.get(fingerprint);
            if (e != null) {
                Copy idle = e.idle.computeIfAbsent(threads, t -> new ArrayDeque<>()).poll();
                if (idle != null) {
                    return idle;
                }
                file = e.file;
            } else {
                file = null;
            }
        }
        if (file == null) {
            file = ModelFile.read(new ByteArrayInputStream(bytes), source);
            synchronized (MODELS) {
                MODELS.putIfAbsent(fingerprint, new Entry(file));
            }
        }
        Network net = file.network();
        Parallel pool = new Parallel(threads);
        return new Copy(net.setParallel(pool), pool, threads);
    }

    static void giveBack(String fingerprint, Copy copy) {
        synchronized (MODELS) {
            Entry e = MODELS.get(fingerprint);
            if (e != null) {
                e.idle.computeIfAbsent(copy.threads, t -> new ArrayDeque<>()).add(copy);
                return;
            }
        }
        copy.pool.close();
    }
}
