package org.sparkcnn.cli;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;

/**
 * A colour dataset a user could have: 32×32 PNG files in one folder per class, each a shape of a
 * random colour at a random place on a noisy background of another colour. The class is the
 * shape; colours and places carry no information.
 */
final class ColourShapes {
    static final List<String> CLASSES = List.of("bar", "circle", "cross", "square", "triangle");
    static final int SIZE = 32;

    private ColourShapes() {
    }

    /** {@code perClass} images of every class under {@code dir}/CLASS/N.png, drawn from {@code seed}. */
    static Path write(Path dir, int perClass, long seed) throws IOException {
        SplittableRandom r = new SplittableRandom(seed);
        for (int c = 0; c < CLASSES.size(); c++) {
            Path folder = Files.createDirectories(dir.resolve(CLASSES.get(c)));
            for (int i = 0; i < perClass; i++) {
                ImageIO.write(image(c, r), "png", folder.resolve(i + ".png").toFile());
            }
        }
        return dir;
    }

    static BufferedImage image(int shape, SplittableRandom r) {
        BufferedImage img = new BufferedImage(SIZE, SIZE, BufferedImage.TYPE_INT_RGB);
        int[] bg = {r.nextInt(256), r.nextInt(256), r.nextInt(256)};
        int[] fg = new int[3];
        for (int k = 0; k < 3; k++) { // a colour far from the background's, so the shape always shows
            fg[k] = (bg[k] + 96 + r.nextInt(64)) % 256;
        }
        int cx = 11 + r.nextInt(10), cy = 11 + r.nextInt(10), s = 7 + r.nextInt(3);
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                boolean in = inside(shape, x - cx, y - cy, s);
                int rgb = 0;
                for (int k = 0; k < 3; k++) {
                    int v = (in ? fg[k] : bg[k]) + r.nextInt(21) - 10;
                    rgb = rgb << 8 | Math.max(0, Math.min(255, v));
                }
                img.setRGB(x, y, rgb);
            }
        }
        return img;
    }

    /** Whether (dx, dy) from the centre lies in the shape of half-size s. */
    private static boolean inside(int shape, int dx, int dy, int s) {
        switch (shape) {
            case 0: return Math.abs(dy) <= 2 && Math.abs(dx) <= s; // bar
            case 1: return dx * dx + dy * dy <= s * s; // circle
            case 2: return (Math.abs(dx) <= 1 && Math.abs(dy) <= s) || (Math.abs(dy) <= 1 && Math.abs(dx) <= s); // cross
            case 3: return Math.abs(dx) <= s && Math.abs(dy) <= s; // square
            default: return dy <= s && dy >= -s && Math.abs(dx) * 2 <= dy + s; // triangle, apex up
        }
    }
}
