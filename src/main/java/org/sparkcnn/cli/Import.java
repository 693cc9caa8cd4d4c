package org.sparkcnn.cli;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.sparkcnn.data.Dataset;
import org.sparkcnn.data.parquet.AugmentImporter;
import org.sparkcnn.data.parquet.DatasetWriter;
import org.sparkcnn.data.parquet.FolderImporter;
import org.sparkcnn.data.parquet.IdxImporter;
import org.sparkcnn.data.parquet.ImageSourceImporter;
import org.sparkcnn.fs.Folders;
import org.sparkcnn.fs.OutputGuard;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** jobs/import.sh: image datasets to the Parquet layout of docs/data.md, as Spark jobs. */
@Command(name = "jobs/import.sh", sortOptions = false, subcommands = {Import.FashionMnist.class, Import.Idx.class,
    Import.Folder.class, Import.ImageSource.class, Import.Augment.class}, synopsisSubcommandLabel = "COMMAND", description = {
        "Imports image datasets into sparkcnn's Parquet layout (docs/data.md) as a Spark job; 'jobs/import.sh COMMAND",
        "--help' for a command's options. Each dataset gets _classes.json and _stats.json (rows, image shape,",
        "per-channel mean and std) beside its files; training normalises with that mean and std unless told otherwise.",
        "Spark's log: logs/import-DATE-TIME.log under the working directory.",
        ""})
