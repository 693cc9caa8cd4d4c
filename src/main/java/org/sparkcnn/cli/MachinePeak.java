package org.sparkcnn.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.sparkcnn.kernel.Parallel;

/**
 * This machine's yardsticks, measured (jobs/bench.sh --peak): the FP32 FMA peak of the Vector API
 * species the kernels use, and the memory bandwidth of a STREAM-like triad over arrays well beyond
 * the last-level cache. Hosts differ (two 512-bit FMA units per Intel core, one 512-bit FMA as two
 * halves on AMD), so kernel GFLOP/s are read as a share of this figure from the same machine.
 */
final class MachinePeak {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int LANES = S.length();
    /**
     * Independent FMA chains per thread: at least latency (4 cycles) × units (2) on current cores,
     * with room, and few enough to stay in registers with the two operands even with AVX2's 16.
     */
    static final int CHAINS = 12;
    /** Loop turns per call of {@link #fmaChains}: ~40 µs, fine enough to stop at a deadline. */
    static final int TURNS = 1 << 14;
    /** FLOPs of one call: each FMA is a multiply and an add on every lane. */
    static final long FLOPS_PER_CALL = 2L * LANES * CHAINS * TURNS;
    /** Bytes the triad moves per element: b and c read, a written (STREAM's count, no write-allocate). */
    static final int TRIAD_BYTES = 3 * Float.BYTES;
    /** More allocated than this in the probe's windows means C2 ran the Vector API's boxing fallback. */
    static final long FALLBACK_BYTES = 1 << 20;

    private MachinePeak() {
    }

    /**
     * {@code turns} × CHAINS dependent FMAs per lane, v = v·a + b in each chain (chain i starts at
     * seed + i), all in registers; returns the sum of every chain's lanes so the JIT cannot drop the
     * work. Small, so that C2 compiles it whole with the Vector API intrinsified.
     */
    static float fmaChains(int turns, float a, float b, float seed) {
        FloatVector va = FloatVector.broadcast(S, a), vb = FloatVector.broadcast(S, b);
        FloatVector v0 = FloatVector.broadcast(S, seed), v1 = FloatVector.broadcast(S, seed + 1);
        FloatVector v2 = FloatVector.broadcast(S, seed + 2), v3 = FloatVector.broadcast(S, seed + 3);
        FloatVector v4 = FloatVector.broadcast(S, seed + 4), v5 = FloatVector.broadcast(S, seed + 5);
        FloatVector v6 = FloatVector.broadcast(S, seed + 6), v7 = FloatVector.broadcast(S, seed + 7);
        FloatVector v8 = FloatVector.broadcast(S, seed + 8), v9 = FloatVector.broadcast(S, seed + 9);
        FloatVector v10 = FloatVector.broadcast(S, seed + 10), v11 = FloatVector.broadcast(S, seed + 11);
        for (int t = 0; t < turns; t++) {
            v0 = v0.fma(va, vb);
            v1 = v1.fma(va, vb);
            v2 = v2.fma(va, vb);
            v3 = v3.fma(va, vb);
            v4 = v4.fma(va, vb);
            v5 = v5.fma(va, vb);
            v6 = v6.fma(va, vb);
            v7 = v7.fma(va, vb);
            v8 = v8.fma(va, vb);
            v9 = v9.fma(va, vb);
            v10 = v10.fma(va, vb);
            v11 = v11.fma(va, vb);
        }
        FloatVector s = v0.add(v1).add(v2).add(v3).add(v4).add(v5).add(v6).add(v7).add(v8).add(v9).add(v10).add(v11);
        return s.reduceLanes(VectorOperators.ADD);
    }

    /** a[i] = b[i] + s·c[i] for i in [from, to). */
    static void triad(float[] a, float[] b, float[] c, float s, int from, int to) {
        FloatVector vs = FloatVector.broadcast(S, s);
        int i = from;
        for (int end = to - LANES; i <= end; i += LANES) {
            FloatVector.fromArray(S, c, i).fma(vs, FloatVector.fromArray(S, b, i)).intoArray(a, i);
        }
        for (; i < to; i++) {
            a[i] = b[i] + s * c[i];
        }
    }

    /**
     * Many short calls of both kernels, so that C2 compiles them as whole methods: the long calls of
     * the windows would only ever get an on-stack replacement, and until then run the Vector API's
     * fallback, thousands of times slower. Returns a result for the caller to check.
     */
    static float compile() {
        float acc = 0;
        float[] a = new float[4 * LANES + 3], b = new float[a.length], c = new float[a.length];
        for (int i = 0; i < COMPILE_CALLS; i++) {
            acc += fmaChains(16, 0.5f, 1f, i & 7);
            triad(a, b, c, 0.5f, 0, a.length);
        }
        return acc + a[0];
    }

    /** Calls of each kernel in {@link #compile}: beyond C2's invocation threshold (Tier4InvocationThreshold 5000). */
    static final int COMPILE_CALLS = 20_000;

    /**
     * Per-window rates, what the windows allocated, and the CPU time the process got over them as a
     * share of wall time × threads: below ~0.9 other processes took cores, and the rate is low by as much.
     */
    record Rates(double[] perWindow, long allocatedBytes, double cpuShare) {
    }

