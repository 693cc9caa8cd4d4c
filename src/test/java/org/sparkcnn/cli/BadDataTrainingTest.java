package org.sparkcnn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkcnn.io.JsonText;
import org.sparkcnn.spark.FashionSample;
import org.sparkcnn.spark.SparkTestSessions;

/**
 * Bad data at scale (docs/reliability.md, section 6): the train job on one dataset that mixes an
 * imported file holding most rows with a file of corrupt rows, wrong shapes and bad labels, an empty
 * file and a file without the label column. The reader's parts are tested one by one in
 * ParquetImportTest and MiniBatchStreamTest; this checks what the job does with all of them at once.
 */
class BadDataTrainingTest {
    /** The imported file's rows: most of the dataset. */
    static final int IMPORTED = 220;
    /** Bad rows per kind, as the file of bad rows and the file without labels hold them. */
    static final Map<String, Long> BAD = new TreeMap<>(Map.of("UNDECODABLE", 3L, "SIZE_MISMATCH", 3L, "SHAPE_MISMATCH", 2L,
            "MISSING_FIELD", 1L, "LABEL_OUT_OF_RANGE", 2L, "MISSING_LABEL", 6L));
    /** Good rows of the file of bad rows, and rows of the file without labels (all MISSING_LABEL). */
    static final int GOOD_AMONG_BAD = 10, UNLABELLED = 4;
    static final long ROWS = IMPORTED + 13 + GOOD_AMONG_BAD + UNLABELLED, BAD_ROWS = 17;

    @TempDir
    static Path dir;
    static String data;

    @BeforeAll
    static void writeTheDataset() throws IOException {
        SparkSession spark = SparkTestSessions.local(2, Map.of());
        try {
            data = FashionSample.write(spark, dir.resolve("mixed"), "train", IMPORTED, 1);
            StructType image = new StructType().add("origin", DataTypes.StringType).add("height", DataTypes.IntegerType)
                    .add("width", DataTypes.IntegerType).add("nChannels", DataTypes.IntegerType)
                    .add("mode", DataTypes.IntegerType).add("data", DataTypes.BinaryType);
            StructType labelled = new StructType().add("image", image).add("label", DataTypes.IntegerType)
                    .add("id", DataTypes.LongType).add("split", DataTypes.StringType);
            StructType unlabelled = new StructType().add("image", image).add("id", DataTypes.LongType)
                    .add("split", DataTypes.StringType);
            Random random = new Random(15);
            List<Row> bad = new ArrayList<>();
            for (int i = 0; i < GOOD_AMONG_BAD; i++) {
                bad.add(row(img("good" + i, 28, 28, 1, 0, pixels(random, 784)), i % 10));
            }
            bad.add(row(img("spark-invalid", -1, -1, -1, -1, new byte[0]), 1));            // UNDECODABLE: Spark's invalid image
            bad.add(row(img("no-data", 28, 28, 1, 0, null), 2));                           // UNDECODABLE
            bad.add(row(img("mode-16", 28, 28, 1, 16, pixels(random, 784)), 3));           // UNDECODABLE: mode says BGR
            bad.add(row(img("short", 28, 28, 1, 0, pixels(random, 700)), 4));              // SIZE_MISMATCH
            bad.add(row(img("long", 28, 28, 1, 0, pixels(random, 785)), 5));               // SIZE_MISMATCH
            bad.add(row(img("one-byte", 28, 28, 1, 0, pixels(random, 1)), 6));             // SIZE_MISMATCH
            bad.add(row(img("30x30", 30, 30, 1, 0, pixels(random, 900)), 7));              // SHAPE_MISMATCH
            bad.add(row(img("colour", 28, 28, 3, 16, pixels(random, 2352)), 8));           // SHAPE_MISMATCH
            bad.add(row(img("no-width", 28, null, 1, 0, pixels(random, 784)), 9));         // MISSING_FIELD
            bad.add(row(img("ten", 28, 28, 1, 0, pixels(random, 784)), 10));               // LABEL_OUT_OF_RANGE
            bad.add(row(img("minus-one", 28, 28, 1, 0, pixels(random, 784)), -1));         // LABEL_OUT_OF_RANGE
            bad.add(row(img("null-label-1", 28, 28, 1, 0, pixels(random, 784)), null));    // MISSING_LABEL
            bad.add(row(img("null-label-2", 28, 28, 1, 0, pixels(random, 784)), null));    // MISSING_LABEL
            List<Row> noLabel = new ArrayList<>();
            for (int i = 0; i < UNLABELLED; i++) {
                noLabel.add(RowFactory.create(img("unlabelled" + i, 28, 28, 1, 0, pixels(random, 784)), 1000L + i, "train"));
            }
            // named so that they sort after the imported file: "first row" in (file, row) order is the imported one
            move(spark, bad, labelled, "part-00001-bad-rows.zstd.parquet");
            move(spark, new ArrayList<>(), labelled, "part-00002-empty.zstd.parquet");
            move(spark, noLabel, unlabelled, "part-00003-no-label-column.zstd.parquet");
        } finally {
            spark.stop();
        }
    }

