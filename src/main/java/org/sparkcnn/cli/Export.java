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
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** jobs/export.sh: a trained model as an ONNX file for inference (docs/onnx.md). No Spark session. */
@Command(name = "jobs/export.sh", sortOptions = false, description = {
    "Writes a trained model as an ONNX file (opset " + OnnxExporter.OPSET + ") for ONNX Runtime: input float32 [N, C, H, W]"
        + " pixels in [0, 1], RGB;",
    "outputs logits and probability, float32 [N, classes]; the normalisation is inside the graph (docs/onnx.md).", ""})
public final class Export {
    @Option(names = "--model", required = true, paramLabel = "DIR",
            description = "a run folder (holding model/model.bin), a model folder (holding model.bin), a model file,"
                    + " or registry:PATH[@N] (a model registry's champion or version N)")
    String model;

    @Option(names = "--out", required = true, paramLabel = "FILE.onnx",
            description = "the ONNX file to write (a local path); refused if it exists, unless --overwrite")
    String out;

    @Option(names = "--overwrite", description = "replace an existing --out")
    boolean overwrite;

    @Option(names = "--mean", paramLabel = "M,...", description = "the per-channel normalisation, only for a model file"
            + " that records none (with --std)")
    String meanText;

    @Option(names = "--std", paramLabel = "S,...", description = "see --mean")
    String stdText;

    @Option(names = "--verbose", description = "the stack trace of a failure")
    boolean verbose;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "this help")
    boolean help;

    public static void main(String[] args) {
        CliSpark.main(args, Export::run);
    }

    static void run(String[] args) throws IOException {
        Export e = new Export();
        if (CommandLines.parse(e, args)) {
            e.export();
        }
    }

    private void export() throws IOException {
        float[] mean = meanText == null ? null : floats(meanText, "--mean");
        float[] std = stdText == null ? null : floats(stdText, "--std");
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
