package org.sparkcnn.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.sparkcnn.data.Dataset;
import org.sparkcnn.kernel.ConvGeometry;
import org.sparkcnn.kernel.Convolution;
import org.sparkcnn.kernel.Parallel;
import org.sparkcnn.layer.AbstractLayer;
import org.sparkcnn.layer.Conv2d;
import org.sparkcnn.layer.Padding;
import org.sparkcnn.layer.Param;
import org.sparkcnn.layer.Profiler;
import org.sparkcnn.model.ModelLibrary;
import org.sparkcnn.model.ModelZoo;
import org.sparkcnn.model.Network;
import org.sparkcnn.optim.Sgd;
import org.sparkcnn.io.JsonText;
import org.sparkcnn.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * jobs/bench.sh: throughput of the engine alone (no Spark). Warm-up, then timed windows; prints
 * median, min and max, and as its last line one JSON object. Allocation is the JVM's per-thread
 * allocation counter summed over all threads across the timed steps.
 */
public final class Bench {
    private Bench() {
    }

    public static void main(String[] args) {
        CliSpark.main(args, Bench::run);
    }

    @Command(name = "jobs/bench.sh", sortOptions = false, description = {
        "Throughput of the engine alone (no Spark): a model's training step or inference pass (--model, --mode), one",
        "convolution (--kernel conv, also as a share of this machine's FMA peak), or the machine's own FP32 FMA peak and",
        "memory bandwidth (--peak). Warm-up, then timed windows; prints median, min and max, and as its last line one",
        "JSON object.", ""})
    static final class Options {
        @Option(names = "--model", paramLabel = "NAME", order = 1,
                description = "a library network (jobs/model.sh list) or a description file")
        String model;

        @Option(names = "--mode", paramLabel = "train|infer", order = 2,
                description = "train (SGD step as in models.md) or infer (inference-mode forward)")
        String mode;

        @Option(names = "--input", paramLabel = "CxHxW", order = 3,
                description = "image shape (default 1x28x28: Fashion-MNIST's images when installed, else noise)")
        String inputText;

        @Option(names = "--classes", paramLabel = "N", defaultValue = "10", order = 4,
                description = "outputs (default: ${DEFAULT-VALUE})")
        int classes;

        @Option(names = "--layers", order = 5,
                description = "add a per-layer table: forward and backward ms, GFLOP/s, share of the step")
        boolean layers;

        @Option(names = "--kernel", paramLabel = "conv", order = 6, description = "time one convolution instead")
        String kernel;

        @Option(names = "--in", paramLabel = "C", defaultValue = "-1", order = 7,
                description = "--kernel conv: input channels")
        int in;

        @Option(names = "--out", paramLabel = "K", defaultValue = "-1", order = 8,
                description = "--kernel conv: output channels")
        int out;

        @Option(names = "--size", paramLabel = "H", defaultValue = "-1", order = 9,
                description = "--kernel conv: image height and width")
        int size;

        @Option(names = "--kernel-size", paramLabel = "k", defaultValue = "-1", order = 10,
                description = "--kernel conv: kernel height and width")
        int kernelSize;

        @Option(names = "--stride", paramLabel = "s", defaultValue = "1", order = 11,
                description = "--kernel conv: stride (default: ${DEFAULT-VALUE})")
        int stride;

        @Option(names = "--padding", paramLabel = "p", defaultValue = "-1", order = 12,
                description = "--kernel conv: cells on every side (default (k-1)/2, i.e. same at stride 1)")
        int padding;

        @Option(names = "--impl", paramLabel = "auto|direct|im2col", split = ",", order = 13,
                description = "--kernel conv: implementation(s), timed window by window in turn (default auto)")
        List<String> implNames = List.of("auto");

        @Option(names = "--peak-gflops", paramLabel = "G", defaultValue = "0", order = 14,
                description = "--kernel conv: the --threads FMA peak (GFLOP/s, from --peak) to give shares of (default:"
                        + " FMA chains timed in the kernel's windows, alternating with it)")
        double peakGflops;

