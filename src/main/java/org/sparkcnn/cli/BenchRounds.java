package org.sparkcnn.cli;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.sparkcnn.spark.EpochStats;
import org.sparkcnn.spark.TrainingData;
import org.sparkcnn.spark.TrainingRun;
import org.sparkcnn.train.TrainConfig;

/**
 * jobs/bench-rounds.sh: the cost of a synchronisation round (broadcast, task launch, result
 * transfer, ordered aggregation, server update) against the size of the state that travels.
 * Each partition trains on a single image per round, so the round is almost all overhead.
 */
public final class BenchRounds {
    private BenchRounds() {
    }

    static final String USAGE = "usage: jobs/bench-rounds.sh --train PATH [--models a,b] [--rounds N] [--partitions P]\n"
            + "       [--master URL] [--optimizerState average|reset] [--treeDepth D]\n"
            + "Prints per model: state size and milliseconds per round (total, sync = broadcast + aggregation +\n"
            + "update, tasks); the last line is JSON.\n";

    public static void main(String[] args) throws Exception {
        Map<String, String> o = new LinkedHashMap<>(Map.of("--models", "lenet5,resnet20,convnet", "--rounds", "20",
                "--partitions", "2", "--master", "local[2]", "--optimizerState", "average", "--treeDepth", "2"));
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--help") || args[i].equals("-h")) {
                System.out.print(USAGE);
                return;
            }
            if (!(o.containsKey(args[i]) || args[i].equals("--train")) || i + 1 >= args.length) {
                System.err.print("error: bad argument '" + args[i] + "'\n" + USAGE);
                System.exit(2);
            }
            o.put(args[i], args[++i]);
        }
        if (!o.containsKey("--train")) {
            System.err.print("error: --train is required\n" + USAGE);
            System.exit(2);
        }
        int rounds = Integer.parseInt(o.get("--rounds"));
        SparkSession spark = CliSpark.session(o.get("--master"), "sparkcnn-bench-rounds");
        StringBuilder json = new StringBuilder("[");
        System.out.printf("%-10s %12s %10s %10s %10s %10s%n", "model", "state floats", "state MB", "ms/round", "sync ms",
                "task ms");
        try {
            for (String model : o.get("--models").split(",")) {
                TrainConfig c = TrainConfig.distributed();
                c.set("model", model, "bench").set("train", o.get("--train"), "bench").set("output", "unused", "bench");
                c.set("batchSize", "1", "bench").set("syncEvery", "1", "bench");
                c.set("partitions", o.get("--partitions"), "bench").set("optimizerState", o.get("--optimizerState"), "bench");
                c.set("treeDepth", o.get("--treeDepth"), "bench");
                try (TrainingRun t = TrainingRun.start(spark, c.validate(), TrainingData.fromPaths(spark, c), null)) {
                    t.trainRounds(0, 3); // warm-up: JIT, executor model copies
                    EpochStats s = t.trainRounds(0, rounds);
                    int floats = t.server().state().length;
                    double total = 1000 * s.seconds / s.rounds, sync = 1000 * s.syncSeconds / s.rounds,
                            task = 1000 * s.trainSeconds / s.rounds;
                    System.out.printf(Locale.ROOT, "%-10s %12d %10.1f %10.1f %10.1f %10.1f%n", model, floats,
                            floats * 4 / 1e6, total, sync, task);
                    json.append(json.length() > 1 ? "," : "").append(String.format(Locale.ROOT,
                            "{\"model\":\"%s\",\"state_floats\":%d,\"ms_per_round\":%.2f,\"sync_ms\":%.2f,\"task_ms\":%.2f}",
                            model, floats, total, sync, task));
                }
            }
        } finally {
            CliSpark.stop(spark);
        }
        System.out.println(json.append(']'));
    }
}
