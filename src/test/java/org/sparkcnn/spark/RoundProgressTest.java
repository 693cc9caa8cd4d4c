package org.sparkcnn.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkcnn.train.TrainConfig;

/**
 * A round that runs for seconds reports its progress while it runs (the executors' heartbeats,
 * here every 200 ms, carry the tasks' image counts), the counts never go back or past the
 * epoch's rows, and the weights are those of the same run without progress lines. The round
 * lasts at least 47 batches x 100 ms on any machine: an injected slow-batches fault holds each
 * mini-batch back (a fast CI machine once trained all 1,500 images in 1.7 s, one line).
 */
class RoundProgressTest {
    @TempDir
    Path dir;

    private static final Pattern LINE = Pattern.compile(
            "^  epoch 1/1  images (\\d+)/(\\d+) \\((\\d+)%\\)  images/s [0-9.]+  time left (\\d+ s|\\?)$");

    @Test
    void aLongRoundSaysHowFarItIsAndTheWeightsDoNotChange() throws Exception {
        SparkSession spark = SparkTestSessions.local(2, Map.of("spark.executor.heartbeatInterval", "200ms"));
        try {
            String train = FashionSample.write(spark, dir.resolve("train"), "train", 1500, 2);
            TrainConfig cfg = TrainConfig.distributed();
            cfg.set("model", "lenet5", "test").set("batchSize", "16", "test").set("partitions", "2", "test")
                    .set("epochs", "1", "test").set("train", train, "test").set("progressSeconds", "1", "test");
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            PrintStream log = new PrintStream(bytes, true, StandardCharsets.UTF_8);
            DistributedTrainer slow = new DistributedTrainer(cfg, log);
            slow.inject("slow-batches:100");
            TrainingResult withLines = slow.fit(spark, TrainingData.fromPaths(spark, cfg), null);
            List<Long> done = new ArrayList<>();
            for (String line : bytes.toString(StandardCharsets.UTF_8).split("\n")) {
                Matcher m = LINE.matcher(line);
                if (m.matches()) {
                    assertTrue(Long.parseLong(m.group(2)) == 1500, line);
                    done.add(Long.parseLong(m.group(1)));
                }
            }
            assertTrue(done.size() >= 2, "progress lines every second of a round of 4.7 s or more:\n" + bytes);
            for (int i = 0; i < done.size(); i++) {
                assertTrue(done.get(i) >= 0 && done.get(i) <= 1500 && (i == 0 || done.get(i) >= done.get(i - 1)),
                        "counts only grow, up to the epoch's rows: " + done);
            }
            assertTrue(done.get(done.size() - 1) > 0, "the heartbeats carried some count: " + done);
            cfg.set("progressSeconds", "0", "test");
            TrainingResult without = new DistributedTrainer(cfg, null).fit(spark, TrainingData.fromPaths(spark, cfg), null);
            assertArrayEquals(without.state(), withLines.state(), "progress lines change nothing trained");
        } finally {
            spark.stop();
        }
    }
}