        @Option(names = "--peak", order = 15,
                description = "measure this machine instead: FP32 FMA peak (Vector API FMA chains in registers) and memory"
                        + " bandwidth (triad a = b + s·c), each on 1 and --threads threads; --seconds and --warmup are"
                        + " split over these measurements")
        boolean peak;

        @Option(names = "--bandwidth-mb", paramLabel = "MB", defaultValue = "128", order = 16,
                description = "--peak: MiB of each of the triad's three arrays, well beyond the last-level cache (default:"
                        + " ${DEFAULT-VALUE})")
        int bandwidthMb;

        @Option(names = "--batch", paramLabel = "N", defaultValue = "-1", order = 17,
                description = "images per step (default 64 for train and kernels, 256 for infer)")
        int batch;

        @Option(names = "--threads", paramLabel = "N", order = 18,
                description = "intra-op threads (default: available processors, here ${DEFAULT-VALUE})")
        int threads = Runtime.getRuntime().availableProcessors();

        @Option(names = "--seconds", paramLabel = "S", defaultValue = "10", order = 19,
                description = "total timed seconds, split into --windows windows (default: ${DEFAULT-VALUE})")
        double seconds;

        @Option(names = "--windows", paramLabel = "N", defaultValue = "5", order = 20,
                description = "timed windows (default: ${DEFAULT-VALUE})")
        int windows;

        @Option(names = "--warmup", paramLabel = "S", defaultValue = "10", order = 21,
                description = "seconds of untimed steps first (default: ${DEFAULT-VALUE}: the JIT needs them)")
        double warmup;

        @Option(names = {"-h", "--help"}, usageHelp = true, order = 99, description = "this help")
        boolean help;

        int[] input = ModelZoo.MNIST;
        List<Convolution.Impl> impls;
    }

    /** The options of {@code a}, checked; null when --help printed the usage. */
    static Options parse(String[] a) {
        Options o = new Options();
        if (!CommandLines.parse(o, a)) {
            return null;
        }
        for (Object[] v : new Object[][] {{"--classes", o.classes}, {"--threads", o.threads}, {"--windows", o.windows},
            {"--stride", o.stride}}) {
            if ((int) v[1] < 1) {
                throw new IllegalArgumentException(v[0] + " takes an integer >= 1, got " + v[1]);
            }
        }
        if (o.batch == 0 || o.batch < -1) {
            throw new IllegalArgumentException("--batch takes an integer >= 1, got " + o.batch);
        }
        if (!(o.seconds > 0 && Double.isFinite(o.seconds)) || !(o.warmup >= 0 && Double.isFinite(o.warmup))) {
            throw new IllegalArgumentException("--seconds takes a number > 0 and --warmup one >= 0");
        }
        if (o.inputText != null) {
            o.input = ModelTool.shape(o.inputText, "--input");
        }
        o.impls = new ArrayList<>();
        for (String s : o.implNames) {
            o.impls.add(Convolution.Impl.parse(s, "--impl"));
        }
        if (!(o.peakGflops >= 0 && Double.isFinite(o.peakGflops))) {
            throw new IllegalArgumentException("--peak-gflops takes a number > 0 (GFLOP/s), got " + o.peakGflops);
        }
        if (o.peakGflops > 0 && o.kernel == null) {
            throw new IllegalArgumentException("--peak-gflops applies to --kernel conv only");
        }
        if (o.peak) {
            if (o.kernel != null || o.model != null) {
                throw new IllegalArgumentException("--peak measures the machine alone: give it without --model and --kernel");
            }
            long heap = Runtime.getRuntime().maxMemory();
            if (o.bandwidthMb < 1 || 3L * o.bandwidthMb * (1L << 20) > heap * 0.9 || o.bandwidthMb > 8191) {
                throw new IllegalArgumentException("--bandwidth-mb takes MiB per array >= 1 with three arrays within 90 % of"
                        + " the heap (" + (heap >> 20) + " MiB; JAVA_OPTS=-Xmx... for more), got " + o.bandwidthMb);
            }
        } else if (o.kernel != null) {
            if (!o.kernel.equals("conv")) {
                throw new IllegalArgumentException("--kernel takes conv, got '" + o.kernel + "'");
            }
            if (o.in < 1 || o.out < 1 || o.size < 1 || o.kernelSize < 1) {
                throw new IllegalArgumentException("--kernel conv needs --in, --out, --size and --kernel-size (integers >= 1)");
            }
        } else {
            if (o.model == null) {
                throw new IllegalArgumentException("--model needs a library network (" + String.join(", ", ModelLibrary.NAMES)
                        + ") or a description file");
            }
            ModelLibrary.describe(o.model);
            if (!"train".equals(o.mode) && !"infer".equals(o.mode)) {
                throw new IllegalArgumentException("--mode must be train or infer, got " + o.mode);
            }
        }
        if (o.batch < 0) {
            o.batch = "infer".equals(o.mode) ? 256 : 64;
        }
        return o;
    }

