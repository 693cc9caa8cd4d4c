package org.sparkcnn.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.SparkSession;
import org.sparkcnn.io.JsonText;
import org.sparkcnn.spark.EpochStats;
import org.sparkcnn.spark.TrainingData;
import org.sparkcnn.spark.TrainingRun;
import org.sparkcnn.train.TrainConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * jobs/bench-rounds.sh: the cost of a synchronisation round (broadcast, task launch, result
 * transfer, ordered aggregation, server update) against the size of the state that travels.
 * Each partition trains on a single image per round, so the round is almost all overhead.
 */
@Command(name = "jobs/bench-rounds.sh", sortOptions = false, description = {
    "The per-round cost of the Spark trainer: prints per model the state size and milliseconds per round (total,",
    "sync = broadcast + aggregation + update, tasks); the last line is JSON.", ""})
public final class BenchRounds {
    @Option(names = "--train", required = true, paramLabel = "PATH", description = "a Parquet training dataset")
    String train;

    @Option(names = "--models", paramLabel = "NAME", split = ",", defaultValue = "lenet5,resnet20,convnet",
            description = "the networks, comma-separated (default: ${DEFAULT-VALUE})")
    List<String> models;

    @Option(names = "--rounds", paramLabel = "N", defaultValue = "20", description = "timed rounds (default: ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--partitions", paramLabel = "P", defaultValue = "2",
            description = "model copies, the training key partitions (default: ${DEFAULT-VALUE})")
    String partitions;

    @Option(names = "--master", paramLabel = "URL", defaultValue = "local[2]",
            description = "Spark master (default: ${DEFAULT-VALUE})")
    String master;

    @Option(names = "--optimizerState", paramLabel = "average|reset", defaultValue = "average",
            description = "the training key optimizerState (default: ${DEFAULT-VALUE})")
    String optimizerState;

    @Option(names = "--treeDepth", paramLabel = "D", defaultValue = "2",
            description = "the training key treeDepth (default: ${DEFAULT-VALUE})")
    String treeDepth;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "this help")
    boolean help;

    public static void main(String[] args) {
        CliSpark.main(args, BenchRounds::run);
    }

    static void run(String[] args) {
        BenchRounds b = new BenchRounds();
        if (CommandLines.parse(b, args)) {
            b.bench();
        }
    }

    private void bench() {
        if (rounds < 1) {
            throw new IllegalArgumentException("--rounds takes an integer >= 1, got " + rounds);
        }
        SparkSession spark = CliSpark.session(master, "sparkcnn-bench-rounds");
        ArrayNode json = JsonText.object().arrayNode();
        System.out.printf("%-10s %12s %10s %10s %10s %10s%n", "model", "state floats", "state MB", "ms/round", "sync ms",
                "task ms");
        try {
            for (String model : models) {
                TrainConfig c = TrainConfig.distributed();
                c.set("model", model, "bench").set("train", train, "bench").set("output", "unused", "bench");
                c.set("batchSize", "1", "bench").set("syncEvery", "1", "bench");
                c.set("partitions", partitions, "--partitions").set("optimizerState", optimizerState, "--optimizerState");
                c.set("treeDepth", treeDepth, "--treeDepth");
                try (TrainingRun t = TrainingRun.start(spark, c.validate(), TrainingData.fromPaths(spark, c), null)) {
                    t.trainRounds(0, 3); // warm-up: JIT, executor model copies
                    EpochStats s = t.trainRounds(0, rounds);
                    int floats = t.server().state().length;
                    double total = 1000 * s.seconds / s.rounds, sync = 1000 * s.syncSeconds / s.rounds,
                            task = 1000 * s.trainSeconds / s.rounds;
                    System.out.printf(Locale.ROOT, "%-10s %12d %10.1f %10.1f %10.1f %10.1f%n", model, floats,
                            floats * 4 / 1e6, total, sync, task);
                    json.addObject().put("model", model).put("state_floats", floats).put("ms_per_round", round2(total))
                            .put("sync_ms", round2(sync)).put("task_ms", round2(task));
                }
            }
        } finally {
            CliSpark.stop(spark);
        }
        System.out.println(JsonText.write(json));
    }

    private static double round2(double v) {
        return Math.round(v * 100) / 100.0;
    }
}
