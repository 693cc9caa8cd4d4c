package org.sparkcnn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mistakes users really make never destroy data: outputs that would land in inputs, a failed
 * --overwrite, --resume with nothing to resume, a hand-edited metrics file. Each runs the jobs'
 * mains as jobs/train.sh and jobs/import.sh do, and checks the exit code, the one error line and,
 * by checksums of every file, that nothing saved changed.
 */
class SafeByDefaultTest {
    @TempDir
    static Path dir;
    static String train, test;

    @BeforeAll
    static void datasets() throws IOException {
        Path[] tr = JobRuns.fashionIdx(dir.resolve("idx"), "train", 96);
        Path[] te = JobRuns.fashionIdx(dir.resolve("idx"), "test", 32);
        train = dir.resolve("data/train").toString();
        test = dir.resolve("data/test").toString();
        for (String[] pair : new String[][] {{tr[0].toString(), tr[1].toString(), train}, {te[0].toString(), te[1].toString(), test}}) {
            JobRuns.Result r = JobRuns.importer("idx", "--images", pair[0], "--labels", pair[1], "--out", pair[2],
                    "--files", "2", "--master", "local[1]");
            assertEquals(0, r.code(), r.toString());
        }
    }

    private static String[] trainArgs(String output, String... more) {
        List<String> a = new ArrayList<>(List.of("--set", "train=" + train, "--set", "validation=" + test, "--set",
                "model=lenet5", "--set", "epochs=1", "--set", "batchSize=16", "--set", "partitions=2", "--set",
                "master=local[2]", "--set", "output=" + output));
        for (String m : more) {
            a.addAll(m.startsWith("--") ? List.of(m) : List.of("--set", m));
        }
        return a.toArray(new String[0]);
    }

    /** Exit 2 and exactly one line, "error: ..." containing every fragment. */
    private static void refused(JobRuns.Result r, String... fragments) {
        assertEquals(2, r.code(), r.toString());
        assertEquals(1, r.errLines().size(), r.toString());
        String line = r.errLines().get(0);
        assertTrue(line.startsWith("error: "), line);
        for (String f : fragments) {
            assertTrue(line.contains(f), "'" + f + "' missing from: " + line);
        }
    }

    @Test
    void anOutputEqualToInsideOrAroundAnInputIsRefusedBeforeAnythingIsWritten() throws IOException {
        Map<String, String> before = JobRuns.checksums(dir.resolve("data"));
        refused(JobRuns.train(trainArgs(train)), "output " + train + " is the input train " + train);
        refused(JobRuns.train(trainArgs(train + "/")), "is the input train");
        refused(JobRuns.train(trainArgs("file:" + dir.resolve("data/x/../train"))), "is the input train");
        refused(JobRuns.train(trainArgs(Path.of("").toAbsolutePath().relativize(Path.of(train)).toString())),
                "is the input train");
        refused(JobRuns.train(trainArgs(train + "/run")), "lies inside the input train " + train);
        refused(JobRuns.train(trainArgs(test + "/run")), "lies inside the input validation " + test);
        refused(JobRuns.train(trainArgs(dir.resolve("data").toString())), "contains the input train");
        Path link = Files.createSymbolicLink(dir.resolve("link-to-data"), dir.resolve("data"));
        refused(JobRuns.train(trainArgs(link.resolve("test").toString())), "is the input validation");
        Path file = Files.writeString(dir.resolve("a-file"), "notes\n");
        refused(JobRuns.train(trainArgs(file.toString())), "is a file");
        assertEquals("notes\n", Files.readString(file));
        // the importers likewise: the output may not be (in) what is read
        Path[] idx = {dir.resolve("idx/train-images.gz"), dir.resolve("idx/train-labels.gz")};
        refused(JobRuns.importer("idx", "--images", idx[0].toString(), "--labels", idx[1].toString(), "--out",
                dir.resolve("idx").toString(), "--overwrite"), "--out " + dir.resolve("idx") + " contains the input --images");
        refused(JobRuns.importer("folder", "--input", dir.resolve("data").toString(), "--out", train, "--overwrite"),
                "lies inside the input --input");
        assertEquals(before, JobRuns.checksums(dir.resolve("data")), "the datasets changed");
        assertTrue(Files.exists(idx[0]) && Files.exists(idx[1]));
    }

