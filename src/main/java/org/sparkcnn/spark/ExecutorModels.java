package org.sparkcnn.spark;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.spark.TaskContext;
import org.sparkcnn.kernel.Parallel;
import org.sparkcnn.model.ModelZoo;
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
    private static final Map<String, ConcurrentLinkedQueue<PartitionTrainer>> IDLE = new ConcurrentHashMap<>();

    private ExecutorModels() {
    }

    private static String key(TrainConfig cfg, int threads) {
        StringBuilder k = new StringBuilder().append(threads);
        for (String name : new String[] {"model", "optimizer", "momentum", "nesterov", "weightDecay", "optimizerState"}) {
            k.append('/').append(cfg.get(name));
        }
        return k.toString();
    }

    /** Engine threads of the running task: the threads key, else spark.task.cpus. */
    private static int threads(TrainConfig cfg) {
        int t = cfg.getInt("threads", 0);
        TaskContext task = TaskContext.get();
        return t > 0 ? t : task != null ? task.cpus() : 1;
    }

    /** A model copy for {@code cfg} with an engine pool of the task's size. */
    static PartitionTrainer borrow(TrainConfig cfg) {
        int threads = threads(cfg);
        PartitionTrainer t = IDLE.computeIfAbsent(key(cfg, threads), k -> new ConcurrentLinkedQueue<>()).poll();
        if (t != null) {
            return t;
        }
        return new PartitionTrainer(ModelZoo.build(cfg.get("model"), 0).setParallel(new Parallel(threads)),
                cfg.optimizer(), cfg.get("optimizerState").equals("average"));
    }

    static void giveBack(TrainConfig cfg, PartitionTrainer t) {
        IDLE.get(key(cfg, threads(cfg))).add(t);
    }
}
