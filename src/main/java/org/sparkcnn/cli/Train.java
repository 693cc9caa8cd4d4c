package org.sparkcnn.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.LinkedHashSet;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.sparkcnn.fs.OutputGuard;
import org.sparkcnn.spark.DistributedTrainer;
import org.sparkcnn.spark.RunFolder;
import org.sparkcnn.spark.TrainingData;
import org.sparkcnn.train.TrainConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** jobs/train.sh: trains a zoo model on a Parquet image dataset as a Spark job (docs/distributed.md). */
@Command(name = "jobs/train.sh", sortOptions = false, description = {
    "Trains a library network or a description file on Parquet image datasets with Spark: every partition trains",
    "a model copy, the driver averages them every round. Runs under spark-submit, or in local mode with plain java.",
    "Spark's log: output/logs/train-DATE-TIME.log (local output), else logs/ under the working directory.",
    ""})
public final class Train {
    @Mixin
    ConfigArgs config = new ConfigArgs();

    /** "yes" for --resume, "auto" for --resume=auto, each time given. */
    private final Set<String> resume = new LinkedHashSet<>();

    @Option(names = "--resume", order = 3, arity = "0..1", paramLabel = "auto", fallbackValue = "yes",
            description = {"continue from the newest usable checkpoint in output/checkpoints; none is an error;",
                "=auto: continue when a checkpoint can be used, else start (an earlier run needs --overwrite)"})
    void resume(String v) {
        resume.add(v);
    }

    @Option(names = "--overwrite", order = 4, description = "replace an earlier run in output: the new one trains beside it and"
            + " takes its place only when complete")
    boolean overwrite;

    @Option(names = "--verbose", order = 5, description = "Spark's warnings on the console too, and the stack trace of a failure")
    boolean verbose;

    public static void main(String[] args) {
        CliSpark.main(args, Train::run);
    }

    static void run(String[] args) throws IOException {
        TrainConfig cfg = TrainConfig.distributed();
        Train t = new Train();
        if (CommandLines.command(t, args, ConfigArgs.keys(cfg)) != null) {
            t.train(t.config.applyTo(cfg));
        }
    }

    private void train(TrainConfig cfg) throws IOException {
        for (String v : resume) {
            if (!v.equals("yes") && !v.equals("auto")) {
                throw new IllegalArgumentException("--resume takes no value or =auto, got '" + v + "'");
            }
        }
        if (resume.size() > 1) {
            throw new IllegalArgumentException("give --resume or --resume=auto, not both");
        }
        RunFolder.Resume resume = this.resume.contains("yes") ? RunFolder.Resume.YES
                : this.resume.contains("auto") ? RunFolder.Resume.AUTO : RunFolder.Resume.NO;
        cfg.validate();
        // every check that needs no Spark comes first: a refused run starts nothing and changes nothing
        Configuration hadoop = CliSpark.hadoopConf();
        Map<String, String> inputs = new LinkedHashMap<>();
        inputs.put("train", cfg.get("train"));
        inputs.put("validation", cfg.get("validation"));
        OutputGuard.check("output", cfg.get("output"), inputs, hadoop);
        RunFolder.Start start = RunFolder.plan(cfg.get("output"), resume, overwrite, hadoop);
        start.skipped().forEach(s -> System.err.println("warning: " + s));
        System.out.print(cfg.describe());
        Path log = JobLog.start(JobLog.fileIn(logDir(start.dir(), hadoop), "train"), verbose);
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
