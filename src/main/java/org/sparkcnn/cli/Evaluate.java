package org.sparkcnn.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sparkcnn.data.parquet.ImageLayout;
import org.sparkcnn.fs.Folders;
import org.sparkcnn.fs.OutputGuard;
import org.sparkcnn.spark.BatchEvaluation;
import org.sparkcnn.spark.BatchScorer;
import org.sparkcnn.spark.EvaluationReport;
import org.sparkcnn.spark.TrainedModel;
import org.sparkcnn.train.ClassificationMetrics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** jobs/evaluate.sh: a trained model's accuracy, per-class figures and confusion matrix on a labelled dataset. */
@Command(name = "jobs/evaluate.sh", sortOptions = false, description = {
    "Evaluates a trained model on a labelled Parquet dataset (jobs/import.sh writes them): accuracy, top-k",
    "accuracy, mean cross-entropy, per-class precision, recall, F1 and support, and the confusion matrix, as a",
    "table on stdout and, with --out, as JSON (top-level accuracy as a fraction). The dataset's class names, when",
    "it has them, must be the model's.",
    ""})
public final class Evaluate {
    @Mixin
    ScoringOptions scoring = new ScoringOptions();

    @Option(names = "--out", paramLabel = "FILE.json", description = "also write the figures as JSON (any Hadoop path)")
    String out;

    @Option(names = "--top", paramLabel = "K", defaultValue = "5",
            description = "k of the top-k accuracy (default: ${DEFAULT-VALUE}, at most the number of classes)")
    int top;

    @Option(names = "--overwrite", description = "replace an existing --out file")
    boolean overwrite;

    public static void main(String[] args) {
        CliSpark.main(args, Evaluate::run);
    }

    static void run(String[] args) throws IOException {
        Evaluate e = new Evaluate();
        if (CommandLines.parse(e, args)) {
            e.evaluate();
        }
    }

    private void evaluate() throws IOException {
        if (top < 1) {
            throw new IllegalArgumentException("--top takes an integer >= 1, got " + top);
        }
        ScoringOptions o = scoring;
        org.sparkcnn.data.BadRecordPolicy policy = o.policy();
        Configuration hadoop = CliSpark.hadoopConf();
        if (out != null) {
            Map<String, String> inputs = new LinkedHashMap<>();
            inputs.put("--input", o.input);
            inputs.put("--model", TrainedModel.locate(o.model, hadoop)); // registry:PATH as the folder it names
            OutputGuard.check("--out", out, inputs, hadoop);
            Path p = new Path(out);
            if (p.getFileSystem(hadoop).exists(p) && !overwrite) {
                throw new IllegalArgumentException("--out " + out + " already exists (pass --overwrite to replace it)");
            }
        }
        TrainedModel model = TrainedModel.read(o.model, hadoop);
        java.nio.file.Path log = JobLog.start(JobLog.fileIn(java.nio.file.Path.of("logs"), "evaluate"), o.verbose);
        if (log != null) {
            System.out.println("Spark's log: " + log);
        }
        SparkSession spark = CliSpark.session(o.master, "sparkcnn-evaluate " + model.file().model());
        try {
            long t0 = System.nanoTime();
            ClassificationMetrics m = measure(spark, model, "--input", o.input, policy, o.batchSize, o.threads, top);
            double seconds = (System.nanoTime() - t0) / 1e9;
            EvaluationReport report = new EvaluationReport(m, model.classNames(), model.source(), o.input, seconds);
            System.out.print(report.table());
            if (out != null) {
                Path target = new Path(out);
                Folders.writeFile(Folders.raw(target.getFileSystem(hadoop)), target,
                        report.json().getBytes(StandardCharsets.UTF_8));
                System.out.println("wrote " + out);
            }
        } finally {
            CliSpark.stop(spark);
        }
    }

    /**
     * The metrics of {@code model} on the labelled Parquet dataset {@code input} (given as {@code flag}):
     * its class names, when it has them, must be the model's; top-k with k at most the classes.
     */
    static ClassificationMetrics measure(SparkSession spark, TrainedModel model, String flag, String input,
            org.sparkcnn.data.BadRecordPolicy policy, int batchSize, int threads, int top) throws IOException {
        Path in = new Path(input);
        FileSystem fs = in.getFileSystem(spark.sparkContext().hadoopConfiguration());
        if (fs.exists(in) && !Inputs.isParquet(fs, in)) {
            throw new IllegalArgumentException(flag + " " + input + " is a folder of images, not a labelled Parquet"
                    + " dataset: import it with jobs/import.sh folder first");
        }
        Dataset<Row> rows = Inputs.images(spark, input, model, false, policy);
        ImageLayout.validate(rows.schema(), input);
        List<String> classes = ImageLayout.classes(rows.schema());
        if (classes != null && !classes.equals(model.classNames())) {
            throw new IllegalArgumentException(flag + " " + input + " has the classes " + classes + " but the model "
                    + model.source() + " was trained on " + model.classNames());
        }
        spark.sparkContext().setJobDescription("sparkcnn: evaluate " + input);
        BatchScorer scorer = BatchScorer.create(JavaSparkContext.fromSparkContext(spark.sparkContext()), model,
                rows.schema(), ImageLayout.IMAGE, ImageLayout.LABEL, batchSize, policy, threads);
        try {
            return BatchEvaluation.run(rows, ImageLayout.LABEL, scorer, Math.min(top, model.classes()));
        } finally {
            scorer.destroy();
        }
    }
}
