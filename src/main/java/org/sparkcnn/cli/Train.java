package org.sparkcnn.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.sparkcnn.fs.OutputGuard;
import org.sparkcnn.spark.DistributedTrainer;
import org.sparkcnn.spark.RunFolder;
import org.sparkcnn.spark.TrainingData;
import org.sparkcnn.train.TrainConfig;

/** jobs/train.sh: trains a zoo model on a Parquet image dataset as a Spark job (docs/distributed.md). */
public final class Train {
    private Train() {
    }

    static final String USAGE = "usage: jobs/train.sh --config FILE [--set key=value ...] [--resume[=auto]] [--overwrite]\n"
            + "                    [--verbose] [--help]\n"
            + "Trains a zoo model on Parquet image datasets with Spark: every partition trains a model copy,\n"
            + "the driver averages them every round. Runs under spark-submit, or in local mode with plain java.\n"
            + "  --resume       continue from the newest usable checkpoint in output/checkpoints; none is an error\n"
            + "  --resume=auto  continue when a checkpoint can be used, else start (an earlier run needs --overwrite)\n"
            + "  --overwrite    replace an earlier run in output: the new one trains beside it and takes its place\n"
            + "                 only when complete\n"
            + "  --verbose      Spark's warnings on the console too, and the stack trace of a failure\n"
            + "Spark's log: output/logs/train-DATE-TIME.log (local output), else logs/ under the working directory.\n"
            + "Keys (default, meaning):\n";

    public static void main(String[] args) {
        CliSpark.main(args, Train::run);
    }

    static void run(String[] args) throws IOException {
        TrainConfig cfg = TrainConfig.distributed();
        Set<String> flags = ConfigArgs.apply(args, cfg, USAGE, Set.of("--resume", "--resume=auto", "--overwrite",
                "--verbose"));
        if (flags == null) {
            return;
        }
        if (flags.contains("--resume") && flags.contains("--resume=auto")) {
            throw new IllegalArgumentException("give --resume or --resume=auto, not both");
        }
        RunFolder.Resume resume = flags.contains("--resume") ? RunFolder.Resume.YES
                : flags.contains("--resume=auto") ? RunFolder.Resume.AUTO : RunFolder.Resume.NO;
        cfg.validate();
        // every check that needs no Spark comes first: a refused run starts nothing and changes nothing
        Configuration hadoop = CliSpark.hadoopConf();
        Map<String, String> inputs = new LinkedHashMap<>();
        inputs.put("train", cfg.get("train"));
        inputs.put("validation", cfg.get("validation"));
        OutputGuard.check("output", cfg.get("output"), inputs, hadoop);
        RunFolder.Start start = RunFolder.plan(cfg.get("output"), resume, flags.contains("--overwrite"), hadoop);
        start.skipped().forEach(s -> System.err.println("warning: " + s));
        System.out.print(cfg.describe());
        Path log = JobLog.start(JobLog.fileIn(logDir(start.dir(), hadoop), "train"), flags.contains("--verbose"));
        if (log != null) {
            System.out.println("Spark's log: " + log);
        }
        if (start.replaces() != null) {
            System.out.println("training beside the earlier run, in " + start.dir() + ": it replaces " + start.replaces()
                    + " once complete");
        }
        DistributedTrainer trainer = new DistributedTrainer(cfg, System.out);
        SparkSession spark = CliSpark.session(cfg.get("master"), "sparkcnn-train " + cfg.get("model"));
        try {
            trainer.fit(spark, TrainingData.fromPaths(spark, cfg), start);
        } finally {
            CliSpark.stop(spark);
        }
    }

    /** The run folder's logs/ when it is on the local file system, else logs/ under the working directory. */
    static Path logDir(String runDir, Configuration hadoop) throws IOException {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(runDir);
        java.net.URI uri = p.getFileSystem(hadoop).makeQualified(p).toUri();
        return "file".equals(uri.getScheme()) ? Path.of(uri).resolve("logs") : Path.of("logs");
    }
}