public final class Import {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "this help")
    boolean help;

    public static void main(String[] args) {
        CliSpark.main(args, Import::run);
    }

    static void run(String[] args) throws IOException {
        Object command = CommandLines.command(new Import(), args, "");
        if (command != null) {
            ((Importer) command).run();
        }
    }

    /** The options of every command. */
    static final class Common {
        @Option(names = "--out", required = true, paramLabel = "DIR", order = 20,
                description = "the dataset folder to write (any Hadoop path)")
        String out;

        @Option(names = "--files", paramLabel = "N", defaultValue = "4", order = 21,
                description = "output Parquet files (default: ${DEFAULT-VALUE})")
        int files;

        @Option(names = "--overwrite", order = 22, description = {"replace an existing output (without it an existing"
            + " output is an error);", "the new one is written beside it and takes its place only when complete"})
        boolean overwrite;

        @Option(names = "--master", paramLabel = "URL", defaultValue = "", order = 23,
                description = "Spark master (default local[*]; under spark-submit, the one it was given)")
        String master;

        @Option(names = "--verbose", order = 24,
                description = "Spark's warnings on the console too, and the stack trace of a failure")
        boolean verbose;

        @Option(names = {"-h", "--help"}, usageHelp = true, order = 99, description = "this help")
        boolean help;
    }

    /** One command: what it reads, what it writes, and the Spark job between. */
    abstract static class Importer {
        @Mixin
        Common common = new Common();

        /** The inputs, by flag (for the check that the output is not among them). */
        abstract Map<String, String> inputs();

        /** The datasets written. */
        List<String> targets() {
            return List.of(common.out);
        }

        /** Checks what needs no Spark (called before the session starts). */
        void check() {
        }

        abstract void importWith(SparkSession spark) throws IOException;

        final void run() throws IOException {
            if (common.files < 1) {
                throw new IllegalArgumentException("--files takes an integer >= 1, got " + common.files);
            }
            check();
            // every check that needs no Spark comes first: a refused import starts nothing
            Configuration hadoop = CliSpark.hadoopConf();
            OutputGuard.check("--out", common.out, inputs(), hadoop);
            for (String target : targets()) {
                DatasetWriter.checkOutput(hadoop, target, common.overwrite);
            }
            JobLog.start(JobLog.fileIn(java.nio.file.Path.of("logs"), "import"), common.verbose);
            long t0 = System.nanoTime();
            SparkSession spark = CliSpark.session(common.master, "sparkcnn-import");
            try {
                importWith(spark);
            } finally {
                CliSpark.stop(spark);
            }
            System.out.printf(Locale.ROOT, "done in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        }
    }

    @Command(name = "fashion-mnist", sortOptions = false, description = {
        "Debian's Fashion-MNIST IDX files (apt-get install dataset-fashion-mnist) to DIR/train and DIR/test.", ""})
    static final class FashionMnist extends Importer {
        @Option(names = "--dir", paramLabel = "DIR", order = 1, description = "where the IDX files are (default: ${DEFAULT-VALUE})")
        String dir = Dataset.FASHION_DIR.toString();

        @Override
        Map<String, String> inputs() {
            return Map.of("--dir", dir);
        }

        @Override
        List<String> targets() {
            return List.of(common.out + "/train", common.out + "/test");
        }

        @Override
        void importWith(SparkSession spark) throws IOException {
            fashionMnist(spark, dir, common.out, common.files);
        }
    }

    @Command(name = "idx", sortOptions = false, description = {"One IDX pair of images and labels, gzipped or not.", ""})
    static final class Idx extends Importer {
        @Option(names = "--images", required = true, paramLabel = "FILE", order = 1, description = "the images' IDX file")
        String images;

        @Option(names = "--labels", required = true, paramLabel = "FILE", order = 2, description = "the labels' IDX file")
        String labels;

        @Option(names = "--split", paramLabel = "NAME", order = 3,
                description = "the split column's value (default: test for t10k-* files, else train)")
        String split;

        @Option(names = "--classes", paramLabel = "a,b,...", split = ",", order = 4,
                description = "class names in label order (default: 0, 1, ... up to the largest label)")
        List<String> classes;

        @Override
        Map<String, String> inputs() {
            Map<String, String> in = new LinkedHashMap<>();
            in.put("--images", images);
            in.put("--labels", labels);
            return in;
        }

        @Override
        void importWith(SparkSession spark) throws IOException {
            String s = split != null ? split
                    : new org.apache.hadoop.fs.Path(images).getName().startsWith("t10k") ? "test" : "train";
            report(common.out, IdxImporter.run(spark, images, labels, s, classes, common.out, common.files,
                    common.overwrite));
        }
    }

    @Command(name = "folder", sortOptions = false, description = {
        "A folder with one sub-folder per class of images (PNG, JPEG, GIF, BMP via ImageIO).",
        "Every image becomes RGB (grey replicated, alpha dropped), or grey with --channels 1, or RGBA with --channels 4;",
        "images keep their size unless --resize (bilinear); a class folder without images is a warning, with --strict",
        "an error.", ""})
    static final class Folder extends Importer {
        @Option(names = "--input", required = true, paramLabel = "DIR", order = 1, description = "the class folders' parent")
        String input;

        @Option(names = "--split", paramLabel = "NAME", defaultValue = "train", order = 2,
                description = "the split column's value (default: ${DEFAULT-VALUE})")
        String split;

        @Option(names = "--channels", paramLabel = "1|3|4", defaultValue = "3", order = 3,
                description = "1 grey, 3 RGB, 4 RGBA (default: ${DEFAULT-VALUE})")
        int channels;

        @Option(names = "--resize", paramLabel = "HxW", order = 4, description = "give every image this size, e.g. 32x32")
        String resize;

        @Option(names = "--strict", order = 5, description = "refuse a class folder without images")
        boolean strict;

        private FolderImporter.Convert convert;

        @Override
        void check() {
            convert = convert(channels, resize);
        }

        @Override
        Map<String, String> inputs() {
            return Map.of("--input", input);
        }

        @Override
        void importWith(SparkSession spark) throws IOException {
            report(common.out, FolderImporter.run(spark, input, split, convert, common.out, common.files,
                    common.overwrite, strict));
        }
    }

    @Command(name = "image-source", sortOptions = false, description = {
        "A folder of class sub-folders read by Spark's own image data source (grey, RGB and RGBA as stored).", ""})
    static final class ImageSource extends Importer {
        @Option(names = "--input", required = true, paramLabel = "DIR", order = 1, description = "the class folders' parent")
        String input;

        @Option(names = "--split", paramLabel = "NAME", defaultValue = "train", order = 2,
                description = "the split column's value (default: ${DEFAULT-VALUE})")
        String split;

        @Override
        Map<String, String> inputs() {
            return Map.of("--input", input);
        }

        @Override
        void importWith(SparkSession spark) throws IOException {
            report(common.out, ImageSourceImporter.run(spark, input, split, common.out, common.files, common.overwrite));
        }
    }

    @Command(name = "augment", sortOptions = false, description = {
        "A sparkcnn dataset made COPIES times larger: copy 0 of every row as it is, each other copy shifted by up to",
        "--shift pixels each way (zero filled) and flipped left-right half the time, chosen by a hash of (seed, id,",
        "copy), so the same command writes the same dataset. Ids become id x copies + copy.", ""})
    static final class Augment extends Importer {
        @Option(names = "--input", required = true, paramLabel = "DIR", order = 1, description = "a dataset in sparkcnn's layout")
        String input;

        @Option(names = "--copies", required = true, paramLabel = "N", order = 2, description = "copies of every row (>= 1)")
        int copies;

        @Option(names = "--shift", paramLabel = "PIXELS", defaultValue = "2", order = 3,
                description = "largest shift each way (default: ${DEFAULT-VALUE})")
        int shift;

        @Option(names = "--seed", paramLabel = "N", defaultValue = "1", order = 4,
                description = "seed of the shifts and flips (default: ${DEFAULT-VALUE})")
        long seed;

        @Override
        void check() {
            AugmentImporter.check(copies, shift);
        }

        @Override
        Map<String, String> inputs() {
            return Map.of("--input", input);
        }

        @Override
        void importWith(SparkSession spark) throws IOException {
            report(common.out, AugmentImporter.run(spark, input, copies, shift, seed, common.out, common.files,
                    common.overwrite));
        }
    }

    /**
     * Both splits are imported beside {@code out} first, and replace {@code out/train} and
     * {@code out/test} only once both are complete: a failure leaves the earlier dataset as it was.
     */
    private static void fashionMnist(SparkSession spark, String dir, String out, int files) throws IOException {
        org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(out);
        org.apache.hadoop.fs.FileSystem fs = target.getFileSystem(spark.sparkContext().hadoopConfiguration());
        target = fs.makeQualified(target);
        org.apache.hadoop.fs.Path staged = Folders.staging(fs, target, "import");
        Map<String, Map<String, Long>> written = new LinkedHashMap<>();
        try {
            for (String split : new String[] {"train", "test"}) {
                String prefix = dir + "/" + (split.equals("train") ? "train" : "t10k");
                written.put(split, IdxImporter.run(spark, prefix + "-images-idx3-ubyte.gz", prefix + "-labels-idx1-ubyte.gz",
                        split, IdxImporter.FASHION_CLASSES, staged + "/" + split, files, false));
            }
            fs.mkdirs(target);
            for (String split : written.keySet()) {
                Folders.replace(fs, new org.apache.hadoop.fs.Path(staged, split), new org.apache.hadoop.fs.Path(target, split));
            }
        } finally {
            fs.delete(staged, true);
        }
        written.forEach((split, counts) -> report(out + "/" + split, counts));
    }

    private static FolderImporter.Convert convert(int channels, String r) {
        int h = 0, w = 0;
        if (channels != 1 && channels != 3 && channels != 4) {
            throw new IllegalArgumentException("--channels takes 1, 3 or 4, got " + channels);
        }
        if (r != null) {
            String[] hw = r.toLowerCase(Locale.ROOT).split("x");
            try {
                h = Integer.parseInt(hw[0]);
                w = Integer.parseInt(hw[1]);
            } catch (RuntimeException e) {
                h = -1;
            }
            if (hw.length != 2 || h < 1 || w < 1) {
                throw new IllegalArgumentException("--resize takes HxW, e.g. 28x28, got '" + r + "'");
            }
        }
        return new FolderImporter.Convert(channels, h, w);
    }

    private static void report(String out, Map<String, Long> perSplit) {
        System.out.println("wrote " + out + ": " + DatasetWriter.describe(perSplit));
    }
}
