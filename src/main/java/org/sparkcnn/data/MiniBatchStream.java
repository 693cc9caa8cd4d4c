package org.sparkcnn.data;

import static org.sparkcnn.util.SplitMix.GOLDEN;
import static org.sparkcnn.util.SplitMix.mix;

import java.util.Iterator;
import java.util.NoSuchElementException;
import org.sparkcnn.tensor.Tensor;

/**
 * Turns a lazy stream of image rows into mini-batches, holding at most one batch of rows at a
 * time so that a partition of any size streams through bounded memory. Rows are checked and
 * either failed on or skipped and counted (see {@link BadRecordPolicy}); good rows are converted
 * at once into the batch tensor, because the source may reuse its records.
 *
 * <p>Every batch is returned in the same {@link MiniBatch} object over the same tensor (a second
 * one only for a last, smaller batch): a batch is valid until the next call to {@link #next()} or
 * {@link #hasNext()}. The last batch may be smaller than the batch size; an empty or all-bad
 * source gives no batch.
 *
 * <p>Pixels arrive row-major with channels interleaved, BGR(A) for colour (Spark's image source);
 * the tensor is CHW in RGB(A) order (plane 0 is red, as in PyTorch and Keras). A 4-channel row read
 * for a 3-channel model gives its R, G, B planes: alpha is dropped, as PIL's {@code convert('RGB')}
 * does, not composited; any other difference in channels (grey for a colour model, colour for a grey
 * one) is a {@link BadRecordKind#SHAPE_MISMATCH}: the import decides the channels ({@code --channels}).
 * Values are {@code ((b & 0xff) / 255f - mean[c]) / std[c]}, the very expression of
 * {@link Dataset#fromIdx}, so both give the same floats bit for bit. Augmentation
 * (random crop with zero padding, horizontal flip, random erasing) is done in this same pass, with
 * no allocation, and draws from a hash of (seed, epoch, partition,
 * position), position being the row's ordinal in the source counting bad rows too: a retried
 * task sees exactly the same batches.
 */
public final class MiniBatchStream implements Iterator<MiniBatch> {
    private static final String SKIPPED = "sparkcnn: skipped bad record: ";
    /** Random erasing's ranges: torchvision's defaults scale=(0.02, 0.33), ratio=(0.3, 3.3). */
    private static final double ERASE_MIN_AREA = 0.02, ERASE_MAX_AREA = 0.33;
    private static final double LOG_MIN_ASPECT = StrictMath.log(0.3), LOG_MAX_ASPECT = StrictMath.log(3.3);

    private final Iterator<ImageRecord> source;
    private final ReaderConfig cfg;
    private final BadRecordPolicy policy;
    private final BadRecordCounts counts = new BadRecordCounts();
    private final int imageSize, planeSize;
    /** Normalised value of each byte value, per output channel: computed once with the exact expression. */
    private final float[][] lut;
    /** Byte offset within an interleaved pixel of each output channel (BGR(A) → RGB(A)). */
    private final int[] sourceChannel;
    private final Tensor full;
    private Tensor tail;
    private final MiniBatch batch;
    /** The pass's hash of (seed, epoch, partition), to which the position is added per row. */
    private final long passHash;
    private long position;
    private boolean ready;
    private java.util.function.Consumer<BadRecordException> skipped = e -> { };

    /** Validates {@code cfg}, which must not change while the stream is in use; pulls nothing yet. */
    public MiniBatchStream(Iterator<ImageRecord> source, ReaderConfig cfg) {
        this.source = source;
        this.cfg = cfg.validate();
        this.policy = cfg.policy;
        this.planeSize = cfg.height * cfg.width;
        this.imageSize = cfg.channels * planeSize;
        this.lut = lookupTables(cfg);
        this.sourceChannel = ImageRecord.rgbOffsets(cfg.channels);
        this.full = new Tensor(cfg.batchSize, cfg.channels, cfg.height, cfg.width);
        this.batch = new MiniBatch(full, new int[cfg.batchSize]);
        this.passHash = mix(mix(mix(cfg.seed + GOLDEN) + cfg.epoch) + cfg.partition);
    }

