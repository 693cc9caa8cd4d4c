package org.sparkcnn.kernel;

/**
 * Unfolds one image into columns and folds columns back (the adjoint), for convolution as
 * matrix multiply. Geometry comes from {@link ConvGeometry}; padding cells read as zero.
 */
public final class Im2col {
    private Im2col() {
    }

    /**
     * col[(c·kh + i)·kw + j][colOff + oy·Wo + ox] = x[c][oy·sh − padTop + i·dh][ox·sw − padLeft + j·dw],
     * rows {@code ldc} apart (several images side by side share one column matrix).
     */
    public static void im2col(ConvGeometry g, float[] x, int xOff, float[] col, int colOff, int ldc) {
        if (spansWholeRows(g)) {
            im2colRows(g, x, xOff, col, colOff, ldc);
            return;
        }
        int row = 0;
        for (int c = 0; c < g.inC; c++) {
            int xc = xOff + c * g.inH * g.inW;
            for (int i = 0; i < g.kh; i++) {
                for (int j = 0; j < g.kw; j++, row++) {
                    int base = colOff + row * ldc;
                    int dy = i * g.dh - g.padTop;
                    int dx = j * g.dw - g.padLeft;
                    for (int oy = 0; oy < g.outH; oy++) {
                        int iy = oy * g.sh + dy;
                        int o = base + oy * g.outW;
                        if (iy < 0 || iy >= g.inH) {
                            VectorOps.zero(col, o, o + g.outW);
                            continue;
                        }
                        int xr = xc + iy * g.inW;
                        if (g.sw == 1) {
                            // contiguous run: zero the clipped ends, copy the middle
                            int lo = Math.max(0, -dx);
                            int hi = Math.min(g.outW, g.inW - dx);
                            if (hi < lo) {
                                hi = lo;
                            }
                            VectorOps.zero(col, o, o + lo);
                            VectorOps.copy(x, xr + lo + dx, col, o + lo, hi - lo);
                            VectorOps.zero(col, o + hi, o + g.outW);
                        } else {
                            for (int ox = 0; ox < g.outW; ox++) {
                                int ix = ox * g.sw + dx;
                                col[o + ox] = (ix >= 0 && ix < g.inW) ? x[xr + ix] : 0f;
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * dx[c][y][x] += every column entry that {@link #im2col} read from it; dx is not cleared. The
     * padding cells of col may be overwritten with zeros (col is scratch by then).
     */
    public static void col2im(ConvGeometry g, float[] col, int colOff, int ldc, float[] dx, int dxOff) {
        if (spansWholeRows(g)) {
            col2imRows(g, col, colOff, ldc, dx, dxOff);
            return;
        }
        int row = 0;
        for (int c = 0; c < g.inC; c++) {
            int xc = dxOff + c * g.inH * g.inW;
            for (int i = 0; i < g.kh; i++) {
                for (int j = 0; j < g.kw; j++, row++) {
                    int base = colOff + row * ldc;
                    int dy = i * g.dh - g.padTop;
                    int ddx = j * g.dw - g.padLeft;
                    for (int oy = 0; oy < g.outH; oy++) {
                        int iy = oy * g.sh + dy;
                        if (iy < 0 || iy >= g.inH) {
                            continue;
                        }
                        int o = base + oy * g.outW;
                        int xr = xc + iy * g.inW;
                        if (g.sw == 1) {
                            int lo = Math.max(0, -ddx);
                            int hi = Math.min(g.outW, g.inW - ddx);
                            if (hi > lo) {
                                VectorOps.addInto(col, o + lo, dx, xr + lo + ddx, hi - lo);
                            }
                        } else {
                            for (int ox = 0; ox < g.outW; ox++) {
                                int ix = ox * g.sw + ddx;
                                if (ix >= 0 && ix < g.inW) {
                                    dx[xr + ix] += col[o + ox];
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * Stride 1 with output width = input width ("same" width): an unfolded row is then one
     * contiguous span of the input plane shifted by (dy, dx), except the |dx| cells per row that
     * wrap into the neighbouring row, which are padding. One long copy replaces outH short ones.
     */
    private static boolean spansWholeRows(ConvGeometry g) {
        return g.sh == 1 && g.sw == 1 && g.outW == g.inW;
    }

    private static void im2colRows(ConvGeometry g, float[] x, int xOff, float[] col, int colOff, int ldc) {
        final int w = g.inW, plane = g.inH * w;
        int row = 0;
        for (int c = 0; c < g.inC; c++) {
            int xc = xOff + c * plane;
            for (int i = 0; i < g.kh; i++) {
                for (int j = 0; j < g.kw; j++, row++) {
                    int base = colOff + row * ldc;
                    int dy = i * g.dh - g.padTop, dx = j * g.dw - g.padLeft;
                    int y0 = Math.max(0, -dy), y1 = Math.max(y0, Math.min(g.outH, g.inH - dy));
                    VectorOps.zero(col, base, base + y0 * w);
                    VectorOps.zero(col, base + y1 * w, base + g.outH * w);
                    if (y1 == y0) {
                        continue;
                    }
                    int n = (y1 - y0) * w, dst = base + y0 * w, src = xc + (y0 + dy) * w + dx;
                    int lo = Math.max(0, xc - src), hi = Math.min(n, xc + plane - src);
                    if (hi > lo) {
                        VectorOps.copy(x, src + lo, col, dst + lo, hi - lo);
                    }
                    clearWrapped(col, dst, y1 - y0, w, dx);
                }
            }
        }
    }

    private static void col2imRows(ConvGeometry g, float[] col, int colOff, int ldc, float[] dxs, int dxOff) {
        final int w = g.inW, plane = g.inH * w;
        int row = 0;
        for (int c = 0; c < g.inC; c++) {
            int xc = dxOff + c * plane;
            for (int i = 0; i < g.kh; i++) {
                for (int j = 0; j < g.kw; j++, row++) {
                    int base = colOff + row * ldc;
                    int dy = i * g.dh - g.padTop, dx = j * g.dw - g.padLeft;
                    int y0 = Math.max(0, -dy), y1 = Math.max(y0, Math.min(g.outH, g.inH - dy));
                    if (y1 == y0) {
                        continue;
                    }
                    int n = (y1 - y0) * w, src = base + y0 * w, dst = xc + (y0 + dy) * w + dx;
                    clearWrapped(col, src, y1 - y0, w, dx); // they belong to no input cell
                    int lo = Math.max(0, xc - dst), hi = Math.min(n, xc + plane - dst);
                    if (hi > lo) {
                        VectorOps.addInto(col, src + lo, dxs, dst + lo, hi - lo);
                    }
                }
            }
        }
    }

    /** Zeroes, in each of {@code rows} rows of width w from {@code start}, the |dx| cells shifted in from a neighbour. */
    private static void clearWrapped(float[] col, int start, int rows, int w, int dx) {
        int k = Math.min(Math.abs(dx), w);
        if (k == 0) {
            return;
        }
        for (int r = 0; r < rows; r++) {
            int o = start + r * w;
            if (dx > 0) {
                VectorOps.zero(col, o + w - k, o + w);
            } else {
                VectorOps.zero(col, o, o + k);
            }
        }
    }
}
