package org.sparkcnn.cli;

import java.io.IOException;
import java.nio.file.Path;
import org.sparkcnn.data.Dataset;
import org.sparkcnn.kernel.Parallel;
import org.sparkcnn.model.ModelZoo;
import org.sparkcnn.model.Network;
import org.sparkcnn.train.LocalTrainer;
import org.sparkcnn.train.TrainConfig;
import org.sparkcnn.train.TrainingControl;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** jobs/train-local.sh: trains a zoo model on Fashion-MNIST in this JVM (no Spark). */
@Command(name = "jobs/train-local.sh", sortOptions = false, description = {
    "Trains a zoo model on Fashion-MNIST in one JVM and prints one line per epoch.", ""})
public final class TrainLocal {
    @Mixin
    ConfigArgs config = new ConfigArgs();

    public static void main(String[] args) {
        CliSpark.main(args, TrainLocal::run);
    }

    static void run(String[] args) throws IOException {
        TrainConfig cfg = new TrainConfig();
        TrainLocal t = new TrainLocal();
        if (CommandLines.command(t, args, ConfigArgs.keys(cfg)) == null) {
            return;
        }
        t.config.applyTo(cfg);
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
        Network net = ModelZoo.build(cfg.get("model"), cfg.getLong("seed")).setParallel(pool)
                .setLabelSmoothing(cfg.getDouble("labelSmoothing", 0));
        int batch = cfg.getInt("batchSize", 1);
        long stepsPerEpoch = (train.size() + batch - 1) / batch;
        LocalTrainer trainer = new LocalTrainer(net, cfg.optimizer(), cfg.schedule(stepsPerEpoch), batch,
                cfg.getLong("seed"));
        trainer.fit(train, test, cfg.getInt("epochs", 1), TrainingControl.of(cfg, cfg.getDouble("learningRate", 0)), System.out);
        pool.close();
    }
}
