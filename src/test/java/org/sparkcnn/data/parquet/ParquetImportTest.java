package org.sparkcnn.data.parquet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkcnn.data.BadRecordCounts;
import org.sparkcnn.data.BadRecordKind;
import org.sparkcnn.data.BadRecordPolicy;
import org.sparkcnn.data.MiniBatch;
import org.sparkcnn.data.MiniBatchStream;
import org.sparkcnn.data.ReaderConfig;

/** Importers and the streaming reader on Spark in local mode. */
class ParquetImportTest {
    static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = SparkSession.builder().master("local[2]").appName("ParquetImportTest")
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2").getOrCreate();
        spark.sparkContext().setLogLevel("ERROR");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** Writes an unsigned-byte IDX file (gzipped when the name ends in .gz). */
    static void idx(Path file, byte[] data, int... dims) throws IOException {
        org.sparkcnn.data.IdxFiles.write(file, data, dims);
    }

    static byte[] random(Random r, int n, int bound) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) r.nextInt(bound);
        }
        return b;
    }

    @Test
    void idxRoundTripsExactlyAndRefusesToOverwrite(@TempDir Path tmp) throws IOException {
        Random r = new Random(3);
        byte[] px = random(r, 13 * 5 * 4, 256), labels = random(r, 13, 7);
        idx(tmp.resolve("t10k-images.gz"), px, 13, 5, 4);
        idx(tmp.resolve("labels"), labels, 13);
        String out = tmp.resolve("out").toString();
        Map<String, Long> written = IdxImporter.run(spark, tmp.resolve("t10k-images.gz").toString(),
                tmp.resolve("labels").toString(), "test", null, out, 3, false);
        assertEquals(Map.of("test", 13L), written);
        Dataset<Row> df = spark.read().parquet(out);
        assertEquals(3, Files.list(tmp.resolve("out")).filter(p -> p.toString().endsWith(".parquet")).count());
        int maxLabel = 0;
        for (byte l : labels) {
            maxLabel = Math.max(maxLabel, l);
        }
        assertEquals(IdxImporter.numbered(maxLabel + 1), ImageLayout.classes(df.schema()));
        assertTrue(Files.readString(tmp.resolve("out").resolve(ImageLayout.CLASSES_FILE)).contains("\"0\""));
        List<Row> rows = df.orderBy("id").collectAsList();
        assertEquals(13, rows.size());
        for (int i = 0; i < 13; i++) {
            Row row = rows.get(i), img = row.getStruct(0);
            assertEquals(i, row.getLong(2));
            assertEquals(labels[i], row.getInt(1));
            assertEquals("test", row.getString(3));
            assertEquals(5, img.getInt(1));
            assertEquals(4, img.getInt(2));
            assertEquals(1, img.getInt(3));
            assertEquals(0, img.getInt(4));
            assertArrayEquals(Arrays.copyOfRange(px, i * 20, (i + 1) * 20), (byte[]) img.get(5), "image " + i);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IdxImporter.run(spark,
                tmp.resolve("t10k-images.gz").toString(), tmp.resolve("labels").toString(), "test", null, out, 3, false));
        assertTrue(e.getMessage().contains("--overwrite"), e.getMessage());
        assertEquals(Map.of("test", 13L), IdxImporter.run(spark, tmp.resolve("t10k-images.gz").toString(),
                tmp.resolve("labels").toString(), "test", List.of("a", "b", "c", "d", "e", "f", "g"), out, 1, true));
    }

    @Test
    void idxErrorsNameTheFile(@TempDir Path tmp) throws IOException {
        idx(tmp.resolve("img"), new byte[12], 3, 2, 2);
        idx(tmp.resolve("lab"), new byte[4], 4);
        IOException e = assertThrows(IOException.class, () -> IdxImporter.run(spark, tmp.resolve("img").toString(),
                tmp.resolve("lab").toString(), "train", null, tmp.resolve("o").toString(), 1, false));
        assertTrue(e.getMessage().contains("3 images") && e.getMessage().contains("4 labels"), e.getMessage());
        assertThrows(java.io.FileNotFoundException.class, () -> IdxImporter.run(spark, tmp.resolve("nope").toString(),
                tmp.resolve("lab").toString(), "train", null, tmp.resolve("o").toString(), 1, false));
        assertFalse(Files.exists(tmp.resolve("o")));
    }

    /** The stream of one dataset's partitions through MiniBatchStream; float sums and counts come back as task results. */
    static List<Object[]> stream(Dataset<Row> df, ReaderConfig cfg) {
        ParquetImageReader reader = new ParquetImageReader(df.schema());
        return df.javaRDD().mapPartitionsWithIndex((part, rows) -> {
            cfg.partition = part; // each task deserialises its own copy of the config
            MiniBatchStream s = reader.batches(rows, cfg);
            List<Float> values = new ArrayList<>();
            List<Integer> labels = new ArrayList<>();
            while (s.hasNext()) {
                MiniBatch b = s.next();
                for (int i = 0; i < b.size() * (b.images.size() / Math.max(1, b.images.dim(0))); i++) {
                    values.add(b.images.data[i]);
                }
                for (int i = 0; i < b.size(); i++) {
                    labels.add(b.labels[i]);
                }
            }
            Iterator<Object[]> one = Collections.singletonList(new Object[] {part, values, labels, s.counts()}).iterator();
            return one;
        }, true).collect();
    }

    @Test
    void readerStreamsTheImportMatchingTheIdxReader(@TempDir Path tmp) throws IOException {
        Random r = new Random(5);
        byte[] px = random(r, 23 * 28 * 28, 256), labels = random(r, 23, 10);
        idx(tmp.resolve("i.gz"), px, 23, 28, 28);
        idx(tmp.resolve("l.gz"), labels, 23);
        String out = tmp.resolve("pq").toString();
        IdxImporter.run(spark, tmp.resolve("i.gz").toString(), tmp.resolve("l.gz").toString(), "train", null, out, 1, false);
        org.sparkcnn.data.Dataset ref = org.sparkcnn.data.Dataset.fromIdx(tmp.resolve("i.gz"), tmp.resolve("l.gz"), -1,
                org.sparkcnn.data.Dataset.FASHION_MEAN, org.sparkcnn.data.Dataset.FASHION_STD, 10);
        ReaderConfig cfg = fashionConfig(5);
        List<Object[]> parts = stream(ParquetImageReader.load(spark, out), cfg);
        assertEquals(1, parts.size());
        @SuppressWarnings("unchecked") List<Float> values = (List<Float>) parts.get(0)[1];
        @SuppressWarnings("unchecked") List<Integer> got = (List<Integer>) parts.get(0)[2];
        assertEquals(ref.images.length, values.size());
        for (int i = 0; i < ref.images.length; i++) {
            assertEquals(Float.floatToIntBits(ref.images[i]), Float.floatToIntBits(values.get(i)), "value " + i);
        }
        for (int i = 0; i < 23; i++) {
            assertEquals(ref.labels[i], got.get(i));
        }
        assertEquals(0, ((BadRecordCounts) parts.get(0)[3]).bad);
    }

    static ReaderConfig fashionConfig(int batch) {
        ReaderConfig c = new ReaderConfig(1, 28, 28, 10);
        c.batchSize = batch;
        c.mean = new float[] {org.sparkcnn.data.Dataset.FASHION_MEAN};
        c.std = new float[] {org.sparkcnn.data.Dataset.FASHION_STD};
        return c.validate();
    }

    static void png(Path file, BufferedImage img, String format) throws IOException {
        Files.createDirectories(file.getParent());
        assertTrue(ImageIO.write(img, format, file.toFile()), "no writer for " + format);
    }

    @Test
    void folderImporterDecodesPngAndJpegOfMixedSizesToRgb(@TempDir Path tmp) throws IOException {
        Path in = tmp.resolve("in");
        BufferedImage gray = new BufferedImage(7, 5, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 5; y++) {
            for (int x = 0; x < 7; x++) {
                gray.getRaster().setSample(x, y, 0, 10 * y + x);
            }
        }
        BufferedImage colour = new BufferedImage(4, 6, BufferedImage.TYPE_3BYTE_BGR);
        colour.setRGB(1, 2, 0x112233); // R 0x11, G 0x22, B 0x33
        png(in.resolve("boots/a.png"), gray, "png");
        png(in.resolve("coats/b.png"), colour, "png");
        png(in.resolve("coats/c.jpg"), new BufferedImage(9, 8, BufferedImage.TYPE_3BYTE_BGR), "jpg");
        Files.writeString(in.resolve("coats/notes.txt"), "not an image, ignored");
        String out = tmp.resolve("out").toString();
        Map<String, Long> n = FolderImporter.run(spark, in.toString(), "train", new FolderImporter.Convert(3, 0, 0),
                out, 2, false, false);
        assertEquals(Map.of("train", 3L), n);
        Dataset<Row> df = spark.read().parquet(out);
        assertEquals(List.of("boots", "coats"), ImageLayout.classes(df.schema()));
        List<Row> rows = df.orderBy("id").collectAsList();
        Row a = rows.get(0).getStruct(0), b = rows.get(1).getStruct(0), c = rows.get(2).getStruct(0);
        assertEquals(0, rows.get(0).getInt(1));
        assertEquals(1, rows.get(1).getInt(1));
        assertEquals(List.of(5, 7, 3, 16), List.of(a.getInt(1), a.getInt(2), a.getInt(3), a.getInt(4)));
        byte[] ad = (byte[]) a.get(5);
        int grey = (2 * 7 + 3) * 3;
        assertArrayEquals(new byte[] {23, 23, 23}, Arrays.copyOfRange(ad, grey, grey + 3), "grey replicated to RGB");
        assertEquals(List.of(6, 4, 3, 16), List.of(b.getInt(1), b.getInt(2), b.getInt(3), b.getInt(4)));
        byte[] bd = (byte[]) b.get(5);
        int at = (2 * 4 + 1) * 3;
        assertArrayEquals(new byte[] {0x33, 0x22, 0x11}, Arrays.copyOfRange(bd, at, at + 3), "BGR order");
        assertEquals(List.of(8, 9, 3), List.of(c.getInt(1), c.getInt(2), c.getInt(3)));
        assertEquals(8 * 9 * 3, ((byte[]) c.get(5)).length);

        // fixed size and grey on request
        String out2 = tmp.resolve("out2").toString();
        FolderImporter.run(spark, in.toString(), "train", new FolderImporter.Convert(1, 4, 4), out2, 1, false, false);
        for (Row row : spark.read().parquet(out2).collectAsList()) {
            Row img = row.getStruct(0);
            assertEquals(List.of(4, 4, 1, 0, 16), List.of(img.getInt(1), img.getInt(2), img.getInt(3), img.getInt(4),
                    ((byte[]) img.get(5)).length));
        }

        // an undecodable file fails the job with its path
        Files.write(in.resolve("coats/broken.png"), new byte[] {1, 2, 3, 4});
        Exception e = assertThrows(Exception.class, () -> FolderImporter.run(spark, in.toString(), "train",
                new FolderImporter.Convert(3, 0, 0), tmp.resolve("out3").toString(), 1, false, false));
        assertTrue(String.valueOf(e.getMessage()).contains("broken.png"), e.getMessage());
    }

    @Test
    void readsSparksImageSourceDirectly(@TempDir Path tmp) throws IOException {
        Path in = tmp.resolve("in");
        for (int i = 0; i < 3; i++) {
            BufferedImage g = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
            g.getRaster().setSample(i, i, 0, 200);
            png(in.resolve((i < 2 ? "cats" : "dogs") + "/" + i + ".png"), g, "png");
        }
        List<String> classes = ImageSourceImporter.classes(spark, in.toString());
        assertEquals(List.of("cats", "dogs"), classes);
        Dataset<Row> df = ImageSourceImporter.labelled(spark, in.toString(), classes);
        ReaderConfig cfg = new ReaderConfig(1, 28, 28, 2);
        cfg.batchSize = 2;
        List<Object[]> parts = stream(df, cfg.validate());
        List<Integer> labels = new ArrayList<>();
        long images = 0;
        for (Object[] p : parts) {
            @SuppressWarnings("unchecked") List<Integer> l = (List<Integer>) p[2];
            labels.addAll(l);
            images += ((BadRecordCounts) p[3]).records;
        }
        Collections.sort(labels);
        assertEquals(List.of(0, 0, 1), labels);
        assertEquals(3, images);
        String out = tmp.resolve("out").toString();
        assertEquals(Map.of("train", 3L), ImageSourceImporter.run(spark, in.toString(), "train", out, 1, false));
        assertEquals(classes, ImageLayout.classes(spark.read().parquet(out).schema()));
    }

    /** A dataset with good rows and one of each bad kind, written as Parquet in two files. */
    static String badDataset(Path tmp) {
        // as another writer might produce: every field nullable (Spark's own image schema forbids nulls)
        StructType image = new StructType().add("origin", DataTypes.StringType).add("height", DataTypes.IntegerType)
                .add("width", DataTypes.IntegerType).add("nChannels", DataTypes.IntegerType)
                .add("mode", DataTypes.IntegerType).add("data", DataTypes.BinaryType);
        StructType schema = new StructType(new StructField[] {
            new StructField("image", image, true, Metadata.empty()),
            new StructField("label", DataTypes.DoubleType, true, Metadata.empty()),
        });
        byte[] ok = new byte[784];
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            rows.add(RowFactory.create(RowFactory.create("good" + i, 28, 28, 1, 0, ok), (double) (i % 10)));
        }
        rows.add(RowFactory.create(RowFactory.create("short", 28, 28, 1, 0, new byte[700]), 1.0));      // SIZE_MISMATCH
        rows.add(RowFactory.create(RowFactory.create("big", 30, 30, 1, 0, new byte[900]), 1.0));       // SHAPE_MISMATCH
        rows.add(RowFactory.create(RowFactory.create("nolabel", 28, 28, 1, 0, ok), null));             // MISSING_LABEL
        rows.add(RowFactory.create(RowFactory.create("nan", 28, 28, 1, 0, ok), Double.NaN));           // NOT_A_NUMBER
        rows.add(RowFactory.create(RowFactory.create("eleven", 28, 28, 1, 0, ok), 11.0));              // LABEL_OUT_OF_RANGE
        rows.add(RowFactory.create(RowFactory.create("nodata", 28, 28, 1, 0, null), 1.0));             // UNDECODABLE
        rows.add(RowFactory.create(RowFactory.create("noheight", null, 28, 1, 0, ok), 1.0));           // MISSING_FIELD
        String out = tmp.resolve("bad").toString();
        spark.createDataFrame(rows, schema).coalesce(1).write().parquet(out);
        return out;
    }

    @Test
    void badRecordsFailWithTheirLocationOrAreCountedThroughTaskResults(@TempDir Path tmp) {
        String path = badDataset(tmp);
        ReaderConfig cfg = fashionConfig(4);
        Exception e = assertThrows(Exception.class, () -> stream(ParquetImageReader.load(spark, path), cfg));
        String msg = String.valueOf(e.getMessage());
        assertTrue(msg.contains("part-") && msg.contains("row 16") && msg.contains("image.data"), msg);

        cfg.policy.onBadRecord = BadRecordPolicy.OnBadRecord.SKIP;
        cfg.policy.maxBadFraction = 0.5;
        BadRecordCounts total = new BadRecordCounts();
        long images = 0;
        for (Object[] p : stream(ParquetImageReader.load(spark, path), cfg)) {
            total.merge((BadRecordCounts) p[3]);
            images += ((List<?>) p[2]).size();
        }
        assertEquals(16, images);
        assertEquals(23, total.records);
        assertEquals(7, total.bad);
        for (BadRecordKind k : BadRecordKind.values()) {
            assertEquals(1, total.count(k), k.name());
        }

        cfg.policy.maxBadFraction = 0.1; // 7 of 23 is too many
        Exception tooMany = assertThrows(Exception.class, () -> stream(ParquetImageReader.load(spark, path), cfg));
        assertTrue(String.valueOf(tooMany.getMessage()).contains("7 of 23"), tooMany.getMessage());
    }

    @Test
    void missingColumnsAndWrongTypesFailBeforeAnyWork(@TempDir Path tmp) {
        String noLabel = tmp.resolve("nolabel").toString();
        spark.createDataFrame(List.of(RowFactory.create(RowFactory.create("o", 1, 1, 1, 0, new byte[1]))),
                new StructType().add("image", ImageLayout.imageStruct())).write().parquet(noLabel);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ParquetImageReader.load(spark, noLabel));
        assertTrue(e.getMessage().contains("no column 'label'") && e.getMessage().contains("expected")
                && e.getMessage().contains("found"), e.getMessage());
        String textLabel = tmp.resolve("text").toString();
        spark.createDataFrame(List.of(RowFactory.create("x", "cat")),
                new StructType().add("image", DataTypes.StringType).add("label", DataTypes.StringType))
                .write().parquet(textLabel);
        e = assertThrows(IllegalArgumentException.class, () -> ParquetImageReader.load(spark, textLabel));
        assertTrue(e.getMessage().contains("not a struct") && e.getMessage().contains("not a number"), e.getMessage());
    }

    @Test
    void emptyFilesAndPartitionsContributeNothing(@TempDir Path tmp) {
        String empty = tmp.resolve("empty").toString();
        spark.createDataFrame(new ArrayList<Row>(), ImageLayout.schema(List.of("a"))).write().parquet(empty);
        Dataset<Row> df = ParquetImageReader.load(spark, empty).repartition(3);
        long batches = 0;
        for (Object[] p : stream(df, fashionConfig(4))) {
            batches += ((List<?>) p[2]).size();
            assertEquals(0, ((BadRecordCounts) p[3]).records);
        }
        assertEquals(0, batches);
    }
}
