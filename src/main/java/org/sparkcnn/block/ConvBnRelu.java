package org.sparkcnn.block;

import org.sparkcnn.layer.BatchNorm2d;
import org.sparkcnn.layer.Conv2d;
import org.sparkcnn.layer.Padding;
import org.sparkcnn.layer.ReLU;

/** conv (no bias, "same" padding) → batch norm → ReLU; sub-layers named conv, bn, relu. */
public final class ConvBnRelu extends Sequential {
    public ConvBnRelu(String name, int in, int out, int k, int stride) {
        super(name, new Conv2d("conv", in, out, k, stride, Padding.SAME, false),
                new BatchNorm2d("bn", out), new ReLU("relu"));
    }
}
