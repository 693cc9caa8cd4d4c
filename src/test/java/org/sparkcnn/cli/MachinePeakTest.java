package org.sparkcnn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.sparkcnn.io.JsonText;
import org.sparkcnn.kernel.Parallel;

/** jobs/bench.sh --peak and the share of peak of --kernel conv: the arithmetic counted, short runs (no timing asserted). */
class MachinePeakTest {
    @Test
    void theFlopCountIsWhatTheChainsCompute() {
        // v = v·1 + 1 adds exactly 1 per FMA and lane, so the sum grows by the FMAs of the call (all exact in float)
        float none = MachinePeak.fmaChains(0, 1f, 1f, 0f), one = MachinePeak.fmaChains(1, 1f, 1f, 0f);
        float full = MachinePeak.fmaChains(MachinePeak.TURNS, 1f, 1f, 0f);
        assertEquals(MachinePeak.LANES * MachinePeak.CHAINS, one - none, 0f, "FMAs per turn");
        assertEquals(MachinePeak.FLOPS_PER_CALL, 2L * (long) (full - none), "FLOPs per call");
        assertEquals(MachinePeak.LANES * (MachinePeak.CHAINS * (MachinePeak.CHAINS - 1) / 2f), none, 0f, "chain i starts at i");
        // and the multiply is done: chain i ends at (1 + i)·2^3
        assertEquals(MachinePeak.LANES * 8f * (MachinePeak.CHAINS * (MachinePeak.CHAINS + 1) / 2f),
                MachinePeak.fmaChains(3, 2f, 0f, 1f), 0f);
        assertEquals(MachinePeak.S.vectorBitSize() / 32, MachinePeak.LANES);
    }

    @Test
    void theTriadComputesBPlusSTimesCOnEveryElementAndCountsThreeFloatsEach() {
        int n = 5 * MachinePeak.LANES + 3; // a vector part and a scalar tail
        float[] a = new float[n + 2], b = new float[n + 2], c = new float[n + 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = i;
            c[i] = 2 * i + 1;
        }
        MachinePeak.triad(a, b, c, 0.5f, 1, n + 1);
        assertEquals(0f, a[0]);
        assertEquals(0f, a[n + 1]);
        for (int i = 1; i <= n; i++) {
            assertEquals(b[i] + 0.5f * c[i], a[i], 0f, "element " + i);
        }
        assertEquals(12, MachinePeak.TRIAD_BYTES);
    }

    @Test
    void shortProbesGiveAPositiveFiniteRatePerWindowOnOneAndTwoThreads() {
        try (Parallel pool = new Parallel(2)) {
            for (int t = 1; t <= 2; t++) {
                MachinePeak.Rates f = MachinePeak.fma(pool, t, 0.05, 0.1, 3);
                MachinePeak.Rates b = MachinePeak.bandwidth(pool, t, 1, 0.02, 0.06, 3);
                for (MachinePeak.Rates r : List.of(f, b)) {
                    assertEquals(3, r.perWindow().length);
                    for (double v : r.perWindow()) {
                        assertTrue(v > 0 && Double.isFinite(v), t + " threads: " + v);
                    }
                    assertTrue(r.cpuShare() > 0 && Double.isFinite(r.cpuShare()), "cpu share " + r.cpuShare());
                }
            }
        }
    }

    @Test
    void theFmaStepBesideTheKernelRunsOnEveryThreadAndCountsThem() {
        float[] sink = new float[3];
        try (Parallel pool = new Parallel(3)) {
            MachinePeak.fmaStep(pool, 3, sink).run();
        }
        for (float v : sink) {
            // 12 chains × lanes converging to 2 (v·0.5 + 1), summed over the calls
            assertEquals(2f * MachinePeak.CHAINS * MachinePeak.LANES * MachinePeak.CALLS_PER_STEP, v, 1e-3f * v);
        }
        assertEquals(3L * MachinePeak.CALLS_PER_STEP * MachinePeak.FLOPS_PER_CALL, MachinePeak.stepFlops(3));
        assertEquals(2L * MachinePeak.CALLS_PER_STEP * MachinePeak.FLOPS_PER_CALL, MachinePeak.stepFlops(2));
    }

