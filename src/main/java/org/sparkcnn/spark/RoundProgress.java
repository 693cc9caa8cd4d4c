package org.sparkcnn.spark;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.util.LongAccumulator;
import scala.Tuple4;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Progress lines while a long round runs: every {@code seconds}, the images the partitions have
 * trained so far this epoch, images/s and the time left. Tasks count their images into an
 * accumulator, and the executors' heartbeats (spark.executor.heartbeatInterval, 10 s by default)
 * carry the counts of running tasks to the driver, where this listener reads them. Display only:
 * nothing the training computes reads the accumulator, and a retried task's count is replaced,
 * not added.
 */
final class RoundProgress extends SparkListener implements AutoCloseable {
    private final SparkContext sc;
    private final long accumulator, before, total, started = System.nanoTime();
    private final String label;
    private final PrintStream log;
    /** The latest count of each task attempt of the round. */
    private final Map<Long, Long> counts = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer;

    /**
     * Starts reporting: {@code before} images of the epoch were trained in earlier rounds, {@code total}
     * rows it has in all; {@code label} (e.g. "epoch 2/5") starts each line.
     */
    static RoundProgress start(SparkContext sc, LongAccumulator images, long before, long total, String label,
            int seconds, PrintStream log) {
        RoundProgress p = new RoundProgress(sc, images.id(), before, total, label, log);
        sc.addSparkListener(p);
        p.timer.scheduleAtFixedRate(p::report, seconds, seconds, TimeUnit.SECONDS);
        return p;
    }

    private RoundProgress(SparkContext sc, long accumulator, long before, long total, String label, PrintStream log) {
        this.sc = sc;
        this.accumulator = accumulator;
        this.before = before;
        this.total = total;
        this.label = label;
        this.log = log;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sparkcnn-progress");
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate update) {
        for (Tuple4<Object, Object, Object, scala.collection.immutable.Seq<AccumulableInfo>> task
                : CollectionConverters.asJava(update.accumUpdates())) {
            record((Long) task._1(), task._4());
        }
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
        if (end.taskInfo().successful()) {
            record(end.taskInfo().taskId(), end.taskInfo().accumulables());
        } else {
            counts.remove(end.taskInfo().taskId());   // its retry counts again from 0
        }
    }

    private void record(long task, scala.collection.Seq<AccumulableInfo> infos) {
        for (AccumulableInfo info : CollectionConverters.asJava(infos)) {
            if (info.id() == accumulator) {
                // the task's own count: a finished task's info also holds the driver's running total in value()
                Object v = info.update().isDefined() ? info.update().get() : null;
                if (v instanceof Number n) {
                    counts.put(task, n.longValue());
                }
            }
        }
    }

    /** The images trained this epoch as far as the driver has heard. */
    long done() {
        long n = before;
        for (long c : counts.values()) {
            n += c;
        }
        return n;
    }

    private void report() {
        long done = done();
        double seconds = (System.nanoTime() - started) / 1e9, rate = (done - before) / seconds;
        String left = rate > 0 ? String.format(Locale.ROOT, "%.0f s", Math.max(0, total - done) / rate) : "?";
        log.println(String.format(Locale.ROOT, "  %s  images %d/%d (%.0f%%)  images/s %.1f  time left %s", label, done,
                total, 100.0 * done / Math.max(1, total), rate, left));
        log.flush();
    }

    @Override
    public void close() {
        timer.shutdownNow();
        sc.removeSparkListener(this);
    }
}