    /**
     * SKIP mode: {@code listener} hears of every skipped row as it is pulled, after the row and
     * before the next one, so that a caller keeping the source's rows (batch scoring, which emits
     * one output row per input row) knows which of them the batch left out.
     */
    public MiniBatchStream onSkip(java.util.function.Consumer<BadRecordException> listener) {
        this.skipped = listener;
        return this;
    }

    /** Rows pulled so far (good and bad) and the bad ones among them. */
    public BadRecordCounts counts() {
        return counts;
    }

    /** Fills the next batch when needed; this invalidates the batch returned before. */
    @Override
    public boolean hasNext() {
        if (!ready) {
            ready = fill();
        }
        return ready;
    }

    /** The next batch, in the shared {@link MiniBatch}: valid until the next call to next() or hasNext(). */
    @Override
    public MiniBatch next() {
        if (!hasNext()) {
            throw new NoSuchElementException("no more mini-batches in partition " + cfg.partition);
        }
        ready = false;
        return batch;
    }

    /**
     * Passes over the next {@code batches} mini-batches without converting their pixels: rows are
     * checked (to tell good from bad) but not counted, since the pass that used them counted them,
     * and positions advance, so the batches after them are exactly those a full pass would give.
     * How a synchronisation round that starts mid-partition reaches its first batch. Returns the
     * number of whole or partial batches passed.
     */
    public int skip(int batches) {
        if (ready) {
            throw new IllegalStateException("skip must come before the next batch is fetched");
        }
        long want = (long) batches * cfg.batchSize, good = 0;
        while (good < want && source.hasNext()) {
            position++;
            BadRecordException bad = problem(source.next());
            if (bad == null) {
                good++;
            } else if (policy.onBadRecord == BadRecordPolicy.OnBadRecord.FAIL) {
                throw bad;
            }
        }
        return (int) ((good + cfg.batchSize - 1) / cfg.batchSize);
    }

    /** Pulls up to batchSize rows into the batch; false when no good row was left. */
    private boolean fill() {
        int n = 0;
        while (n < cfg.batchSize && source.hasNext()) {
            if (take(source.next(), n)) {
                n++;
            }
        }
        if (n < cfg.batchSize) {
            sourceExhausted();
        }
        if (n == 0) {
            return false;
        }
        batch.set(n == cfg.batchSize ? full : tailOf(n), n);
        return true;
    }

    /** SKIP mode: a partition with too many bad rows fails once all of them are known. */
    private void sourceExhausted() {
        if (policy.onBadRecord == BadRecordPolicy.OnBadRecord.SKIP) {
            counts.check(policy, "partition " + cfg.partition);
        }
    }

    /** The first n images of the full buffer in a tensor of their own size (happens once, at the end). */
    private Tensor tailOf(int n) {
        tail = Tensor.reuse(tail, n, cfg.channels, cfg.height, cfg.width);
        System.arraycopy(full.data, 0, tail.data, 0, n * imageSize);
        return tail;
    }

    /** Counts the row and converts it into slot n when good; false when it was skipped. */
    private boolean take(ImageRecord r, int n) {
        long pos = position++;
        counts.record();
        BadRecordException bad = problem(r);
        if (bad == null) {
            convert(r, n, pos);
            batch.labels[n] = labelOf(r);
            return true;
        }
        if (policy.onBadRecord == BadRecordPolicy.OnBadRecord.FAIL) {
            throw bad;
        }
        skipped.accept(bad);
        if (counts.add(bad, policy.examplesKept)) {
            System.err.println(SKIPPED + bad.getMessage());
        }
        return false;
    }

    /** What is wrong with the row, or null when it can be trained on. Allocates only for bad rows. */
    private BadRecordException problem(ImageRecord r) {
        BadRecordException e = imageProblem(r);
        return e != null ? e : labelProblem(r);
    }

