package org.sparkcnn.data;

import java.io.IOException;
import java.nio.file.Path;
import org.sparkcnn.tensor.Shapes;

/** Labelled images held in memory as normalised NCHW floats, for the local trainer and tests. */
public final class Dataset {
    /** Per-channel standardisation of Fashion-MNIST pixels scaled to [0, 1] (models.md). */
    public static final float FASHION_MEAN = 0.2860f, FASHION_STD = 0.3530f;
    public static final Path FASHION_DIR = Path.of("/usr/share/datasets/fashion-mnist");

    public final float[] images;
    public final int[] labels;
    /** One image: {C, H, W}. */
    public final int[] imageShape;
    public final int classes;

    public Dataset(float[] images, int[] labels, int[] imageShape, int classes) {
        int per = Shapes.size(imageShape);
        if ((long) per * labels.length != images.length) {
            throw new IllegalArgumentException(labels.length + " labels and " + images.length
                    + " pixel values do not make images of shape " + Shapes.str(imageShape));
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classes) {
                throw new IllegalArgumentException("label " + labels[i] + " of image " + i + " is outside [0, " + classes + ")");
            }
        }
        this.images = images;
        this.labels = labels;
        this.imageShape = imageShape.clone();
        this.classes = classes;
    }

    public int size() {
        return labels.length;
    }

    public int imageSize() {
        return Shapes.size(imageShape);
    }

    /**
     * Images and labels from a pair of IDX files (first {@code limit} items, all when negative),
     * pixels scaled to [0, 1] then standardised with mean and std.
     */
    public static Dataset fromIdx(Path imagesFile, Path labelsFile, int limit, float mean, float std, int classes)
            throws IOException {
        IdxReader.Idx img = IdxReader.read(imagesFile, limit);
        IdxReader.Idx lab = IdxReader.read(labelsFile, limit);
        if (img.dims.length != 3) {
            throw new IOException(imagesFile + ": expected images of rank 3 [N, H, W], got " + Shapes.str(img.dims));
        }
        if (lab.dims.length != 1) {
            throw new IOException(labelsFile + ": expected labels of rank 1 [N], got " + Shapes.str(lab.dims));
        }
        if (img.dims[0] != lab.dims[0]) {
            throw new IOException(imagesFile + " holds " + img.dims[0] + " images but " + labelsFile + " holds "
                    + lab.dims[0] + " labels");
        }
        float[] px = new float[img.data.length];
        for (int i = 0; i < px.length; i++) {
            px[i] = ((img.data[i] & 0xff) / 255f - mean) / std;
        }
        int[] labels = new int[lab.data.length];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = lab.data[i] & 0xff;
            if (labels[i] >= classes) {
                throw new IOException(labelsFile + ": label " + labels[i] + " at item " + i + " is outside [0, "
                        + classes + ")");
            }
        }
        return new Dataset(px, labels, new int[] {1, img.dims[1], img.dims[2]}, classes);
    }

    /** Fashion-MNIST from Debian's dataset-fashion-mnist: split "train" or "test". */
    public static Dataset fashionMnist(Path dir, String split, int limit) throws IOException {
        String prefix;
        switch (split) {
            case "train": prefix = "train"; break;
            case "test": prefix = "t10k"; break;
            default: throw new IllegalArgumentException("split must be train or test, got '" + split + "'");
        }
        Path images = dir.resolve(prefix + "-images-idx3-ubyte.gz");
        Path labels = dir.resolve(prefix + "-labels-idx1-ubyte.gz");
        if (!java.nio.file.Files.exists(images) && java.nio.file.Files.exists(dir.resolve(prefix + "-images-idx3-ubyte"))) {
            images = dir.resolve(prefix + "-images-idx3-ubyte");
            labels = dir.resolve(prefix + "-labels-idx1-ubyte");
        }
        if (!java.nio.file.Files.exists(images)) {
            throw new java.nio.file.NoSuchFileException(images.toString(), null,
                    "Fashion-MNIST not found (install Debian's dataset-fashion-mnist or set data=DIR)");
        }
        return fromIdx(images, labels, limit, FASHION_MEAN, FASHION_STD, 10);
    }
}