    @Test
    void benchPeakPrintsItsFiguresAndEndsWithTheJsonLine() {
        JobRuns.Result r = JobRuns.inJvm(Bench::run, "--peak", "--threads", "2", "--seconds", "0.2", "--warmup", "0.1",
                "--windows", "2", "--bandwidth-mb", "2");
        assertEquals(0, r.code(), r.toString());
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.get(0).startsWith("cpu "), r.out());
        assertTrue(r.out().contains("FMA peak, 1 thread:") && r.out().contains("FMA peak, 2 threads:")
                && r.out().contains("triad 3 × 2 MiB, 2 threads:"), r.out());
        Map<?, ?> json = (Map<?, ?>) JsonText.parse(lines.get(lines.size() - 1), "last line");
        for (String k : List.of("peak_gflops_1", "peak_gflops_n", "bandwidth_gbs_1", "bandwidth_gbs_n")) {
            double v = ((Number) json.get(k)).doubleValue();
            assertTrue(v > 0 && Double.isFinite(v), k + " = " + v);
        }
        assertEquals(2, json.get("threads"));
        assertEquals(MachinePeak.S.vectorBitSize(), json.get("vector_bits"));
        assertTrue(json.get("cpu") instanceof String s && !s.isEmpty(), String.valueOf(json.get("cpu")));
    }

    @Test
    void theConvKernelGivesItsShareOfAGivenOrProbedPeak() {
        String[] conv = {"--kernel", "conv", "--in", "2", "--out", "4", "--size", "6", "--kernel-size", "3", "--batch", "2",
            "--threads", "2", "--seconds", "0.1", "--warmup", "0.05", "--windows", "1"};
        JobRuns.Result given = JobRuns.inJvm(Bench::run, append(conv, "--peak-gflops", "50"));
        assertEquals(0, given.code(), given.toString());
        assertTrue(given.out().contains("FMA peak on 2 threads 50.0 GFLOP/s (given by --peak-gflops)"), given.out());
        Map<?, ?> g = lastJson(given);
        assertEquals("--peak-gflops", g.get("peak_source"));
        assertEquals(50.0, ((Number) g.get("peak_gflops")).doubleValue());
        double fwd = ((Number) g.get("forward_gflops")).doubleValue();
        assertEquals(fwd * 2, ((Number) g.get("forward_peak_percent")).doubleValue(), 0.2, "100 % × fwd / 50");
        assertTrue(given.out().contains("% of peak"), given.out());

        JobRuns.Result probed = JobRuns.inJvm(Bench::run, conv);
        assertEquals(0, probed.code(), probed.toString());
        Map<?, ?> p = lastJson(probed);
        assertEquals("probe", p.get("peak_source"));
        double peak = ((Number) p.get("peak_gflops")).doubleValue();
        assertTrue(peak > 0 && Double.isFinite(peak), "peak " + peak);
        assertTrue(probed.out().contains("FMA chains timed in the same windows as the kernel"), probed.out());
    }

    @Test
    void badPeakOptionsGetOneLineAndExit2() {
        String[][] bad = {{"--peak", "--model", "lenet5"}, {"--peak", "--kernel", "conv"}, {"--peak", "--bandwidth-mb", "0"},
            {"--peak", "--bandwidth-mb", "100000"}, {"--model", "lenet5", "--mode", "train", "--peak-gflops", "100"},
            {"--kernel", "conv", "--in", "1", "--out", "1", "--size", "4", "--kernel-size", "3", "--peak-gflops", "-5"}};
        for (String[] args : bad) {
            JobRuns.Result r = JobRuns.inJvm(Bench::run, args);
            assertEquals(2, r.code(), String.join(" ", args) + ": " + r);
            assertEquals(1, r.errLines().size(), r.toString());
            assertTrue(r.err().startsWith("error: --"), r.err());
            assertEquals("", r.out());
        }
    }

    private static Map<?, ?> lastJson(JobRuns.Result r) {
        List<String> lines = r.out().lines().toList();
        return (Map<?, ?>) JsonText.parse(lines.get(lines.size() - 1), "last line");
    }

    private static String[] append(String[] a, String... more) {
        String[] b = java.util.Arrays.copyOf(a, a.length + more.length);
        System.arraycopy(more, 0, b, a.length, more.length);
        return b;
    }
}
