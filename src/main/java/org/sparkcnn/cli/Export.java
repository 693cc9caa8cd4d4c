package org.sparkcnn.cli;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.sparkcnn.fs.Folders;
import org.sparkcnn.fs.OutputGuard;
import org.sparkcnn.io.ModelFile;
import org.sparkcnn.model.Network;
import org.sparkcnn.onnx.OnnxExporter;
import org.sparkcnn.spark.TrainedModel;
import org.sparkcnn.tensor.Shapes;

/** jobs/export.sh: a trained model as an ONNX file for inference (docs/onnx.md). No Spark session. */
public final class Export {
    static final String USAGE = String.join("\n",
            "usage: jobs/export.sh --model DIR --out FILE.onnx [--overwrite] [--mean M,… --std S,…] [--verbose]",
            "  --model      a run folder (holding model/model.bin), a model folder (holding model.bin), a model file,",
            "               or registry:PATH[@N] (a model registry's champion or version N)",
            "  --out        the ONNX file to write (a local path); refused if it exists, unless --overwrite",
            "  --overwrite  replace an existing --out",
            "  --mean/--std the per-channel normalisation, only for a model file that records none",
            "Writes ONNX opset " + OnnxExporter.OPSET + ": input float32 [N, C, H, W] pixels in [0, 1], RGB;"
                    + " outputs logits and probability, float32 [N, classes].",
            "");

    private Export() {
    }

    public static void main(String[] args) {
        CliSpark.main(args, Export::run);
    }

    static void run(String[] a) throws IOException {
        if (a.length == 0 || Arrays.asList(a).contains("--help") || Arrays.asList(a).contains("-h")) {
            System.out.print(USAGE);
            return;
        }
        String model = null, out = null;
        float[] mean = null, std = null;
        boolean overwrite = false;
        for (int i = 0; i < a.length; i++) {
            switch (a[i]) {
                case "--overwrite": overwrite = true; continue;
                case "--verbose": continue;
                default: break;
            }
            if (!a[i].startsWith("--") || i + 1 >= a.length) {
                throw new IllegalArgumentException((a[i].startsWith("--") ? a[i] + " needs a value"
                        : "unexpected argument '" + a[i] + "'") + " (see --help)");
            }
            switch (a[i]) {
                case "--model": model = a[++i]; break;
                case "--out": out = a[++i]; break;
                case "--mean": mean = floats(a[++i], "--mean"); break;
                case "--std": std = floats(a[++i], "--std"); break;
                default: throw new IllegalArgumentException("unknown argument '" + a[i] + "' (see --help)");
            }
        }
        if (model == null || out == null) {
            throw new IllegalArgumentException("--model and --out are required (see --help)");
        }
        if ((mean == null) != (std == null)) {
            throw new IllegalArgumentException("--mean and --std go together");
        }
        Configuration conf = CliSpark.hadoopConf();
        java.nio.file.Path target = localOutput(out);
        if (Files.exists(target) && !overwrite && !Files.isDirectory(target)) {
            throw new IllegalArgumentException("--out " + out + " exists: add --overwrite to replace it");
        }
        ModelFile file = TrainedModel.readFile(model, conf);
        OutputGuard.checkFile("--out", target.toString(), Map.of("--model", TrainedModel.locate(model, conf)), conf);
        ModelFile.About about = file.about();
        if (about.mean() != null && mean != null) {
            throw new IllegalArgumentException(file.source() + " records its normalisation (mean "
                    + Arrays.toString(about.mean()) + ", std " + Arrays.toString(about.std())
                    + "): --mean and --std are only for a model file without one");
        }
        if (about.mean() == null && mean == null) {
            throw new IllegalArgumentException(file.source() + " records no normalisation: give the per-channel"
                    + " --mean and --std its inputs were trained with (0 and 1 for none)");
        }
        if (mean == null) {
            mean = about.mean();
            std = about.std();
        }
        Network net = file.network();
        byte[] onnx = OnnxExporter.export(net, mean, std, about.classNames()).toByteArray();
        write(target, onnx, overwrite);
        System.out.printf("wrote %s: %s for %s images in [0, 1], %d classes, ONNX opset %d, %,d bytes%n", target,
                net.name(), Shapes.str(net.inputShape()), net.classes(), OnnxExporter.OPSET, onnx.length);
    }

    /** A local path: the export writes through java.nio (temporary file and rename). */
    static java.nio.file.Path localOutput(String out) {
        java.net.URI uri = new Path(out).toUri();
        if (uri.getScheme() != null && !uri.getScheme().equals("file")) {
            throw new IllegalArgumentException("--out " + out + ": the export writes local files only");
        }
        java.nio.file.Path p = java.nio.file.Path.of(uri.getPath()).toAbsolutePath().normalize();
        if (p.getParent() == null || !Files.isDirectory(p.getParent())) {
            throw new IllegalArgumentException("--out " + out + ": its folder " + p.getParent() + " does not exist");
        }
        return p;
    }

    /** Into a temporary file beside {@code target}, then renamed over it: a failed export leaves nothing. */
    static void write(java.nio.file.Path target, byte[] bytes, boolean overwrite) throws IOException {
        java.nio.file.Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp-" + Folders.random());
        try {
            Files.write(tmp, bytes, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            if (!overwrite && Files.exists(target)) {
                throw new FileAlreadyExistsException(target.toString(), null, "it appeared during the export");
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static float[] floats(String v, String flag) {
        String[] parts = v.split(",");
        float[] f = new float[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                f[i] = Float.parseFloat(parts[i].strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(flag + " takes comma-separated numbers, one per channel, got '" + v + "'");
            }
            if (!Float.isFinite(f[i])) {
                throw new IllegalArgumentException(flag + " takes finite numbers, got '" + v + "'");
            }
        }
        return f;
    }
}
