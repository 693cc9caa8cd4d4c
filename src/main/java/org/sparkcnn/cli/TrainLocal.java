package org.sparkcnn.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;
import org.sparkcnn.data.Dataset;
import org.sparkcnn.kernel.Parallel;
import org.sparkcnn.model.ModelZoo;
import org.sparkcnn.model.Network;
import org.sparkcnn.train.LocalTrainer;
import org.sparkcnn.train.TrainConfig;
import org.sparkcnn.train.TrainingControl;

/** jobs/train-local.sh: trains a zoo model on Fashion-MNIST in this JVM (no Spark). */
public final class TrainLocal {
    private TrainLocal() {
    }

    static final String USAGE = "usage: jobs/train-local.sh [--config FILE] [--set key=value ...] [--help]\n"
            + "Trains a zoo model on Fashion-MNIST in one JVM and prints one line per epoch.\n"
            + "Keys (default, meaning):\n";

    public static void main(String[] args) {
        try {
            run(args);
        } catch (IllegalArgumentException | IllegalStateException | ArithmeticException | IOException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
        }
    }

    static void run(String[] args) throws IOException {
        TrainConfig cfg = new TrainConfig();
        if (ConfigArgs.apply(args, cfg, USAGE, Set.of()) == null) {
            return;
        }
        cfg.validate();
        System.out.print(cfg.describe());
        int threads = cfg.getInt("threads", 0);
        Parallel pool = new Parallel(threads == 0 ? Runtime.getRuntime().availableProcessors() : threads);
        Path dir = Path.of(cfg.get("data"));
        long t0 = System.nanoTime();
        Dataset train = Dataset.fashionMnist(dir, "train", cfg.getInt("trainLimit", -1));
        Dataset test = Dataset.fashionMnist(dir, "test", cfg.getInt("testLimit", -1));
        System.out.printf("loaded %d training and %d test images in %.1fs; %d threads%n", train.size(), test.size(),
                (System.nanoTime() - t0) / 1e9, pool.threads());
        Network net = ModelZoo.build(cfg.get("model"), cfg.getLong("seed")).setParallel(pool);
        int batch = cfg.getInt("batchSize", 1);
        long stepsPerEpoch = (train.size() + batch - 1) / batch;
        LocalTrainer trainer = new LocalTrainer(net, cfg.optimizer(), cfg.schedule(stepsPerEpoch), batch,
                cfg.getLong("seed"));
        trainer.fit(train, test, cfg.getInt("epochs", 1), TrainingControl.of(cfg, cfg.getDouble("learningRate", 0)), System.out);
        pool.close();
    }
}
