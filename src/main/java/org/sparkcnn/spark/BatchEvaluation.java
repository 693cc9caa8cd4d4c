package org.sparkcnn.spark;

import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.sparkcnn.train.ClassificationMetrics;

/**
 * jobs/evaluate.sh's pass: every partition scores its labelled rows through a {@link BatchScorer}
 * and counts them into one {@link ClassificationMetrics}; the driver adds the partitions up
 * (counts, so the figures do not depend on partitioning).
 */
public final class BatchEvaluation {
    private BatchEvaluation() {
    }

    /** The metrics of {@code rows} (labels in column {@code labelCol}), top-k with {@code k}. */
    public static ClassificationMetrics run(Dataset<Row> rows, String labelCol, BatchScorer scorer, int k) {
        int label = List.of(rows.schema().fieldNames()).indexOf(labelCol);
        int classes = scorer.classes();
        Function2<Integer, Iterator<Row>, Iterator<ClassificationMetrics>> count = (partition, it) -> {
            ClassificationMetrics m = new ClassificationMetrics(classes, k);
            Iterator<Boolean> scored = scorer.score(partition, it, (in, logits, bad) -> {
                if (bad != null) {
                    m.skipped++;
                    return false;
                }
                m.add(logits, ((Number) in.get(label)).intValue());
                return true;
            });
            while (scored.hasNext()) {
                scored.next();
            }
            return Collections.singletonList(m).iterator();
        };
        ClassificationMetrics total = new ClassificationMetrics(classes, k);
        for (ClassificationMetrics m : rows.javaRDD().mapPartitionsWithIndex(count, true).collect()) {
            total.merge(m);
        }
        return total;
    }
}