    @Test
    void resumeWithNoUsableCheckpointExits2AndChangesNothing() throws IOException {
        Path none = dir.resolve("runs/typo");
        refused(JobRuns.train(trainArgs(none.toString(), "--resume")), "cannot resume: no usable checkpoint under "
                + none + "/checkpoints (none found)");
        assertFalse(Files.exists(none), "a refused resume created the output folder");

        Path run = dir.resolve("runs/corrupt");
        assertEquals(0, JobRuns.train(trainArgs(run.toString())).code());
        for (Path state : List.of(run.resolve("checkpoints/epoch-0001/state.bin"))) {
            byte[] b = Files.readAllBytes(state);
            b[b.length / 2] ^= 1;
            Files.write(state, b);
        }
        Map<String, String> before = JobRuns.checksums(run);
        refused(JobRuns.train(trainArgs(run.toString(), "epochs=2", "--resume")),
                "skipping checkpoint epoch-0001", "corrupt: the CRC32 of state.bin");
        refused(JobRuns.train(trainArgs(run.toString(), "epochs=2", "--resume=auto")),
                "already holds a run (model) and no usable checkpoint", "--overwrite");
        refused(JobRuns.train(trainArgs(run.toString(), "epochs=2")), "already holds a run");
        refused(JobRuns.train(trainArgs(run.toString(), "--resume", "--overwrite")), "contradict");
        assertEquals(before, JobRuns.checksums(run), "a refused start changed the run folder");

        JobRuns.Result replaced = JobRuns.train(trainArgs(run.toString(), "epochs=2", "--resume=auto", "--overwrite"));
        assertEquals(0, replaced.code(), replaced.toString());
        assertTrue(Files.exists(run.resolve("checkpoints/epoch-0002/_MANIFEST.json")));
        assertEquals(2, Files.readAllLines(run.resolve("metrics.jsonl")).size());
        try (var s = Files.list(run.getParent())) {
            assertEquals(List.of(), s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".corrupt")).toList(),
                    "the replacement's staging folder was left behind");
        }
        JobRuns.Result again = JobRuns.train(trainArgs(run.toString(), "epochs=2", "--resume=auto"));
        assertEquals(0, again.code(), again.toString());
        assertTrue(again.out().contains("nothing to train"), again.out());
    }

    @Test
    void aHandEditedMetricsFileNeverBlocksAResume() throws IOException {
        Path run = dir.resolve("runs/edited");
        assertEquals(0, JobRuns.train(trainArgs(run.toString())).code());
        Path metrics = run.resolve("metrics.jsonl");
        assertFalse(Files.exists(run.resolve(".metrics.jsonl.crc")), "metrics.jsonl has a Hadoop checksum file");
        String original = Files.readString(metrics);
        String edited = original.replace("\"epoch\":1", "\"epoch\": 1, \"note\": \"looked fine\"") + "not json\n";
        Files.writeString(metrics, edited);
        Files.write(run.resolve(".metrics.jsonl.crc"), new byte[] {1, 2, 3, 4}); // as older versions left it

        JobRuns.Result r = JobRuns.train(trainArgs(run.toString(), "epochs=2", "--resume"));
        assertEquals(0, r.code(), r.toString());
        List<String> lines = Files.readAllLines(metrics);
        assertEquals(2, lines.size(), lines.toString());
        assertEquals(original.strip(), lines.get(0), "epoch 1 comes from the checkpoint");
        assertTrue(lines.get(1).startsWith("{\"epoch\":2,"), lines.get(1));
        assertTrue(r.err().contains("warning: ") && r.err().contains("differed from the history in the checkpoint"), r.err());
        try (var s = Files.list(run)) {
            Path kept = s.filter(p -> p.getFileName().toString().startsWith("metrics.jsonl.before-resume")).findFirst()
                    .orElseThrow();
            assertEquals(edited, Files.readString(kept), "the user's edit was not kept");
        }
        assertFalse(Files.exists(run.resolve(".metrics.jsonl.crc")));
    }

    @Test
    void aFailedOverwritingRunLeavesTheEarlierRunAsItWas() throws IOException {
        Path run = dir.resolve("runs/diverge");
        assertEquals(0, JobRuns.train(trainArgs(run.toString())).code());
        Map<String, String> before = JobRuns.checksums(run);
        JobRuns.Result r = JobRuns.train(trainArgs(run.toString(), "learningRate=1e30", "--overwrite"));
        assertEquals(1, r.code(), r.toString());
        assertEquals(1, r.errLines().size(), r.toString());
        assertTrue(r.errLines().get(0).matches("error: non-finite .*epoch 1, round 1, partition \\d.*"), r.toString());
        assertEquals(before, JobRuns.checksums(run), "the earlier run changed");
    }

    @Test
    void aFailedOverwritingImportLeavesTheEarlierDatasetAsItWas() throws IOException {
        // a truncated IDX file, caught before the job
        Path[] idx = JobRuns.fashionIdx(dir.resolve("idx2"), "test", 20);
        String out = dir.resolve("data2/idx").toString();
        assertEquals(0, JobRuns.importer("idx", "--images", idx[0].toString(), "--labels", idx[1].toString(), "--out", out,
                "--master", "local[1]").code());
        Map<String, String> before = JobRuns.checksums(dir.resolve("data2"));
        byte[] gz = Files.readAllBytes(idx[0]);
        Files.write(idx[0], Arrays.copyOf(gz, gz.length / 2));
        JobRuns.Result r = JobRuns.importer("idx", "--images", idx[0].toString(), "--labels", idx[1].toString(), "--out",
                out, "--overwrite", "--master", "local[1]");
        assertTrue(r.code() != 0, r.toString());
        assertEquals(1, r.errLines().size(), r.toString());
        assertTrue(r.errLines().get(0).contains(idx[0].toString()), r.toString());
        assertEquals(before, JobRuns.checksums(dir.resolve("data2")), "the earlier dataset changed");

        // a corrupt image, found by a task in the middle of the Spark job
        Path images = dir.resolve("images");
        for (String cls : List.of("cat", "dog")) {
            for (int i = 0; i < 3; i++) {
                png(images.resolve(cls + "/" + i + ".png"), 8, 8, i);
            }
        }
        String folderOut = dir.resolve("data2/folder").toString();
        assertEquals(0, JobRuns.importer("folder", "--input", images.toString(), "--out", folderOut, "--files", "2",
                "--master", "local[1]").code());
        before = JobRuns.checksums(dir.resolve("data2"));
        Path bad = images.resolve("dog/9.png");
        png(bad, 8, 8, 9);
        byte[] b = Files.readAllBytes(bad);
        Files.write(bad, Arrays.copyOf(b, b.length / 2)); // cut inside the image data
        r = JobRuns.importer("folder", "--input", images.toString(), "--out", folderOut, "--files", "2", "--overwrite",
                "--master", "local[1]");
        assertEquals(1, r.code(), r.toString());
        assertEquals(1, r.errLines().size(), r.toString());
        assertTrue(r.errLines().get(0).contains(bad.toString()), r.toString());
        assertEquals(before, JobRuns.checksums(dir.resolve("data2")), "the earlier dataset changed");
        try (var s = Files.list(dir.resolve("data2"))) {
            assertEquals(List.of("folder", "idx"), s.map(p -> p.getFileName().toString()).sorted().toList(),
                    "a failed import left its staging folder");
        }
    }

    @Test
    void aDescriptionThatFixesAnotherShapeOrClassCountIsRefusedBeforeTraining() throws IOException {
        Path images = dir.resolve("three-classes");
        for (String cls : List.of("a", "b", "c")) {
            png(images.resolve(cls + "/0.png"), 28, 28, cls.charAt(0));
        }
        String data = dir.resolve("data3/three").toString();
        assertEquals(0, JobRuns.importer("folder", "--input", images.toString(), "--out", data, "--channels", "1",
                "--master", "local[1]").code());
        Path fixed = Files.writeString(dir.resolve("ten-classes.json"),
                "{\"classes\": 10,\n \"layers\": [\"flatten\", {\"type\": \"linear\"}]}");
        JobRuns.Result r = JobRuns.train("--set", "train=" + data, "--set", "validation=", "--set", "model=" + fixed,
                "--set", "master=local[1]", "--set", "output=" + dir.resolve("runs/three"));
        refused(r, fixed + ":1: classes: the description has 10 classes but the data has 3");
        assertFalse(r.out().contains("epoch 1/"), r.out());
        Path colour = Files.writeString(dir.resolve("colour.json"),
                "{\"input\": [3, 28, 28],\n \"layers\": [\"flatten\", {\"type\": \"linear\"}]}");
        refused(JobRuns.train("--set", "train=" + data, "--set", "validation=", "--set", "model=" + colour,
                "--set", "master=local[1]", "--set", "output=" + dir.resolve("runs/three")),
                colour + ":1: input: the description is for 3×28×28 images but the data is 1×28×28");
        // a library network fits itself to the three classes
        JobRuns.Result fits = JobRuns.train("--set", "train=" + data, "--set", "validation=", "--set", "model=lenet5",
                "--set", "epochs=1", "--set", "master=local[1]", "--set", "output=" + dir.resolve("runs/three-fits"));
        assertEquals(0, fits.code(), fits.toString());
    }

    @Test
    void aBadMasterIsAConfigurationErrorAndVerboseShowsTheStackTrace() {
        refused(JobRuns.train(trainArgs(dir.resolve("runs/master").toString(), "master=bogus")), "master = bogus");
        JobRuns.Result verbose = JobRuns.train(trainArgs(dir.resolve("runs/master").toString(), "master=bogus", "--verbose"));
        assertEquals(2, verbose.code(), verbose.toString());
        assertTrue(verbose.errLines().get(0).startsWith("error: master = bogus"), verbose.toString());
        assertTrue(verbose.err().contains("\tat org.sparkcnn.cli.CliSpark.session"), verbose.toString());
    }

    /** A grey PNG with seeded noise. */
    static void png(Path file, int h, int w, long seed) throws IOException {
        Files.createDirectories(file.getParent());
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        SplittableRandom r = new SplittableRandom(seed);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int v = r.nextInt(256);
                img.getRaster().setSample(x, y, 0, v);
            }
        }
        ImageIO.write(img, "png", file.toFile());
    }
}