    /** CPU time of this process so far (all threads, JIT and GC included), ns. */
    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /**
     * GFLOP/s of FMA chains on {@code threads} threads (1: this thread; more: {@code pool}, which
     * must have that many), per window after {@code warmup} seconds; the windows share {@code seconds}.
     */
    static Rates fma(Parallel pool, int threads, double warmup, double seconds, int windows) {
        check(pool, threads);
        finite(compile());
        long[] calls = new long[threads];
        float[] sink = new float[threads];
        window(pool, threads, (long) (warmup * 1e9), calls, sink);
        double[] rates = new double[windows];
        long bytes0 = Bench.allocatedBytes(), cpu0 = cpuNanos(), wall0 = System.nanoTime();
        for (int w = 0; w < windows; w++) {
            long t0 = System.nanoTime();
            window(pool, threads, (long) (seconds / windows * 1e9), calls, sink);
            long total = 0;
            for (long c : calls) {
                total += c;
            }
            rates[w] = total * (double) FLOPS_PER_CALL / (System.nanoTime() - t0);
        }
        double share = (cpuNanos() - cpu0) / ((double) (System.nanoTime() - wall0) * threads);
        long allocated = Bench.allocatedBytes() - bytes0;
        for (float s : sink) {
            finite(s);
        }
        return new Rates(rates, allocated, share);
    }

    /** Every thread runs FMA calls until {@code nanos} from now; calls[worker] and sink[worker] receive its count and result. */
    private static void window(Parallel pool, int threads, long nanos, long[] calls, float[] sink) {
        long deadline = System.nanoTime() + nanos;
        Parallel.RangeBody body = (start, end, worker) -> {
            long n = 0;
            float acc = 0;
            do {
                acc += fmaChains(TURNS, 0.5f, 1f, worker);
                n++;
            } while (System.nanoTime() < deadline);
            calls[worker] = n;
            sink[worker] = acc / n;
        };
        if (threads == 1) {
            body.run(0, 1, 0);
        } else {
            pool.forRange(threads, body);
        }
    }

    /** fmaChains calls per thread in one run of {@link #fmaStep}: ~2 ms, so waking the pool's threads costs little. */
    static final int CALLS_PER_STEP = 50;

    /**
     * One run of fixed work, {@link #CALLS_PER_STEP} FMA calls on each of {@code threads} threads, to be timed
     * like any other step (window by window beside a kernel); {@link #stepFlops} counts it. Each
     * thread leaves its result in sink[worker] (length {@code threads}).
     */
    static Runnable fmaStep(Parallel pool, int threads, float[] sink) {
        check(pool, threads);
        finite(compile());
        Parallel.RangeBody body = (start, end, worker) -> {
            float acc = 0;
            for (int c = 0; c < CALLS_PER_STEP; c++) {
                acc += fmaChains(TURNS, 0.5f, 1f, c);
            }
            sink[worker] = acc;
            finite(acc);
        };
        return threads == 1 ? () -> body.run(0, 1, 0) : () -> pool.forRange(threads, body);
    }

    /** FLOPs of one run of {@link #fmaStep} on {@code threads} threads. */
    static long stepFlops(int threads) {
        return (long) threads * CALLS_PER_STEP * FLOPS_PER_CALL;
    }

    /**
     * GB/s (bytes read + written) of the triad over three arrays of {@code megabytes} MiB each on
     * {@code threads} threads, per window (at least one pass each) after {@code warmup} seconds (at least 3 passes).
     */
    static Rates bandwidth(Parallel pool, int threads, int megabytes, double warmup, double seconds, int windows) {
        check(pool, threads);
        finite(compile());
        int n = (int) (megabytes * (1L << 20) / Float.BYTES);
        float[] a = new float[n], b = new float[n], c = new float[n];
        java.util.Arrays.fill(b, 1f);
        java.util.Arrays.fill(c, 2f);
        Parallel.RangeBody body = (from, to, worker) -> triad(a, b, c, 0.5f, from, to);
        Runnable pass = threads == 1 ? () -> triad(a, b, c, 0.5f, 0, n) : () -> pool.forRange(n, body);
        Bench.warm(pass, warmup);
        long bytes0 = Bench.allocatedBytes(), cpu0 = cpuNanos(), wall0 = System.nanoTime();
        double[] rates = Bench.windows(pass, seconds, windows, new long[1]);
        for (int w = 0; w < windows; w++) {
            rates[w] *= (double) n * TRIAD_BYTES / 1e9; // passes/s to GB/s
        }
        double share = (cpuNanos() - cpu0) / ((double) (System.nanoTime() - wall0) * threads);
        long allocated = Bench.allocatedBytes() - bytes0;
        if (a[n - 1] != 2f || a[0] != 2f) { // 1 + 0.5·2
            throw new IllegalStateException("triad produced " + a[0] + ", " + a[n - 1]);
        }
        return new Rates(rates, allocated, share);
    }

    /** The results consumed: v·0.5 + 1 converges to 2, so anything else but a finite value means wrong arithmetic. */
    private static void finite(float v) {
        if (!Float.isFinite(v)) {
            throw new IllegalStateException("FMA probe produced " + v);
        }
    }

    private static void check(Parallel pool, int threads) {
        if (threads < 1 || threads > 1 && (pool == null || pool.threads() < threads)) {
            throw new IllegalArgumentException("the probe needs a pool of " + threads + " threads");
        }
    }

    /** The first value of {@code field} in /proc/cpuinfo ("model name", "cpu MHz"), or null when there is none. */
    static String cpuInfo(String field) {
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
        } catch (IOException | RuntimeException e) { // not Linux, or not readable: the figure is just unnamed
            return null;
        }
        for (String l : lines) {
            int colon = l.indexOf(':');
            if (colon > 0 && l.substring(0, colon).strip().equals(field)) {
                String v = l.substring(colon + 1).strip();
                return v.isEmpty() ? null : v;
            }
        }
        return null;
    }
}
