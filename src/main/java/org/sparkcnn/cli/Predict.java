package org.sparkcnn.cli;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.sparkcnn.data.parquet.DatasetWriter;
import org.sparkcnn.data.parquet.FolderImporter;
import org.sparkcnn.data.parquet.ImageLayout;
import org.sparkcnn.fs.Folders;
import org.sparkcnn.fs.OutputGuard;
import org.sparkcnn.spark.BatchScorer;
import org.sparkcnn.spark.PredictionColumns;
import org.sparkcnn.spark.TrainedModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** jobs/predict.sh: a trained model's predictions for a table or folder of images, as Parquet. */
@Command(name = "jobs/predict.sh", sortOptions = false, description = {
    "Scores images with a trained model and writes one Parquet row per image: id and label (when the input has",
    "them), origin, prediction (the class index), class (its name), probability (one float per class), with",
    "--top K also top_prediction, top_class and top_probability, and error (why a skipped row has none).",
    "--input is a Parquet dataset with Spark's image struct in column 'image' (jobs/import.sh writes them,",
    "labels optional), or a folder of images (PNG, JPEG, GIF, BMP, sub-folders included), decoded to the",
    "model's channels as jobs/import.sh folder does.",
    ""})
public final class Predict {
    @Mixin
    ScoringOptions scoring = new ScoringOptions();

    @Option(names = "--out", required = true, paramLabel = "PATH", description = "output Parquet folder (any Hadoop path)")
    String out;

    @Option(names = "--top", paramLabel = "K", defaultValue = "0", description = "add the K best classes (default 0: none)")
    int top;

    @Option(names = "--resize", description = "folder input: resize images to the model's input size (bilinear)")
    boolean resize;

    @Option(names = "--files", paramLabel = "N", defaultValue = "0",
            description = "output files (default 0: one per input partition)")
    int files;

    @Option(names = "--overwrite", description = "replace an existing output, once the new one is complete")
    boolean overwrite;

    public static void main(String[] args) {
        CliSpark.main(args, Predict::run);
    }

    static void run(String[] args) throws IOException {
        Predict p = new Predict();
        if (CommandLines.parse(p, args)) {
            p.predict();
        }
    }

    private void predict() throws IOException {
        if (top < 0 || files < 0) {
            throw new IllegalArgumentException((top < 0 ? "--top" : "--files") + " takes an integer >= 0");
        }
        ScoringOptions o = scoring;
        org.sparkcnn.data.BadRecordPolicy policy = o.policy();
        // every check that needs no Spark comes first: a refused run starts nothing and changes nothing
        Configuration hadoop = CliSpark.hadoopConf();
        Map<String, String> inputs = new LinkedHashMap<>();
        inputs.put("--input", o.input);
        inputs.put("--model", TrainedModel.locate(o.model, hadoop)); // registry:PATH as the folder it names
        OutputGuard.check("--out", out, inputs, hadoop);
        DatasetWriter.checkOutput(hadoop, out, overwrite);
        TrainedModel model = TrainedModel.read(o.model, hadoop);
        java.nio.file.Path log = JobLog.start(JobLog.fileIn(java.nio.file.Path.of("logs"), "predict"), o.verbose);
        if (log != null) {
            System.out.println("Spark's log: " + log);
        }
        SparkSession spark = CliSpark.session(o.master, "sparkcnn-predict " + model.file().model());
        try {
            long t0 = System.nanoTime();
            Dataset<Row> images = Inputs.images(spark, o.input, model, resize, policy);
            PredictionColumns columns = new PredictionColumns(images.schema(), ImageLayout.IMAGE, model.classNames(), top);
            BatchScorer scorer = BatchScorer.create(JavaSparkContext.fromSparkContext(spark.sparkContext()), model,
                    images.schema(), ImageLayout.IMAGE, null, o.batchSize, policy, o.threads);
            Dataset<Row> predictions = images.mapPartitions(scoring(scorer, columns), Encoders.row(columns.schema()));
            if (files > 0) {
                predictions = predictions.repartition(files);
            }
            spark.sparkContext().setJobDescription("sparkcnn: predict " + o.input);
            Path target = new Path(out);
            FileSystem fs = target.getFileSystem(spark.sparkContext().hadoopConfiguration());
            target = fs.makeQualified(target);
            Path staged = Folders.staging(fs, target, "predict");
            long rows, bad;
            try {
                predictions.write().mode(SaveMode.ErrorIfExists).parquet(staged.toString());
                double seconds = (System.nanoTime() - t0) / 1e9;
                Dataset<Row> written = spark.read().parquet(staged.toString());
                rows = written.count();
                bad = written.filter(written.col("prediction").isNull()).count();
                Folders.replace(fs, staged, target);
                System.out.printf(Locale.ROOT, "predicted %d images with %s in %.1f s: %.1f images/s%s%n", rows - bad,
                        model.source(), seconds, rows / seconds, bad > 0 ? "; " + bad + " bad rows skipped (their"
                                + " error column says why)" : "");
            } catch (Exception e) { // Spark's exceptions are checked in Scala's eyes only
                fs.delete(staged, true);
                throw e;
            } finally {
                scorer.destroy();
            }
            System.out.println("wrote " + out);
        } finally {
            CliSpark.stop(spark);
        }
    }

    private static MapPartitionsFunction<Row, Row> scoring(BatchScorer scorer, PredictionColumns columns) {
        return rows -> scorer.score(TaskContext.getPartitionId(), rows, columns);
    }
}
