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

    /** dx[c][y][x] += every column entry that {@link #im2col} read from it; dx is not cleared. */
    public static void col2im(ConvGeometry g, float[] col, int colOff, int ldc, float[] dx, int dxOff) {
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
}
