package org.sparkcnn.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.spark.TaskContext;
import org.sparkcnn.kernel.Parallel;
import org.sparkcnn.model.ModelSpec;
import org.sparkcnn.train.PartitionTrainer;
import org.sparkcnn.train.TrainConfig;

/**
 * Model copies kept in an executor JVM between tasks, so a round costs no model construction and
 * no buffer allocation after the first: a task borrows a copy (with its own engine thread pool of
 * the task's size) and returns it. Concurrent tasks never share a copy. Every task overwrites the
 * whole state of the copy it borrows (weights, running statistics, optimiser, dropout seed), so
 * which copy a task gets cannot change its result.
 */
final class ExecutorModels {
    private static final Map<List<Object>, ConcurrentLinkedQueue<PartitionTrainer>> IDLE = new ConcurrentHashMap<>();

    private ExecutorModels() {
    }

    /** Copies are interchangeable when built from the same spec with the same optimiser and pool size. */
    private static List<Object> key(TrainConfig cfg, ModelSpec spec, int threads) {
        List<Object> k = new ArrayList<>(List.of(spec, threads));
        for (String name : new String[] {"optimizer", "momentum", "nesterov", "weightDecay", "optimizerState", "labelSmoothing"}) {
            k.add(cfg.get(name));
        }
        return k;
    }

    /** Engine threads of the running task: the threads key, else spark.task.cpus. */
    private static int threads(TrainConfig cfg) {
        int t = cfg.getInt("threads", 0);
        TaskContext task = TaskContext.get();
        return t > 0 ? t : task != null ? task.cpus() : 1;
    }

    /** A model copy for {@code cfg} with an engine pool of the task's size. */
    static PartitionTrainer borrow(TrainConfig cfg, ModelSpec spec) {
        int threads = threads(cfg);
        PartitionTrainer t = IDLE.computeIfAbsent(key(cfg, spec, threads), k -> new ConcurrentLinkedQueue<>()).poll();
        if (t != null) {
            return t;
        }
        return new PartitionTrainer(spec.build(0).setParallel(new Parallel(threads))
                .setLabelSmoothing(cfg.getDouble("labelSmoothing", 0)),
                cfg.optimizer(), cfg.get("optimizerState").equals("average"));
    }

    static void giveBack(TrainConfig cfg, ModelSpec spec, PartitionTrainer t) {
        IDLE.get(key(cfg, spec, threads(cfg))).add(t);
    }
}
