package org.sparkcnn.data.parquet;

import java.awt.AlphaComposite;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.sparkcnn.data.InputException;

/**
 * A folder with one sub-folder per class (PNG, JPEG, GIF, BMP, decoded by the JDK's ImageIO) to the
 * ImageLayout, as a Spark job: the driver lists file names only; tasks read and decode the files.
 * Classes are the sub-folder names in sorted order. Every image becomes {@code channels} channels,
 * RGB by default, as PyTorch's ImageFolder ({@code PIL convert('RGB')}) and Keras
 * ({@code color_mode='rgb'}) give: grey replicated, alpha dropped (not composited); 1 is grey (PIL's
 * luma for colour), 4 keeps alpha (255 for opaque images). Images keep their own size unless a fixed
 * size is asked for; a file ImageIO cannot decode fails the job with its path. A class folder without images is kept
 * as a class (indices follow the sorted names, as Keras' image_dataset_from_directory does) with a
 * warning, or refused when {@code strict}.
 */
public final class FolderImporter {
    static final List<String> EXTENSIONS = List.of("png", "jpg", "jpeg", "gif", "bmp");
    static final String FORMATS = "PNG, JPEG, GIF, BMP";

    /** What to do to every image: {@code channels} 1, 3 (RGB) or 4 (RGBA); height/width 0 = keep. */
    public static final class Convert implements Serializable {
        private static final long serialVersionUID = 1L;
        final int channels, height, width;

        public Convert(int channels, int height, int width) {
            if (channels != 1 && channels != 3 && channels != 4) {
                throw new IllegalArgumentException("--channels takes 1, 3 or 4, got " + channels);
            }
            if (height < 0 || width < 0 || (height == 0) != (width == 0)) {
                throw new IllegalArgumentException("--resize takes HxW with both positive, got " + height + "x" + width);
            }
            this.channels = channels;
            this.height = height;
            this.width = width;
        }
    }

    private FolderImporter() {
    }

    public static Map<String, Long> run(SparkSession spark, String input, String split, Convert convert, String out,
                                        int files, boolean overwrite, boolean strict) throws IOException {
        DatasetWriter.checkOutput(spark.sparkContext().hadoopConfiguration(), out, overwrite);
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        Path root = new Path(input);
        FileSystem fs = root.getFileSystem(conf);
        if (!fs.exists(root) || !fs.getFileStatus(root).isDirectory()) {
            throw new java.io.FileNotFoundException("image folder not found: " + input);
        }
        List<String> classes = new ArrayList<>();
        List<Row> items = new ArrayList<>(); // (path, label, id): names only, the pixels stay in the files
        List<Integer> empty = new ArrayList<>();
        FileStatus[] dirs = fs.listStatus(root, p -> !p.getName().startsWith(".") && !p.getName().startsWith("_"));
        Arrays.sort(dirs);
        for (FileStatus d : dirs) {
            if (!d.isDirectory()) {
                continue;
            }
            int label = classes.size();
            classes.add(d.getPath().getName());
            FileStatus[] imgs = fs.listStatus(d.getPath());
            Arrays.sort(imgs);
            int before = items.size();
            for (FileStatus f : imgs) {
                if (f.isFile() && isImage(f.getPath().getName())) {
                    items.add(RowFactory.create(f.getPath().toString(), label, (long) items.size()));
                }
            }
            if (items.size() == before) {
                empty.add(label);
            }
        }
        if (classes.isEmpty()) {
            throw new IllegalArgumentException(input + " has no class sub-folders (expected " + input
                    + "/<class>/<image>.png|jpg|gif|bmp)");
        }
        emptyClasses(root, classes, empty, strict);
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        int parts = Math.max(1, Math.min(files, Math.max(1, items.size())));
        JavaRDD<Row> rows = jsc.parallelize(items, parts).mapPartitions(it -> {
            Configuration c = new Configuration();
            return new java.util.Iterator<Row>() {
                @Override
                public boolean hasNext() {
                    return it.hasNext();
                }

                @Override
                public Row next() {
                    Row item = it.next();
                    return RowFactory.create(decode(item.getString(0), c, convert), item.getInt(1), item.getLong(2),
                            split);
                }
            };
        });
        return DatasetWriter.write(spark, rows, classes, out, overwrite);
    }

