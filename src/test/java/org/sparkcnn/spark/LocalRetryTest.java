package org.sparkcnn.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.spark.SparkException;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Task retries in local mode: only the master string {@code local[N,maxFailures]} allows them
 * (local mode ignores {@code spark.task.maxFailures}). Each test starts and stops its own session.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class LocalRetryTest {
    static final List<Integer> DATA = IntStream.rangeClosed(1, 100).boxed().collect(Collectors.toList());

    /**
     * Per partition: (partition, attempt, sum of squares); partition 1 throws on its first attempt
     * when {@code fail} is set.
     */
    static List<Long> job(SparkSession spark, boolean fail) {
        return JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(DATA, 2).mapPartitions(it -> {
            TaskContext tc = TaskContext.get();
            if (fail && tc.partitionId() == 1 && tc.attemptNumber() == 0) {
                throw new IllegalStateException("injected failure of partition 1, attempt 0");
            }
            long s = 0;
            while (it.hasNext()) {
                int v = it.next();
                s += (long) v * v;
            }
            return List.of((long) tc.partitionId(), (long) tc.attemptNumber(), s).iterator();
        }).collect();
    }

    @Test
    void localWithMaxFailuresRetriesAFailedTaskAndGivesTheSameResult() {
        assertEquals("local[2,2]", SparkTestSessions.localMaster(2, 2));
        SparkSession spark = SparkTestSessions.local(2, 2, Map.of());
        try {
            assertEquals("local[2,2]", spark.sparkContext().master());
            List<Long> clean = job(spark, false);
            List<Long> retried = job(spark, true);
            // sums of squares 1..50 and 51..100
            assertEquals(List.of(0L, 0L, 42_925L, 1L, 0L, 295_425L), clean);
            assertEquals(List.of(0L, 0L, 42_925L, 1L, 1L, 295_425L), retried, "partition 1 from its second attempt");
        } finally {
            spark.stop();
        }
    }

    @Test
    void plainLocalFailsTheJobOnTheFirstTaskFailureWhateverMaxFailuresSays() {
        SparkSession spark = SparkTestSessions.local(2, Map.of("spark.task.maxFailures", "4"));
        try {
            assertEquals("local[2]", spark.sparkContext().master());
            SparkException e = assertThrows(SparkException.class, () -> job(spark, true));
            assertTrue(e.getMessage().contains("injected failure of partition 1, attempt 0"), e.getMessage());
            // the session survives a failed job
            assertEquals(List.of(0L, 0L, 42_925L, 1L, 0L, 295_425L), job(spark, false));
        } finally {
            spark.stop();
        }
    }

    @Test
    void refusesToStartWhileAnotherSessionRuns() {
        SparkSession spark = SparkTestSessions.local(1, Map.of());
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> SparkTestSessions.local(2, 2, Map.of()));
            assertTrue(e.getMessage().contains("still running"), e.getMessage());
        } finally {
            spark.stop();
        }
    }
}
