package org.sparkcnn.cli;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.sparkcnn.data.Dataset;
import org.sparkcnn.data.parquet.DatasetWriter;
import org.sparkcnn.data.parquet.FolderImporter;
import org.sparkcnn.data.parquet.IdxImporter;
import org.sparkcnn.data.parquet.ImageSourceImporter;
import org.sparkcnn.fs.Folders;
import org.sparkcnn.fs.OutputGuard;

/** jobs/import.sh: image datasets to the Parquet layout of docs/data.md, as Spark jobs. */
public final class Import {
    static final String USAGE = String.join("\n",
            "usage: jobs/import.sh COMMAND [options]",
            "commands:",
            "  fashion-mnist  [--dir DIR] --out DIR   Debian's Fashion-MNIST IDX files to DIR/train and DIR/test",
            "                 (--dir default " + Dataset.FASHION_DIR + ")",
            "  idx            --images FILE --labels FILE --out DIR [--split NAME] [--classes a,b,...]",
            "                 one IDX pair, gzipped or not (split default: test for t10k-* files, else train;",
            "                 classes default: 0, 1, ... up to the largest label)",
            "  folder         --input DIR --out DIR [--split NAME] [--channels 1|3|4] [--resize HxW] [--strict]",
            "                 one sub-folder per class (PNG, JPEG, GIF, BMP via ImageIO); every image becomes RGB",
            "                 (grey replicated, alpha dropped), or grey with --channels 1, or RGBA with --channels 4;",
            "                 images keep their size unless --resize (bilinear); a class folder without images is a",
            "                 warning, with --strict an error",
            "  image-source   --input DIR --out DIR [--split NAME]",
            "                 the same folder read by Spark's own image data source (grey, RGB and RGBA as stored)",
            "options for every command:",
            "  --files N      output Parquet files (default 4)",
            "  --overwrite    replace an existing output (without it an existing output is an error); the new one",
            "                 is written beside it and takes its place only when complete",
            "  --master URL   Spark master (default local[*]; under spark-submit, the one it was given)",
            "  --verbose      Spark's warnings on the console too, and the stack trace of a failure",
            "Each dataset gets _classes.json and _stats.json (rows, image shape, per-channel mean and std) beside its",
            "files; training normalises with that mean and std unless told otherwise.",
            "Spark's log: logs/import-DATE-TIME.log under the working directory.",
            "");

    private Import() {
    }

    public static void main(String[] args) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
            System.out.print(USAGE);
            return;
        }
        CliSpark.main(args, Import::run);
    }

    static Map<String, String> options(String[] a, List<String> allowed) {
        Map<String, String> o = new LinkedHashMap<>();
        for (int i = 1; i < a.length; i++) {
            String f = a[i];
            if (f.equals("--overwrite") || f.equals("--verbose") || f.equals("--strict") && allowed.contains(f)) {
                o.put(f, "true");
            } else if (allowed.contains(f)) {
                if (i + 1 >= a.length) {
                    throw new IllegalArgumentException(f + " needs a value");
                }
                o.put(f, a[++i]);
            } else {
                throw new IllegalArgumentException("unknown option '" + f + "' for " + a[0] + " (see --help)");
            }
        }
        return o;
    }

    private static String need(Map<String, String> o, String flag, String command) {
        String v = o.get(flag);
        if (v == null) {
            throw new IllegalArgumentException(command + " needs " + flag + " (see --help)");
        }
        return v;
    }

    static int files(Map<String, String> o) {
        String v = o.getOrDefault("--files", "4");
        try {
            int n = Integer.parseInt(v);
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("--files takes an integer >= 1, got '" + v + "'");
    }

    static void run(String[] a) throws IOException {
        String cmd = a[0];
        List<String> common = List.of("--files", "--master");
        List<String> allowed = new ArrayList<>(common);
        switch (cmd) {
            case "fashion-mnist": allowed.addAll(List.of("--dir", "--out")); break;
            case "idx": allowed.addAll(List.of("--images", "--labels", "--out", "--split", "--classes")); break;
            case "folder":
                allowed.addAll(List.of("--input", "--out", "--split", "--channels", "--resize", "--strict"));
                break;
            case "image-source": allowed.addAll(List.of("--input", "--out", "--split")); break;
            default: throw new IllegalArgumentException("unknown command '" + cmd
                    + "': expected fashion-mnist, idx, folder or image-source (see --help)");
        }
        Map<String, String> o = options(a, allowed);
        String out = need(o, "--out", cmd);
        int files = files(o);
        boolean overwrite = o.containsKey("--overwrite");
        FolderImporter.Convert convert = "folder".equals(cmd) ? convert(o) : null;
        String fashionDir = o.getOrDefault("--dir", Dataset.FASHION_DIR.toString());
        // every check that needs no Spark comes first: a refused import starts nothing
        Configuration hadoop = CliSpark.hadoopConf();
        Map<String, String> inputs = new LinkedHashMap<>();
        for (String in : List.of("--images", "--labels", "--input")) {
            inputs.put(in, o.get(in));
        }
        if (cmd.equals("fashion-mnist")) {
            inputs.put("--dir", fashionDir);
        }
        OutputGuard.check("--out", out, inputs, hadoop);
        for (String target : cmd.equals("fashion-mnist") ? List.of(out + "/train", out + "/test") : List.of(out)) {
            DatasetWriter.checkOutput(hadoop, target, overwrite);
        }
        JobLog.start(JobLog.fileIn(java.nio.file.Path.of("logs"), "import"), o.containsKey("--verbose"));
        long t0 = System.nanoTime();
        SparkSession spark = CliSpark.session(o.get("--master"), "sparkcnn-import");
        try {
            switch (cmd) {
                case "fashion-mnist":
                    fashionMnist(spark, fashionDir, out, files);
                    break;
                case "idx": {
                    String images = need(o, "--images", cmd);
                    String split = o.getOrDefault("--split",
                            new org.apache.hadoop.fs.Path(images).getName().startsWith("t10k") ? "test" : "train");
                    List<String> classes = o.containsKey("--classes") ? List.of(o.get("--classes").split(",")) : null;
                    report(out, IdxImporter.run(spark, images, need(o, "--labels", cmd), split, classes, out, files,
                            overwrite));
                    break;
                }
                case "folder":
                    report(out, FolderImporter.run(spark, need(o, "--input", cmd), o.getOrDefault("--split", "train"),
                            convert, out, files, overwrite, o.containsKey("--strict")));
                    break;
                default:
                    report(out, ImageSourceImporter.run(spark, need(o, "--input", cmd),
                            o.getOrDefault("--split", "train"), out, files, overwrite));
            }
        } finally {
            CliSpark.stop(spark);
        }
        System.out.printf(Locale.ROOT, "done in %.1f s%n", (System.nanoTime() - t0) / 1e9);
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

    private static FolderImporter.Convert convert(Map<String, String> o) {
        int h = 0, w = 0;
        String c = o.getOrDefault("--channels", "3");
        if (!List.of("1", "3", "4").contains(c)) {
            throw new IllegalArgumentException("--channels takes 1, 3 or 4, got '" + c + "'");
        }
        int channels = Integer.parseInt(c);
        String r = o.get("--resize");
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
