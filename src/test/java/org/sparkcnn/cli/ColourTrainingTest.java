package org.sparkcnn.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.sparkcnn.io.JsonText;
import org.sparkcnn.io.ModelFile;
import org.sparkcnn.model.Network;
import org.sparkcnn.spark.CheckpointStore;
import org.sparkcnn.tensor.Tensor;

/**
 * A user's own colour images, end to end: PNG files in class folders (ColourShapes: 3×32×32,
 * 5 classes) imported with the folder importer, trained by the Spark job with a library network
 * and with a description file of the user's, fitted to the data's shape and classes; the model
 * file alone then rebuilds the network, which classifies the held-out PNGs as the job's last
 * validation said.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class ColourTrainingTest {
    @TempDir
    static Path dir;
    static String train, test;

    @BeforeAll
    static void importTheFolders() throws IOException {
        ColourShapes.write(dir.resolve("images/train"), 100, 1);
        ColourShapes.write(dir.resolve("images/test"), 20, 2);
        train = dir.resolve("data/train").toString();
        test = dir.resolve("data/test").toString();
        for (String split : List.of("train", "test")) {
            JobRuns.Result r = JobRuns.importer("folder", "--input", dir.resolve("images/" + split).toString(), "--out",
                    dir.resolve("data/" + split).toString(), "--split", split, "--files", "2", "--master", "local[1]");
            assertEquals(0, r.code(), r.toString());
        }
    }

    /** Trains {@code model} into a new run folder (2 partitions, batch 16, SGD); returns the last epoch's metrics. */
    private static Map<?, ?> train(String model, String run, int epochs, String learningRate, String syncEvery)
            throws IOException {
        JobRuns.Result r = JobRuns.train("--set", "train=" + train, "--set", "validation=" + test, "--set", "model=" + model,
                "--set", "epochs=" + epochs, "--set", "batchSize=16", "--set", "learningRate=" + learningRate,
                "--set", "syncEvery=" + syncEvery,
                "--set", "partitions=2", "--set", "master=local[2]", "--set", "output=" + dir.resolve(run));
        assertEquals(0, r.code(), r.toString());
        List<String> lines = Files.readAllLines(dir.resolve(run + "/metrics.jsonl"));
        assertEquals(epochs, lines.size());
        return (Map<?, ?>) JsonText.parse(lines.get(lines.size() - 1), "metrics");
    }

    @Test
    void aDescriptionFileOfTheUsersLearnsTheShapesAndItsModelFileStandsAlone() throws IOException {
        Path description = Files.writeString(dir.resolve("small-cnn.json"), String.join("\n",
                "// three conv-BN-ReLU stages and global pooling: any colour image size",
                "{\"layers\": [",
                "  {\"type\": \"convbnrelu\", \"out\": 16}, {\"type\": \"maxpool\"},",
                "  {\"type\": \"convbnrelu\", \"out\": 32}, {\"type\": \"maxpool\"},",
                "  {\"type\": \"convbnrelu\", \"out\": 64}, \"globalavgpool\",",
                "  {\"type\": \"linear\"}",
                "]}"));
        Map<?, ?> last = train(description.toString(), "runs/small", 10, "0.1", "2");
        double accuracy = ((Number) last.get("val_accuracy")).doubleValue();
        assertTrue(accuracy >= 0.9, "validation accuracy after 10 epochs: " + accuracy);

        Files.delete(description); // the model file must not need it
        ModelFile f = CheckpointStore.readModel(dir.resolve("runs/small/model").toString(), new Configuration());
        assertEquals(ColourShapes.CLASSES, f.about().classNames());
        assertNotNull(f.about().description());
        Network net = f.network();
        assertArrayEquals(new int[] {3, 32, 32}, net.inputShape());
        assertEquals(5, net.classes());
        assertEquals(accuracy, accuracy(net, f, dir.resolve("images/test")), 1e-9,
                "the rebuilt network classifies the held-out images as the job's validation did");
    }

    @Test
    void theLibrarysResnet20FitsTheColourData() throws IOException {
        Map<?, ?> last = train("resnet20", "runs/resnet20", 10, "0.05", "1");
        double accuracy = ((Number) last.get("val_accuracy")).doubleValue();
        assertTrue(accuracy >= 0.8, "resnet20's validation accuracy after 10 epochs: " + accuracy);
        ModelFile f = CheckpointStore.readModel(dir.resolve("runs/resnet20/model").toString(), new Configuration());
        assertArrayEquals(new int[] {3, 32, 32}, f.inputShape());
        assertEquals(5, f.classes());
    }

    /**
     * The share of the PNGs under {@code folder}/CLASS/ that {@code net} classifies as their
     * folder, read here independently of the importer and the reader: RGB planes in [0, 1],
     * normalised with the mean and std the model file carries.
     */
    private static double accuracy(Network net, ModelFile f, Path folder) throws IOException {
        float[] mean = f.about().mean(), std = f.about().std();
        List<float[]> images = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int c = 0; c < ColourShapes.CLASSES.size(); c++) {
            try (var files = Files.list(folder.resolve(ColourShapes.CLASSES.get(c)))) {
                for (Path p : (Iterable<Path>) files.sorted()::iterator) {
                    BufferedImage img = ImageIO.read(p.toFile());
                    int n = ColourShapes.SIZE * ColourShapes.SIZE;
                    float[] x = new float[3 * n];
                    for (int i = 0; i < n; i++) {
                        int rgb = img.getRGB(i % ColourShapes.SIZE, i / ColourShapes.SIZE);
                        for (int k = 0; k < 3; k++) {
                            x[k * n + i] = (((rgb >> (16 - 8 * k)) & 0xff) / 255f - mean[k]) / std[k];
                        }
                    }
                    images.add(x);
                    labels.add(c);
                }
            }
        }
        Tensor batch = new Tensor(images.size(), 3, ColourShapes.SIZE, ColourShapes.SIZE);
        for (int i = 0; i < images.size(); i++) {
            System.arraycopy(images.get(i), 0, batch.data, i * images.get(i).length, images.get(i).length);
        }
        Tensor logits = net.forward(batch, false);
        int correct = 0;
        for (int i = 0; i < images.size(); i++) {
            int best = 0;
            for (int k = 1; k < net.classes(); k++) {
                if (logits.data[i * net.classes() + k] > logits.data[i * net.classes() + best]) {
                    best = k;
                }
            }
            correct += best == labels.get(i) ? 1 : 0;
        }
        return (double) correct / images.size();
    }
}