    /**
     * Every image file under {@code input}, sub-folders included, in path order, as rows of
     * ({@code image} struct, {@code id} = position in that order): what jobs/predict.sh scores
     * when given a folder. Decoded and converted as an import would ({@code convert}). A file that
     * cannot be decoded fails the job naming it, or with {@code keepUndecodable} becomes Spark's
     * invalid image row (as the image data source makes one), which the reader reports as an
     * UNDECODABLE bad record naming the file.
     */
    public static org.apache.spark.sql.Dataset<Row> images(SparkSession spark, String input, Convert convert,
            int partitions, boolean keepUndecodable) throws IOException {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        Path root = new Path(input);
        FileSystem fs = root.getFileSystem(conf);
        if (!fs.exists(root) || !fs.getFileStatus(root).isDirectory()) {
            throw new java.io.FileNotFoundException("image folder not found: " + input);
        }
        root = fs.makeQualified(root);
        List<String> files = new ArrayList<>();
        org.apache.hadoop.fs.RemoteIterator<org.apache.hadoop.fs.LocatedFileStatus> it = fs.listFiles(root, true);
        while (it.hasNext()) {
            Path f = it.next().getPath();
            if (isImage(f.getName()) && !hidden(root, f)) {
                files.add(f.toString());
            }
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException(input + " holds no image files (" + FORMATS + ")");
        }
        files.sort(null);
        List<Row> items = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            items.add(RowFactory.create(files.get(i), (long) i));
        }
        JavaRDD<Row> rows = JavaSparkContext.fromSparkContext(spark.sparkContext())
                .parallelize(items, Math.max(1, Math.min(partitions, items.size()))).map(item -> {
                    String file = item.getString(0);
                    Row image;
                    try {
                        image = decode(file, new Configuration(), convert);
                    } catch (InputException e) {
                        if (!keepUndecodable) {
                            throw e;
                        }
                        // Spark's invalid image row, as its image source makes one: sizes and mode -1, no data
                        image = RowFactory.create(file, -1, -1, -1, -1, new byte[0]);
                    }
                    return RowFactory.create(image, item.getLong(1));
                });
        org.apache.spark.sql.types.StructType schema = new org.apache.spark.sql.types.StructType()
                .add(ImageLayout.IMAGE, ImageLayout.imageStruct(), true)
                .add(ImageLayout.ID, org.apache.spark.sql.types.DataTypes.LongType, false);
        return spark.createDataFrame(rows, schema);
    }

    /** Whether a path below root passes through a hidden (.x) or Spark-internal (_x) name. */
    private static boolean hidden(Path root, Path f) {
        for (Path p = f; p != null && !p.equals(root) && p.depth() > root.depth(); p = p.getParent()) {
            if (p.getName().startsWith(".") || p.getName().startsWith("_")) {
                return true;
            }
        }
        return false;
    }

    /** Warns on stderr about each class without images; with {@code strict} refuses them instead. */
    static void emptyClasses(Path root, List<String> classes, List<Integer> empty, boolean strict) {
        List<String> problems = new ArrayList<>();
        for (int label : empty) {
            problems.add("class folder " + new Path(root, classes.get(label)) + " has no images (" + FORMATS + ")");
        }
        if (strict && !problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems) + ", and --strict refuses empty classes");
        }
        for (int i = 0; i < empty.size(); i++) {
            int label = empty.get(i);
            System.err.println("warning: " + problems.get(i) + ": class " + label + " '" + classes.get(label)
                    + "' will have no examples");
        }
    }

    /**
     * The file decoded by the first ImageIO reader that recognises it (what ImageIO.read does), or an
     * InputException naming the file and what is wrong with it: ImageIO.read would return null for an
     * unknown format, and its own errors ("Error reading PNG image data") name neither.
     */
    static BufferedImage read(String file, Configuration conf) {
        byte[] bytes;
        Path p = new Path(file);
        try (InputStream in = p.getFileSystem(conf).open(p)) {
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new InputException("cannot read image " + file + ": " + InputException.reason(e), e);
        }
        if (bytes.length == 0) {
            throw new InputException("cannot decode image " + file + ": the file is empty");
        }
        ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes));
        Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
        if (!readers.hasNext()) {
            throw new InputException("cannot decode image " + file + ": not in a format ImageIO reads (" + FORMATS
                    + "): no reader recognises its first bytes");
        }
        ImageReader reader = readers.next();
        try {
            reader.setInput(in, true, true);
            return reader.read(0);
        } catch (IOException | RuntimeException e) { // decoders throw runtime exceptions on garbage too
            throw new InputException("cannot decode image " + file + ": truncated or corrupt "
                    + reader.getOriginatingProvider().getFormatNames()[0].toUpperCase(Locale.ROOT) + " data ("
                    + InputException.reason(e) + ")", e);
        } finally {
            reader.dispose();
        }
    }

    static boolean isImage(String name) {
        int dot = name.lastIndexOf('.');
        return dot > 0 && !name.startsWith(".") && EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    /** The file as Spark's image struct (origin, height, width, nChannels, mode, data). */
    static Row decode(String file, Configuration conf, Convert convert) {
        BufferedImage img = converted(read(file, conf), convert.channels);
        int h = convert.height != 0 ? convert.height : img.getHeight();
        int w = convert.width != 0 ? convert.width : img.getWidth();
        if (h != img.getHeight() || w != img.getWidth()) {
            BufferedImage scaled = new BufferedImage(w, h, img.getType());
            Graphics2D g = scaled.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.setComposite(AlphaComposite.Src); // alpha is copied, never blended with the empty canvas
            g.drawImage(img, 0, 0, w, h, null);
            g.dispose();
            img = scaled;
        }
        byte[] px = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
        if (convert.channels == 4) { // ABGR in the raster; Spark's CV_8UC4 is BGRA
            for (int i = 0; i < px.length; i += 4) {
                byte a = px[i];
                px[i] = px[i + 1];
                px[i + 1] = px[i + 2];
                px[i + 2] = px[i + 3];
                px[i + 3] = a;
            }
        }
        int mode = convert.channels == 1 ? 0 : convert.channels == 3 ? 16 : 24;
        return RowFactory.create(file, h, w, convert.channels, mode, px);
    }

    /**
     * A new image of the same size with {@code channels} channels (TYPE_BYTE_GRAY, TYPE_3BYTE_BGR or
     * TYPE_4BYTE_ABGR), converted pixel by pixel rather than drawn: Java2D would composite alpha
     * over black, and treats ImageIO's grey as linear light, so that getRGB turns 128 into 188.
     * Grey values are the file's samples (scaled to 8 bits), colour is sRGB from getRGB, and colour
     * to grey is PIL's luma (R·299 + G·587 + B·114) / 1000, rounded.
     */
    static BufferedImage converted(BufferedImage img, int channels) {
        int w = img.getWidth(), h = img.getHeight();
        BufferedImage out = new BufferedImage(w, h, channels == 1 ? BufferedImage.TYPE_BYTE_GRAY
                : channels == 3 ? BufferedImage.TYPE_3BYTE_BGR : BufferedImage.TYPE_4BYTE_ABGR);
        byte[] o = ((DataBufferByte) out.getRaster().getDataBuffer()).getData();
        ColorModel cm = img.getColorModel();
        boolean grey = cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY;
        boolean alpha = cm.hasAlpha();
        Raster raster = img.getRaster();
        int[] v = new int[w], a = new int[w], argb = new int[w];
        for (int y = 0; y < h; y++) {
            if (grey) {
                raster.getSamples(0, y, w, 1, 0, v);
                if (alpha) {
                    raster.getSamples(0, y, w, 1, raster.getNumBands() - 1, a);
                }
            } else {
                img.getRGB(0, y, w, 1, argb, 0, w);
            }
            for (int x = 0; x < w; x++) {
                int r, g, b, t;
                if (grey) {
                    r = g = b = to8(v[x], cm.getComponentSize(0));
                    t = alpha ? to8(a[x], cm.getComponentSize(cm.getNumComponents() - 1)) : 255;
                } else {
                    t = argb[x] >>> 24;
                    r = argb[x] >> 16 & 0xff;
                    g = argb[x] >> 8 & 0xff;
                    b = argb[x] & 0xff;
                }
                int i = (y * w + x) * channels;
                if (channels == 1) {
                    o[i] = (byte) (grey ? r : (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16);
                } else if (channels == 3) {
                    o[i] = (byte) b;
                    o[i + 1] = (byte) g;
                    o[i + 2] = (byte) r;
                } else {
                    o[i] = (byte) t;
                    o[i + 1] = (byte) b;
                    o[i + 2] = (byte) g;
                    o[i + 3] = (byte) r;
                }
            }
        }
        return out;
    }

    /** A sample of {@code bits} bits as 8 bits, rounded (16-bit PNGs). */
    private static int to8(int sample, int bits) {
        if (bits == 8) {
            return sample;
        }
        int max = (1 << bits) - 1;
        return (sample * 255 + max / 2) / max;
    }
}