    private static Row img(String origin, Integer h, Integer w, Integer c, Integer mode, byte[] px) {
        return RowFactory.create(origin, h, w, c, mode, px);
    }

    private static Row row(Row image, Integer label) {
        return RowFactory.create(image, label, (long) image.getString(0).hashCode(), "train");
    }

    private static byte[] pixels(Random random, int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    /** Writes {@code rows} as one Parquet file and moves it into the dataset as {@code name}. */
    private static void move(SparkSession spark, List<Row> rows, StructType schema, String name) throws IOException {
        Path tmp = dir.resolve("tmp-" + name);
        spark.createDataFrame(rows, schema).coalesce(1).write().option("compression", "zstd").parquet(tmp.toString());
        try (Stream<Path> s = Files.list(tmp)) {
            List<Path> parts = s.filter(p -> p.getFileName().toString().endsWith(".parquet")).toList();
            assertEquals(1, parts.size(), parts.toString());
            Files.move(parts.get(0), Path.of(data, name));
        }
    }

    private static JobRuns.Result train(Path run, String... settings) {
        List<String> args = new ArrayList<>(List.of("--set", "train=" + data, "--set", "output=" + run, "--set", "model=lenet5",
                "--set", "batchSize=32", "--set", "partitions=2", "--set", "master=local[2]", "--set", "validation="));
        for (String s : settings) {
            args.add("--set");
            args.add(s);
        }
        return JobRuns.train(args.toArray(String[]::new));
    }

    /** Under skip every bad row is dropped and counted by kind, each epoch; no other row is lost. */
    @Test
    void skipDropsAndCountsEveryBadRowByKind(@TempDir Path tmp) throws IOException {
        JobRuns.Result r = train(tmp.resolve("run"), "epochs=2", "onBadRecord=skip", "maxBadFraction=0.2");
        assertEquals(0, r.code(), r.toString());
        List<String> lines = Files.readAllLines(tmp.resolve("run/metrics.jsonl"));
        assertEquals(2, lines.size());
        for (String line : lines) {
            Map<?, ?> m = (Map<?, ?>) JsonText.parse(line, "metrics");
            assertEquals(BAD_ROWS, ((Number) m.get("bad_records")).longValue(), line);
            Map<String, Long> kinds = new TreeMap<>();
            ((Map<?, ?>) m.get("bad_records_by_kind")).forEach((k, v) -> kinds.put((String) k, ((Number) v).longValue()));
            assertEquals(BAD, kinds, line);
            assertEquals(ROWS - BAD_ROWS, ((Number) m.get("train_images")).longValue(), "rows lost otherwise: " + line);
        }
        assertTrue(r.out().contains("bad records: 17 of 247 records bad (6.88%): MISSING_FIELD 1, UNDECODABLE 3,"
                + " SIZE_MISMATCH 3, SHAPE_MISMATCH 2, MISSING_LABEL 6, LABEL_OUT_OF_RANGE 2"), r.out());
        // the imported file holds 220 of the 247 rows; the training partitions get them spread by a hash
        Matcher rows = Pattern.compile("2 partitions \\(rows (\\d+) (\\d+)\\)").matcher(r.out());
        assertTrue(rows.find(), r.out());
        long a = Long.parseLong(rows.group(1)), b = Long.parseLong(rows.group(2));
        assertEquals(ROWS, a + b);
        assertTrue(a > ROWS / 4 && b > ROWS / 4, rows.group());
        assertTrue(Files.exists(tmp.resolve("run/model/model.bin")));
    }

    /** The default policy stops at the first bad row with one line naming its file, row and column; nothing is saved. */
    @Test
    void failStopsAtTheFirstBadRowNamingItsFileRowAndColumn(@TempDir Path tmp) throws IOException {
        JobRuns.Result r = train(tmp.resolve("run"), "epochs=1");
        assertEquals(1, r.code(), r.toString());
        List<String> errors = r.errLines().stream().filter(l -> l.startsWith("error: ")).toList();
        assertEquals(1, errors.size(), r.toString());
        assertTrue(errors.get(0).matches("error: bad record in file file:.*/mixed/parquet/part-0000[13]-[a-z-]+\\.zstd\\.parquet,"
                + " row \\d+, column (image|image\\.[a-zA-Z]+|label): .* \\((" + String.join("|", BAD.keySet()) + ")\\).*"),
                errors.get(0));
        assertFalse(Files.exists(tmp.resolve("run/model")), "no model after a failed epoch");
        assertFalse(Files.exists(tmp.resolve("run/checkpoints/epoch-0001")), "no checkpoint after a failed epoch");
    }

    /** Skip is still bounded: 17 bad rows are far more than the default 1 % of a partition. */
    @Test
    void skipFailsAPartitionWithMoreBadRowsThanMaxBadFraction(@TempDir Path tmp) {
        JobRuns.Result r = train(tmp.resolve("run"), "epochs=1", "onBadRecord=skip");
        assertEquals(1, r.code(), r.toString());
        List<String> errors = r.errLines().stream().filter(l -> l.startsWith("error: ")).toList();
        assertEquals(1, errors.size(), r.toString());
        assertTrue(errors.get(0).matches("error: partition [01]: too many bad records: \\d+ of \\d+ records bad .*,"
                + " more than maxBadFraction = 0\\.01 \\(1\\.00%\\).*"), errors.get(0));
    }

    /**
     * Without _stats.json (as a writer other than our importer leaves a dataset) the driver finds the
     * wrong-shaped rows before any training, under either policy: images of two sizes are not a few bad rows.
     */
    @Test
    void withoutStatisticsWrongShapesAreRefusedBeforeAnyWork(@TempDir Path tmp) throws IOException {
        Path copy = tmp.resolve("nostats");
        try (Stream<Path> s = Files.list(Path.of(data))) {
            Files.createDirectories(copy);
            for (Path p : s.filter(p -> !p.getFileName().toString().equals("_stats.json")).toList()) {
                Files.copy(p, copy.resolve(p.getFileName()));
            }
        }
        for (String policy : List.of("fail", "skip")) {
            JobRuns.Result r = JobRuns.train("--set", "train=" + copy, "--set", "output=" + tmp.resolve("run-" + policy),
                    "--set", "model=lenet5", "--set", "partitions=2", "--set", "master=local[2]", "--set", "validation=",
                    "--set", "onBadRecord=" + policy, "--set", "maxBadFraction=0.2");
            assertEquals(1, r.code(), r.toString());
            List<String> errors = r.errLines().stream().filter(l -> l.startsWith("error: ")).toList();
            assertEquals(1, errors.size(), r.toString());
            assertTrue(errors.get(0).matches("error: train = .*/nostats: row \\d+ of file:.*/part-00001-bad-rows\\.zstd\\.parquet"
                    + " is 1×30×30 but the first row is 1×28×28: import with --resize HxW to give every image one size"),
                    errors.get(0));
            assertFalse(Files.exists(tmp.resolve("run-" + policy + "/model")));
        }
    }
}
