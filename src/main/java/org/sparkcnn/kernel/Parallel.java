package org.sparkcnn.kernel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The intra-op thread pool. Work is split into at most {@link #threads()} contiguous chunks and
 * the calling thread runs the first one, so never more than {@code threads} threads compute.
 * Kernels split only over independent outputs (images, channels, rows), never over a sum, so
 * results do not depend on the thread count.
 * <p>
 * Workers wait parked on a generation counter; a call publishes its body and wakes them, so a
 * call allocates nothing (training steps make hundreds of calls).
 */
public final class Parallel implements AutoCloseable {
    /** Body of a parallel loop over {@code [start, end)}; {@code worker} indexes per-thread scratch. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end, int worker);
    }

    private static final ThreadLocal<Boolean> IN_WORKER = ThreadLocal.withInitial(() -> false);
    private static final AtomicInteger POOLS = new AtomicInteger();
    /** Spins before parking, so back-to-back calls do not pay a wake-up each. */
    private static final int SPINS = 20_000;
    private static volatile Parallel defaultPool;

    private final int threads;
    private final Thread[] workers;
    private final AtomicInteger remaining = new AtomicInteger();
    private volatile long generation;
    private volatile boolean closed;
    private RangeBody body;
    private int count;
    private int chunks;
    private Thread caller;
    private volatile Throwable failure;

    public Parallel(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("thread count must be at least 1, got " + threads);
        }
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        int id = POOLS.incrementAndGet();
        for (int i = 0; i < workers.length; i++) {
            final int chunk = i + 1;
            Thread t = new Thread(() -> work(chunk), "sparkcnn-" + id + "-" + chunk);
            t.setDaemon(true);
            workers[i] = t;
            t.start();
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

    private static int bound(int count, int chunks, int c) {
        return (int) ((long) count * c / chunks);
    }

    /** Runs {@code body} over {@code [0, count)} split into at most {@link #threads()} chunks. */
    public void forRange(int count, RangeBody body) {
        int chunks = Math.min(threads, count);
        if (chunks <= 1 || IN_WORKER.get() || caller == Thread.currentThread()) {
            // one chunk, or a nested call: run here
            if (count > 0) {
                body.run(0, count, 0);
            }
            return;
        }
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("thread pool is closed");
            }
            this.body = body;
            this.count = count;
            this.chunks = chunks;
            this.caller = Thread.currentThread();
            this.failure = null;
            remaining.set(chunks - 1);
            generation++; // publishes the fields above to the workers
            for (int c = 1; c < chunks; c++) {
                LockSupport.unpark(workers[c - 1]);
            }
            Throwable own = null;
            try {
                body.run(0, bound(count, chunks, 1), 0);
            } catch (Throwable t) {
                own = t;
            }
            for (int spin = 0; remaining.get() != 0 && spin < SPINS; spin++) {
                Thread.onSpinWait();
            }
            while (remaining.get() != 0) {
                LockSupport.park(this);
            }
            this.body = null;
            this.caller = null;
            Throwable t = own != null ? own : failure;
            if (t instanceof RuntimeException re) {
                throw re;
            } else if (t instanceof Error err) {
                throw err;
            } else if (t != null) {
                throw new RuntimeException(t);
            }
        }
    }

    private void work(int chunk) {
        IN_WORKER.set(true);
        long seen = 0;
        while (!closed) {
            long g = generation;
            if (g == seen) {
                for (int spin = 0; spin < SPINS && generation == seen && !closed; spin++) {
                    Thread.onSpinWait();
                }
                if (generation == seen && !closed) {
                    LockSupport.park(this);
                }
                continue;
            }
            seen = g;
            int n = chunks, total = count;
            if (chunk >= n) {
                continue;
            }
            Thread owner = caller;
            try {
                body.run(bound(total, n, chunk), bound(total, n, chunk + 1), chunk);
            } catch (Throwable t) {
                failure = t;
            }
            if (remaining.decrementAndGet() == 0) {
                LockSupport.unpark(owner);
            }
        }
    }

    @Override
    public void close() {
        if (this == defaultPool) {
            return;
        }
        closed = true;
        for (Thread t : workers) {
            LockSupport.unpark(t);
        }
    }
}
