package org.sparkcnn.cli;

import org.sparkcnn.data.BadRecordPolicy;
import picocli.CommandLine.Option;

/** Options of every job that scores images with a trained model (jobs/predict.sh, jobs/evaluate.sh). */
final class ScoringOptions {
    @Option(names = "--model", required = true, paramLabel = "PATH",
            description = "run folder of jobs/train.sh, its model/ folder, a saved Spark ML model, a model file, or"
                    + " registry:PATH[@N] (a model registry's champion or version N)")
    String model;

    @Option(names = "--input", required = true, paramLabel = "PATH", description = "the images: see above")
    String input;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "256",
            description = "images per forward pass (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--on-bad-record", paramLabel = "fail|skip", defaultValue = "fail",
            description = "fail on the first bad row, naming it, or skip and count bad rows (default: ${DEFAULT-VALUE})")
    String onBadRecord;

    @Option(names = "--max-bad-fraction", paramLabel = "F", defaultValue = "0.01",
            description = "skip: most bad rows tolerated per partition, as a fraction (default: ${DEFAULT-VALUE})")
    double maxBadFraction;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
            description = "engine threads per task (default 0 = spark.task.cpus)")
    int threads;

    @Option(names = "--master", paramLabel = "URL", defaultValue = "",
            description = "Spark master (default local[*]; under spark-submit, the one it was given)")
    String master;

    @Option(names = "--verbose", description = "Spark's warnings on the console too, and the stack trace of a failure")
    boolean verbose;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "this help")
    boolean help;

    BadRecordPolicy policy() {
        BadRecordPolicy p = new BadRecordPolicy();
        p.onBadRecord = BadRecordPolicy.OnBadRecord.parse(onBadRecord, "--on-bad-record");
        p.maxBadFraction = maxBadFraction;
        if (batchSize < 1) {
            throw new IllegalArgumentException("--batch-size takes an integer >= 1, got " + batchSize);
        }
        if (threads < 0) {
            throw new IllegalArgumentException("--threads takes an integer >= 0, got " + threads);
        }
        return p.validate();
    }
}
