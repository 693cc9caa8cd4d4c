package org.sparkcnn.cli;

import java.io.IOException;
import java.util.Set;
import org.apache.spark.sql.SparkSession;
import org.sparkcnn.spark.DistributedTrainer;
import org.sparkcnn.train.TrainConfig;

/** jobs/train.sh: trains a zoo model on a Parquet image dataset as a Spark job (docs/distributed.md). */
public final class Train {
    private Train() {
    }

    static final String USAGE = "usage: jobs/train.sh --config FILE [--set key=value ...] [--resume] [--help]\n"
            + "Trains a zoo model on Parquet image datasets with Spark: every partition trains a model copy,\n"
            + "the driver averages them every round. Runs under spark-submit, or in local mode with plain java.\n"
            + "  --resume   continue from the newest complete checkpoint in output/checkpoints\n"
            + "Keys (default, meaning):\n";

    public static void main(String[] args) {
        int code = 0;
        try {
            run(args);
        } catch (IllegalArgumentException | IOException e) {
            System.err.println("error: " + e.getMessage());
            code = 2;
        } catch (Exception e) {
            // a failed task arrives wrapped in Spark's stage failure: report the task's own message
            System.err.println("error: " + CliSpark.rootMessage(e));
            code = 1;
        }
        if (code != 0) {
            System.exit(code);
        }
    }

    static void run(String[] args) throws IOException {
        TrainConfig cfg = TrainConfig.distributed();
        Set<String> flags = ConfigArgs.apply(args, cfg, USAGE, Set.of("--resume"));
        if (flags == null) {
            return;
        }
        boolean resume = flags.contains("--resume");
        cfg.validate();
        System.out.print(cfg.describe());
        SparkSession spark = CliSpark.session(cfg.get("master"), "sparkcnn-train " + cfg.get("model"));
        try {
            if (!resume) {
                DistributedTrainer.refuseEarlierRun(cfg.get("output"), spark.sparkContext().hadoopConfiguration());
            }
        } catch (IOException | RuntimeException e) {
            spark.stop();
            throw e;
        }
        try (DistributedTrainer trainer = new DistributedTrainer(spark, cfg, System.out)) {
            trainer.fit(resume);
        } finally {
            spark.stop();
        }
    }
}