    /** Bytes allocated so far by all live threads (the JVM's per-thread counters). */
    public static long allocatedBytes() {
        java.lang.management.ThreadMXBean tb = ManagementFactory.getThreadMXBean();
        com.sun.management.ThreadMXBean sb = (com.sun.management.ThreadMXBean) tb;
        long total = 0;
        for (long b : sb.getThreadAllocatedBytes(tb.getAllThreadIds())) {
            if (b > 0) {
                total += b;
            }
        }
        return total;
    }

    /** Timed windows of a step; returns steps per second of each window and the bytes per step. */
    static double[] measure(Runnable step, Options o, long[] bytesPerStep) {
        warm(step, o.warmup);
        long[] steps = new long[1];
        long bytes0 = allocatedBytes();
        double[] rates = windows(step, o.seconds, o.windows, steps);
        bytesPerStep[0] = (allocatedBytes() - bytes0) / steps[0];
        return rates;
    }

    /** Runs {@code step} for {@code seconds}, at least 3 times. */
    static void warm(Runnable step, double seconds) {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        int warm = 0;
        while (warm < 3 || System.nanoTime() < end) {
            step.run();
            warm++;
        }
    }

    /** Steps per second in each of {@code windows} windows sharing {@code seconds} (at least one step each); steps[0] gets their count. */
    static double[] windows(Runnable step, double seconds, int windows, long[] steps) {
        double[] rates = new double[windows];
        long window = (long) (seconds / windows * 1e9);
        for (int w = 0; w < windows; w++) {
            long t0 = System.nanoTime();
            int n = 0;
            do {
                step.run();
                n++;
            } while (System.nanoTime() - t0 < window);
            rates[w] = n / ((System.nanoTime() - t0) / 1e9);
            steps[0] += n;
        }
        return rates;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static void run(String[] args) throws IOException {
        Options o = parse(args);
        if (o == null) {
            return;
        }
        try (Parallel pool = new Parallel(o.threads)) {
            if (o.peak) {
                peak(o, pool);
            } else if (o.kernel != null) {
                kernel(o, pool);
            } else {
                model(o, pool);
            }
        }
    }

    /** Batches of real Fashion-MNIST when the shape is theirs and they are installed, else seeded noise (said on stdout). */
    static List<Tensor> batches(int batch, int count, int[] shape, int classes, List<int[]> labels) throws IOException {
        Dataset d = null;
        if (java.util.Arrays.equals(shape, ModelZoo.MNIST) && classes == 10) {
            try {
                d = Dataset.fashionMnist(Dataset.FASHION_DIR, "train", batch * count);
            } catch (java.nio.file.NoSuchFileException e) {
                System.out.println("Fashion-MNIST not installed: benchmarking on random images");
            }
        }
        int pixels = shape[0] * shape[1] * shape[2];
        List<Tensor> out = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(1);
        for (int b = 0; b < count; b++) {
            Tensor x = new Tensor(batch, shape[0], shape[1], shape[2]);
            int[] y = new int[batch];
            for (int i = 0; i < batch; i++) {
                int src = (b * batch + i) % (d == null ? 1 : d.size());
                for (int j = 0; j < pixels; j++) {
                    x.data[i * pixels + j] = d == null ? (float) r.nextGaussian() : d.images[src * pixels + j];
                }
                y[i] = d == null ? r.nextInt(classes) : d.labels[src];
            }
            out.add(x);
            labels.add(y);
        }
        return out;
    }

    static void model(Options o, Parallel pool) throws IOException {
        Network net = ModelLibrary.build(o.model, o.input, o.classes, 1).setParallel(pool);
        boolean bn = !net.buffers().isEmpty(); // as models.md trains the batch-norm networks
        double lr = bn ? 0.05 : 0.01;
        Sgd sgd = new Sgd(0.9, bn ? 5e-4 : 0);
        List<Param> params = net.paramList();
        List<int[]> labels = new ArrayList<>();
        boolean train = o.mode.equals("train");
        List<Tensor> data = batches(o.batch, train ? Math.max(1, 12800 / o.batch) : 1, o.input, o.classes, labels);
        int[] next = {0};
        Runnable step = train ? () -> {
            int i = next[0]++ % data.size();
            net.forwardLoss(data.get(i), labels.get(i));
            net.backward();
            sgd.step(params, lr);
        } : () -> net.forward(data.get(0), false);
        long[] bytes = new long[1];
        double[] rates = measure(step, o, bytes);
        double[] ips = Arrays.stream(rates).map(r -> r * o.batch).toArray();
        String shape = o.input[0] + "x" + o.input[1] + "x" + o.input[2];
        System.out.printf(Locale.ROOT, "%s %s %s batch %d threads %d: images/s median %.1f min %.1f max %.1f (%d windows of %.1f s);"
                        + " allocated bytes/step %d%n", o.model, shape, o.mode, o.batch, o.threads, median(ips),
                Arrays.stream(ips).min().getAsDouble(), Arrays.stream(ips).max().getAsDouble(), o.windows,
                o.seconds / o.windows, bytes[0]);
        if (o.layers) {
            layerTable(net, step, data.get(0).shape(), train);
        }
        System.out.println(JsonText.write(JsonText.object().put("model", o.model).put("input", shape)
                .put("classes", o.classes).put("mode", o.mode).put("batch", o.batch).put("threads", o.threads)
                .put("images_per_second", round1(median(ips))).put("allocated_bytes_per_step", bytes[0])));
    }

    /** Per leaf layer: forward and backward ms per step, GFLOP/s of convs and dense layers, share of the step. */
    static void layerTable(Network net, Runnable step, int[] inputShape, boolean train) {
        int steps = 20;
        Profiler p = Profiler.start();
        long t0 = System.nanoTime();
        for (int i = 0; i < steps; i++) {
            step.run();
        }
        double stepMs = (System.nanoTime() - t0) / 1e6 / steps;
        Profiler.stop();
        Map<AbstractLayer, Profiler.Entry> e = p.entries();
        Map<AbstractLayer, int[]> shapes = new java.util.HashMap<>();
        inputShapes(net.root(), inputShape, shapes);
        System.out.printf(Locale.ROOT, "%-34s %-44s %9s %9s %8s %8s %6s%n", "layer", "kind", "fwd ms", "bwd ms",
                "fwd GF/s", "bwd GF/s", "share");
        double covered = 0;
        for (Profiler.Entry x : e.values()) {
            double f = x.forwardNanos / 1e6 / steps, b = x.backwardNanos / 1e6 / steps;
            covered += f + b;
            int[] in = shapes.get(x.layer);
            long macs = in == null ? 0 : x.layer.forwardMacs(in);
            String gf = macs > 0 ? String.format(Locale.ROOT, "%8.1f", 2.0 * macs / (f * 1e6)) : "        ";
            String gb = macs > 0 && train ? String.format(Locale.ROOT, "%8.1f", 4.0 * macs / (b * 1e6)) : "        ";
            String kind = x.layer.kind();
            System.out.printf(Locale.ROOT, "%-34s %-44s %9.3f %9.3f %s %s %5.1f%%%n", x.layer.path(),
                    kind.length() > 44 ? kind.substring(0, 44) : kind, f, b, gf, gb, 100 * (f + b) / stepMs);
        }
        System.out.printf(Locale.ROOT, "step %.3f ms, of which layers %.3f ms (rest: loss, optimiser, copies)%n", stepMs, covered);
    }

    /** Walks the tree with shapes, recording each leaf's input shape. */
    static int[] inputShapes(org.sparkcnn.layer.Layer l, int[] in, Map<AbstractLayer, int[]> out) {
        if (l.children().isEmpty()) {
            if (l instanceof AbstractLayer a) {
                out.put(a, in);
            }
            return l.outputShape(in);
        }
        if (l instanceof org.sparkcnn.block.Sequential) {
            int[] s = in;
            for (org.sparkcnn.layer.Layer c : l.children()) {
                s = inputShapes(c, s, out);
            }
            return s;
        }
        for (org.sparkcnn.layer.Layer c : l.children()) { // branches of Residual and Concat see the same input
            inputShapes(c, in, out);
        }
        return l.outputShape(in);
    }

    /** One convolution per implementation asked for, timed in turn window by window (fair on a noisy host). */
    static void kernel(Options o, Parallel pool) {
        int p = o.padding >= 0 ? o.padding : (o.kernelSize - 1) / 2;
        Conv2d layer = new Conv2d("conv", o.in, o.out, o.kernelSize, o.stride, Padding.explicit(p, p), true);
        int[] xs = {o.batch, o.in, o.size, o.size};
        ConvGeometry g = layer.geometry(xs);
        SplittableRandom r = new SplittableRandom(2);
        float[] x = gaussian(r, o.batch * o.in * o.size * o.size), w = gaussian(r, o.out * g.patch());
        float[] b = gaussian(r, o.out), dy = gaussian(r, o.batch * o.out * g.outH * g.outW);
        float[] y = new float[dy.length], dx = new float[x.length], dw = new float[w.length], db = new float[b.length];
        long macs = layer.forwardMacs(xs);
        int k = o.impls.size();
        Convolution[] convs = new Convolution[k];
        Runnable[] fwd = new Runnable[k], fb = new Runnable[k];
        for (int i = 0; i < k; i++) {
            Convolution c = Convolution.create(g, o.batch, pool, o.impls.get(i));
            convs[i] = c;
            fwd[i] = () -> c.forward(x, w, b, y);
            fb[i] = () -> {
                c.forward(x, w, b, y);
                c.backward(x, w, dy, dx, dw, db);
            };
        }
        // The peak, unless given, is one more step in the same windows, so a loaded host weighs on both alike
        boolean probe = o.peakGflops == 0;
        Runnable[] fwdSteps = fwd, fbSteps = fb;
        if (probe) {
            Runnable fma = MachinePeak.fmaStep(pool, o.threads, new float[o.threads]);
            fwdSteps = Arrays.copyOf(fwd, k + 1);
            fbSteps = Arrays.copyOf(fb, k + 1);
            fwdSteps[k] = fma;
            fbSteps[k] = fma;
        }
        double[][] f = interleaved(fwdSteps, o), bw = interleaved(fbSteps, o);
        double peak = o.peakGflops;
        if (probe) {
            double[] both = Arrays.copyOf(f[k], 2 * o.windows);
            System.arraycopy(bw[k], 0, both, o.windows, o.windows);
            peak = median(both) * MachinePeak.stepFlops(o.threads) / 1e9;
        }
        String peakSource = probe ? "probe" : "--peak-gflops";
        String peakNote = probe ? "FMA chains timed in the same windows as the kernel, alternating; jobs/bench.sh --peak"
                + " for the machine alone" : "given by --peak-gflops";
        System.out.printf(Locale.ROOT, "conv %d→%d %dx%d stride %d pad %d on %dx%d, batch %d, threads %d: MACs %d%n",
                o.in, o.out, o.kernelSize, o.kernelSize, o.stride, p, o.size, o.size, o.batch, o.threads, macs);
        System.out.printf(Locale.ROOT, "FMA peak on %d threads %.1f GFLOP/s (%s)%n", o.threads, peak, peakNote);
        ArrayNode json = JsonText.object().arrayNode();
        for (int i = 0; i < k; i++) {
            String name = o.impls.get(i).name().toLowerCase(Locale.ROOT) + " ("
                    + convs[i].getClass().getSimpleName() + ")";
            double fm = median(f[i]), bm = median(bw[i]);
            double fg = 2.0 * macs * fm / 1e9, bg = 6.0 * macs * bm / 1e9;
            System.out.printf(Locale.ROOT, "%-34s forward %8.3f ms %6.1f GFLOP/s (min %.1f max %.1f) %5.1f %% of peak%n", name,
                    1e3 / fm, fg, 2.0 * macs * min(f[i]) / 1e9, 2.0 * macs * max(f[i]) / 1e9, 100 * fg / peak);
            System.out.printf(Locale.ROOT, "%-34s fwd+bwd %8.3f ms %6.1f GFLOP/s (min %.1f max %.1f) %5.1f %% of peak%n", "",
                    1e3 / bm, bg, 6.0 * macs * min(bw[i]) / 1e9, 6.0 * macs * max(bw[i]) / 1e9, 100 * bg / peak);
            json.addObject().put("impl", o.impls.get(i).name().toLowerCase(Locale.ROOT))
                    .put("class", convs[i].getClass().getSimpleName()).put("forward_gflops", round1(fg))
                    .put("forward_backward_gflops", round1(bg)).put("forward_peak_percent", round1(100 * fg / peak))
                    .put("forward_backward_peak_percent", round1(100 * bg / peak));
        }
        double f0 = 2.0 * macs * median(f[0]) / 1e9, b0 = 6.0 * macs * median(bw[0]) / 1e9;
        ObjectNode line = JsonText.object().put("kernel", "conv").put("in", o.in).put("out", o.out).put("size", o.size)
                .put("kernel_size", o.kernelSize).put("stride", o.stride).put("padding", p).put("batch", o.batch)
                .put("threads", o.threads).put("forward_gflops", round1(f0))
                .put("forward_backward_gflops", round1(b0)).put("peak_gflops", round1(peak)).put("peak_source", peakSource)
                .put("forward_peak_percent", round1(100 * f0 / peak))
                .put("forward_backward_peak_percent", round1(100 * b0 / peak));
        line.set("impls", json);
        System.out.println(JsonText.write(line));
    }

    /** jobs/bench.sh --peak: FMA peak and triad bandwidth on 1 and --threads threads, with the CPU they ran on. */
    static void peak(Options o, Parallel pool) {
        int n = o.threads, parts = n > 1 ? 4 : 2;
        double warm = o.warmup / parts, secs = o.seconds / parts;
        String cpu = MachinePeak.cpuInfo("model name"), mhz = MachinePeak.cpuInfo("cpu MHz");
        System.out.printf(Locale.ROOT, "cpu %s (%d available processors); vector %d bits, %d float lanes; %d FMA chains per"
                        + " thread%n", cpu == null ? "unknown" : cpu, Runtime.getRuntime().availableProcessors(),
                MachinePeak.S.vectorBitSize(), MachinePeak.LANES, MachinePeak.CHAINS);
        MachinePeak.Rates f1 = MachinePeak.fma(pool, 1, warm, secs, o.windows);
        MachinePeak.Rates fn = n > 1 ? MachinePeak.fma(pool, n, warm, secs, o.windows) : f1;
        long allocated = f1.allocatedBytes() + (n > 1 ? fn.allocatedBytes() : 0);
        printRates("FMA peak, 1 thread", f1, "GFLOP/s", o, secs);
        if (mhz != null && mhz.matches("[0-9.]+") && Double.parseDouble(mhz) > 0) {
            // Intel with two 512-bit FMA units: ~2; AMD running 512-bit FMAs as two halves: ~1
            System.out.printf(Locale.ROOT, "  = %.2f vector FMAs per cycle at the %s MHz /proc/cpuinfo names (turbo moves it)%n",
                    median(f1.perWindow()) / (2.0 * MachinePeak.LANES) / (Double.parseDouble(mhz) / 1e3), mhz);
        }
        if (n > 1) {
            printRates("FMA peak, " + n + " threads", fn, "GFLOP/s", o, secs);
        }
        if (allocated > MachinePeak.FALLBACK_BYTES) {
            System.out.printf(Locale.ROOT, "warning: the FMA windows allocated %d bytes: C2 did not intrinsify the Vector API"
                    + " (the figures are its slow fallback's); give more --warmup%n", allocated);
        }
        MachinePeak.Rates b1 = MachinePeak.bandwidth(pool, 1, o.bandwidthMb, warm, secs, o.windows);
        MachinePeak.Rates bn = n > 1 ? MachinePeak.bandwidth(pool, n, o.bandwidthMb, warm, secs, o.windows) : b1;
        String triad = "triad 3 × " + o.bandwidthMb + " MiB, ";
        printRates(triad + "1 thread", b1, "GB/s", o, secs);
        if (n > 1) {
            printRates(triad + n + " threads", bn, "GB/s", o, secs);
        }
        System.out.println(JsonText.write(JsonText.object().put("probe", "peak").put("cpu", cpu == null ? "unknown" : cpu)
                .put("threads", n).put("vector_bits", MachinePeak.S.vectorBitSize()).put("vector_lanes", MachinePeak.LANES)
                .put("peak_gflops_1", round1(median(f1.perWindow()))).put("peak_gflops_n", round1(median(fn.perWindow())))
                .put("bandwidth_gbs_1", round1(median(b1.perWindow()))).put("bandwidth_gbs_n", round1(median(bn.perWindow())))
                .put("bandwidth_mib_per_array", o.bandwidthMb).put("fma_allocated_bytes", allocated)
                .put("cpu_share_n", Math.round(fn.cpuShare() * 100) / 100.0)));
    }

    private static void printRates(String what, MachinePeak.Rates rates, String unit, Options o, double seconds) {
        double[] r = rates.perWindow();
        System.out.printf(Locale.ROOT, "%-30s %-7s median %6.1f min %6.1f max %6.1f (%d windows of %.2f s; CPU share %.2f)%n",
                what + ":", unit, median(r), min(r), max(r), o.windows, seconds / o.windows, rates.cpuShare());
    }

    /** Rates (runs/s) per step, warm-up for each, then each timed window taken by every step in turn. */
    private static double[][] interleaved(Runnable[] steps, Options o) {
        for (Runnable step : steps) {
            warm(step, o.warmup / steps.length);
        }
        double[][] rates = new double[steps.length][o.windows];
        long window = (long) (o.seconds / o.windows / steps.length * 1e9);
        for (int w = 0; w < o.windows; w++) {
            for (int i = 0; i < steps.length; i++) {
                long t0 = System.nanoTime();
                int n = 0;
                do {
                    steps[i].run();
                    n++;
                } while (System.nanoTime() - t0 < window);
                rates[i][w] = n / ((System.nanoTime() - t0) / 1e9);
            }
        }
        return rates;
    }

    private static float[] gaussian(SplittableRandom r, int size) {
        float[] v = new float[size];
        for (int i = 0; i < size; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    /** To one decimal, as the table prints it. */
    private static double round1(double v) {
        return Math.round(v * 10) / 10.0;
    }

    private static double min(double[] v) {
        return Arrays.stream(v).min().getAsDouble();
    }

    private static double max(double[] v) {
        return Arrays.stream(v).max().getAsDouble();
    }
}