    private BadRecordException imageProblem(ImageRecord r) {
        if (r.height == -1 && r.width == -1 && r.channels == -1 && r.mode == -1 && r.data != null && r.data.length == 0) {
            return bad(r, BadRecordKind.UNDECODABLE, "image", "the file could not be decoded (Spark's invalid image"
                    + " row: sizes -1, no data)");
        }
        if (r.height == -1 || r.width == -1 || r.channels == -1 || r.mode == -1) {
            String field = r.height == -1 ? "height" : r.width == -1 ? "width" : r.channels == -1 ? "nChannels" : "mode";
            return bad(r, BadRecordKind.MISSING_FIELD, "image." + field, field + " is null");
        }
        if (r.data == null || r.data.length == 0) {
            return bad(r, BadRecordKind.UNDECODABLE, "image.data", "data is " + (r.data == null ? "null" : "empty"));
        }
        int modeChannels = channelsOfMode(r.mode);
        if (modeChannels < 0) {
            return bad(r, BadRecordKind.UNDECODABLE, "image.mode", "mode " + r.mode
                    + " is not an 8-bit OpenCV type (CV_8UC1=0, CV_8UC3=16, CV_8UC4=24)");
        }
        if (modeChannels != r.channels) {
            return bad(r, BadRecordKind.UNDECODABLE, "image.mode", "mode " + r.mode + " has " + modeChannels
                    + " channels but nChannels = " + r.channels);
        }
        long expected = (long) r.height * r.width * r.channels;
        if (expected != r.data.length) {
            return bad(r, BadRecordKind.SIZE_MISMATCH, "image.data", "height×width×nChannels = " + r.height + "×"
                    + r.width + "×" + r.channels + " = " + expected + " but data holds " + r.data.length + " bytes");
        }
        boolean alphaDropped = r.channels == 4 && cfg.channels == 3;
        if (r.channels != cfg.channels && !alphaDropped || r.height != cfg.height || r.width != cfg.width) {
            String column = r.channels != cfg.channels && !alphaDropped ? "image.nChannels" : r.height != cfg.height ? "image.height" : "image.width";
            return bad(r, BadRecordKind.SHAPE_MISMATCH, column, "the image is " + r.channels + "×" + r.height + "×"
                    + r.width + " (C×H×W) but the model's input is " + cfg.channels + "×" + cfg.height + "×" + cfg.width);
        }
        return null;
    }

    /** The row's label; -1 when an unlabelled reader's row has none in [0, classes). */
    private int labelOf(ImageRecord r) {
        double v = r.label;
        return r.labelPresent && v >= 0 && v < cfg.classes && v == Math.rint(v) ? (int) v : -1;
    }

    private BadRecordException labelProblem(ImageRecord r) {
        return cfg.labelled ? labelProblemOf(r) : null;
    }

    private BadRecordException labelProblemOf(ImageRecord r) {
        double v = r.label;
        if (!r.labelPresent) {
            return bad(r, BadRecordKind.MISSING_LABEL, "label", "label is null");
        }
        if (!Double.isFinite(v) || v != Math.rint(v)) {
            return bad(r, BadRecordKind.NOT_A_NUMBER, "label", "label " + v + " is not a finite integer");
        }
        if (v < 0 || v >= cfg.classes) {
            String shown = Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
            return bad(r, BadRecordKind.LABEL_OUT_OF_RANGE, "label", "label " + shown + " is outside [0, " + cfg.classes + ")");
        }
        return null;
    }

    private static BadRecordException bad(ImageRecord r, BadRecordKind kind, String column, String detail) {
        return new BadRecordException(kind, r.location(), column, detail);
    }

    /** Channels of the 8-bit OpenCV types Spark's image source produces, or -1 for any other mode. */
    private static int channelsOfMode(int mode) {
        switch (mode) {
            case 0: return 1;   // CV_8UC1
            case 16: return 3;  // CV_8UC3
            case 24: return 4;  // CV_8UC4
            default: return -1;
        }
    }

