package org.sparkcnn.kernel;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The intra-op thread pool. Work is split into at most {@link #threads()} contiguous chunks and
 * the calling thread runs the first one, so never more than {@code threads} threads compute.
 * Kernels split only over independent outputs (images, channels, rows), never over a sum, so
 * results do not depend on the thread count.
 */
public final class Parallel implements AutoCloseable {
    /** Body of a parallel loop over {@code [start, end)}; {@code worker} indexes per-thread scratch. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end, int worker);
    }

    private static final ThreadLocal<Boolean> IN_WORKER = ThreadLocal.withInitial(() -> false);
    private static final AtomicInteger POOLS = new AtomicInteger();
    private static volatile Parallel defaultPool;

    private final int threads;
    private final ExecutorService helpers;
    @SuppressWarnings("unchecked")
    private final Future<?>[] pending;

    public Parallel(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("thread count must be at least 1, got " + threads);
        }
        this.threads = threads;
        this.pending = new Future<?>[threads];
        if (threads == 1) {
            helpers = null;
        } else {
            int id = POOLS.incrementAndGet();
            AtomicInteger n = new AtomicInteger();
            ThreadFactory tf = r -> {
                Thread t = new Thread(() -> {
                    IN_WORKER.set(true);
                    r.run();
                }, "sparkcnn-" + id + "-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            };
            helpers = Executors.newFixedThreadPool(threads - 1, tf);
        }
    }

    /**
     * The pool used when none is given: size from the system property {@code sparkcnn.threads},
     * else the number of available processors.
     */
    public static Parallel defaultPool() {
        Parallel p = defaultPool;
        if (p == null) {
            synchronized (Parallel.class) {
                p = defaultPool;
                if (p == null) {
                    p = new Parallel(defaultThreads());
                    defaultPool = p;
                }
            }
        }
        return p;
    }

    public static int defaultThreads() {
        String s = System.getProperty("sparkcnn.threads");
        if (s == null || s.isBlank()) {
            return Runtime.getRuntime().availableProcessors();
        }
        try {
            int t = Integer.parseInt(s.trim());
            if (t < 1) {
                throw new NumberFormatException();
            }
            return t;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("system property sparkcnn.threads must be a positive integer, got '" + s + "'");
        }
    }

    public int threads() {
        return threads;
    }

    /** Runs {@code body} over {@code [0, count)} split into at most {@link #threads()} chunks. */
    public void forRange(int count, RangeBody body) {
        int chunks = Math.min(threads, count);
        if (chunks <= 1 || IN_WORKER.get()) {
            if (count > 0) {
                body.run(0, count, 0);
            }
            return;
        }
        synchronized (this) {
            for (int c = 1; c < chunks; c++) {
                final int s = (int) ((long) count * c / chunks);
                final int e = (int) ((long) count * (c + 1) / chunks);
                final int w = c;
                pending[c] = helpers.submit(() -> body.run(s, e, w));
            }
            Throwable failure = null;
            try {
                body.run(0, (int) ((long) count / chunks), 0);
            } catch (Throwable t) {
                failure = t;
            }
            for (int c = 1; c < chunks; c++) {
                try {
                    pending[c].get();
                } catch (ExecutionException e) {
                    if (failure == null) {
                        failure = e.getCause();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    if (failure == null) {
                        failure = e;
                    }
                }
                pending[c] = null;
            }
            if (failure instanceof RuntimeException re) {
                throw re;
            } else if (failure instanceof Error err) {
                throw err;
            } else if (failure != null) {
                throw new RuntimeException(failure);
            }
        }
    }

    @Override
    public void close() {
        if (helpers != null && this != defaultPool) {
            helpers.shutdownNow();
        }
    }
}
