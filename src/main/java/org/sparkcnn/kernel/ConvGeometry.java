package org.sparkcnn.kernel;

/** Everything a convolution kernel needs to know about one input shape. Immutable. */
public final class ConvGeometry {
    public final int inC, inH, inW, outC, kh, kw, sh, sw, dh, dw;
    public final int padTop, padBottom, padLeft, padRight, outH, outW;

    public ConvGeometry(int inC, int inH, int inW, int outC, int kh, int kw, int sh, int sw, int dh, int dw,
                        int padTop, int padBottom, int padLeft, int padRight, int outH, int outW) {
        this.inC = inC;
        this.inH = inH;
        this.inW = inW;
        this.outC = outC;
        this.kh = kh;
        this.kw = kw;
        this.sh = sh;
        this.sw = sw;
        this.dh = dh;
        this.dw = dw;
        this.padTop = padTop;
        this.padBottom = padBottom;
        this.padLeft = padLeft;
        this.padRight = padRight;
        this.outH = outH;
        this.outW = outW;
    }

    /** Rows of the unfolded input (and columns of the weight matrix). */
    public int patch() {
        return inC * kh * kw;
    }
}