    /**
     * Writes the row's pixels into image n of the full buffer: output (c, y, x) reads the padded
     * source at (y + dy, x' + dx) with x' = x, or W − 1 − x when flipped; padding reads as byte 0.
     * Without augmentation dy = dx = p = 0 and this is a plain BGR(A)-to-RGB(A) HWC-to-CHW copy.
     * The source's pixel stride is its own channel count: a BGRA row read as RGB skips alpha.
     */
    private void convert(ImageRecord r, int n, long pos) {
        int p = cfg.cropPadding, h = cfg.height, w = cfg.width, ch = cfg.channels, stride = r.channels;
        int dy = p, dx = p;
        boolean flip = false;
        long state = mix(passHash + pos);
        if (p > 0 || cfg.flip) {
            dy = bounded(mix(state + GOLDEN), 2 * p + 1);
            dx = bounded(mix(state + 2 * GOLDEN), 2 * p + 1);
            flip = cfg.flip && mix(state + 3 * GOLDEN) < 0;
        }
        byte[] px = r.data;
        float[] out = full.data;
        for (int c = 0; c < ch; c++) {
            float[] values = lut[c];
            int sc = sourceChannel[c];
            for (int y = 0; y < h; y++) {
                int sy = y + dy - p, o = n * imageSize + c * planeSize + y * w;
                for (int x = 0; x < w; x++) {
                    int sx = (flip ? w - 1 - x : x) + dx - p;
                    boolean inside = sy >= 0 && sy < h && sx >= 0 && sx < w;
                    out[o + x] = values[inside ? px[(sy * w + sx) * stride + sc] & 0xff : 0];
                }
            }
        }
        if (cfg.erasing > 0) {
            erase(n, state + 3 * GOLDEN);
        }
    }

    /**
     * Random erasing (Zhong et al. 2017, torchvision's {@code RandomErasing} with its defaults): with
     * probability {@code cfg.erasing}, up to 10 tries to draw a rectangle of 2–33 % of the image's area
     * and aspect ratio 0.3–3.3 (log-uniform) that fits, set to 0 in every channel, which is the
     * normalised mean. The draws continue the row's hash after crop and flip, so they too are a
     * function of (seed, epoch, partition, position); StrictMath makes them the same on every JVM.
     */
    private void erase(int n, long state) {
        if (unit(mix(state += GOLDEN)) >= cfg.erasing) {
            return;
        }
        int h = cfg.height, w = cfg.width;
        for (int attempt = 0; attempt < 10; attempt++) {
            double area = h * w * (ERASE_MIN_AREA + (ERASE_MAX_AREA - ERASE_MIN_AREA) * unit(mix(state += GOLDEN)));
            double aspect = StrictMath.exp(LOG_MIN_ASPECT + (LOG_MAX_ASPECT - LOG_MIN_ASPECT) * unit(mix(state += GOLDEN)));
            int eh = (int) Math.round(Math.sqrt(area * aspect)), ew = (int) Math.round(Math.sqrt(area / aspect));
            if (eh < 1 || ew < 1 || eh >= h || ew >= w) {
                continue;
            }
            int top = bounded(mix(state += GOLDEN), h - eh + 1), left = bounded(mix(state += GOLDEN), w - ew + 1);
            float[] out = full.data;
            for (int c = 0; c < cfg.channels; c++) {
                for (int y = top; y < top + eh; y++) {
                    int o = n * imageSize + c * planeSize + y * w + left;
                    java.util.Arrays.fill(out, o, o + ew, 0f);
                }
            }
            return;
        }
    }

    private static float[][] lookupTables(ReaderConfig cfg) {
        float[][] t = new float[cfg.channels][256];
        for (int c = 0; c < cfg.channels; c++) {
            for (int b = 0; b < 256; b++) {
                t[c][b] = (b / 255f - cfg.mean[c]) / cfg.std[c];
            }
        }
        return t;
    }

    /** A double in [0, 1) from the high 53 bits of z. */
    private static double unit(long z) {
        return (z >>> 11) * 0x1.0p-53;
    }

    /** A value in [0, bound) from the high 32 bits of z (bias below 2^-31 for small bounds). */
    private static int bounded(long z, int bound) {
        return (int) (((z >>> 32) * bound) >>> 32);
    }
}
