package org.sparkcnn.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;
import org.sparkcnn.data.ImageRecord;
import org.sparkcnn.model.Logits;
import org.sparkcnn.train.ClassificationMetrics;

/**
 * jobs/evaluate.sh's pass: every partition scores its labelled rows through a {@link BatchScorer}
 * and counts them into one {@link ClassificationMetrics}; the driver adds the partitions up
 * (counts, so the figures do not depend on partitioning). A train run's final evaluation also
 * keeps a few misclassified images ({@link #withSamples}).
 */
public final class BatchEvaluation {
    private BatchEvaluation() {
    }

    /** The metrics of {@code rows} (labels in column {@code labelCol}), top-k with {@code k}. */
    public static ClassificationMetrics run(Dataset<Row> rows, String labelCol, BatchScorer scorer, int k) {
        return withSamples(rows, labelCol, scorer, k, 0).metrics();
    }

    /**
     * The metrics and the first {@code samples} misclassified rows of {@code rows}, in partition
     * order, then row order: the same images for the same rows and partitioning. Each partition
     * holds at most {@code samples} of them, so the driver receives at most partitions × samples.
     */
    static Evaluated withSamples(Dataset<Row> rows, String labelCol, BatchScorer scorer, int k, int samples) {
        StructType schema = rows.schema();
        int label = List.of(schema.fieldNames()).indexOf(labelCol);
        int image = List.of(schema.fieldNames()).indexOf(org.sparkcnn.data.parquet.ImageLayout.IMAGE);
        int classes = scorer.classes();
        Function2<Integer, Iterator<Row>, Iterator<PartitionSum>> count = (partition, it) -> {
            PartitionSum sum = new PartitionSum(new ClassificationMetrics(classes, k), new ArrayList<>());
            double[] probabilities = new double[classes];
            Iterator<Boolean> scored = scorer.score(partition, it, (in, logits, bad) -> {
                if (bad != null) {
                    sum.metrics.skipped++;
                    return false;
                }
                int truth = ((Number) in.get(label)).intValue();
                sum.metrics.add(logits, truth);
                int predicted = Logits.argmax(logits);
                if (predicted != truth && sum.wrong.size() < samples && image >= 0) {
                    double logSumExp = Logits.softmax(logits, probabilities);
                    Misclassified m = Misclassified.of(in.getStruct(image), truth, predicted,
                            (float) Math.exp(logits[predicted] - logSumExp), scorer.channels());
                    if (m != null) {
                        sum.wrong.add(m);
                    }
                }
                return true;
            });
            while (scored.hasNext()) {
                scored.next();
            }
            return Collections.singletonList(sum).iterator();
        };
        ClassificationMetrics total = new ClassificationMetrics(classes, k);
        List<Misclassified> wrong = new ArrayList<>();
        for (PartitionSum s : rows.javaRDD().mapPartitionsWithIndex(count, true).collect()) {
            total.merge(s.metrics);
            for (Misclassified m : s.wrong) {
                if (wrong.size() < samples) {
                    wrong.add(m);
                }
            }
        }
        return new Evaluated(total, wrong);
    }

    /** The figures of an evaluation and the misclassified images it kept. */
    record Evaluated(ClassificationMetrics metrics, List<Misclassified> misclassified) {
    }

    /** One partition's task result. */
    static final class PartitionSum implements Serializable {
        private static final long serialVersionUID = 1L;
        final ClassificationMetrics metrics;
        final ArrayList<Misclassified> wrong;

        PartitionSum(ClassificationMetrics metrics, ArrayList<Misclassified> wrong) {
            this.metrics = metrics;
            this.wrong = wrong;
        }
    }

    /**
     * A misclassified image as the model saw it before normalisation: {@code pixels} row-major,
     * channels interleaved in RGB(A) order (grey: one), {@code height} × {@code width} ×
     * {@code channels} bytes; its label, the predicted class and that class's probability.
     */
    static final class Misclassified implements Serializable {
        private static final long serialVersionUID = 1L;
        final byte[] pixels;
        final int height, width, channels, label, predicted;
        final float probability;
        final String origin;

        private Misclassified(byte[] pixels, int height, int width, int channels, int label, int predicted,
                float probability, String origin) {
            this.pixels = pixels;
            this.height = height;
            this.width = width;
            this.channels = channels;
            this.label = label;
            this.predicted = predicted;
            this.probability = probability;
            this.origin = origin;
        }

        /**
         * From a scored row's image struct (Spark's: BGR(A) interleaved; the model reads
         * {@code channels} of it), or null when its sizes do not describe its bytes.
         */
        static Misclassified of(Row img, int label, int predicted, float probability, int channels) {
            int h = ((Number) img.getAs("height")).intValue(), w = ((Number) img.getAs("width")).intValue();
            int stride = ((Number) img.getAs("nChannels")).intValue();
            byte[] data = img.getAs("data");
            if (data == null || stride < channels || (long) h * w * stride != data.length) {
                return null;
            }
            int[] offsets = ImageRecord.rgbOffsets(channels);
            byte[] px = new byte[h * w * channels];
            for (int i = 0; i < h * w; i++) {
                for (int c = 0; c < channels; c++) {
                    px[i * channels + c] = data[i * stride + offsets[c]];
                }
            }
            return new Misclassified(px, h, w, channels, label, predicted, probability, img.getAs("origin"));
        }
    }
}
