package org.sparkcnn.block;

import org.sparkcnn.layer.MaxPool2d;

/**
 * GoogLeNet (v1) module: four branches on the same input, concatenated on channels in this
 * order: a = CBR 1×1; b1 → b2 = CBR 1×1 then 3×3; c1 → c2 = CBR 1×1 then 5×5; max pool 3×3
 * stride 1 padding 1 → d = CBR 1×1. The 1×1 units before the 3×3 and 5×5 reduce depth.
 */
public final class InceptionModule extends Concat {
    public final int outChannels;

    public InceptionModule(String name, int in, int a, int b1, int b2, int c1, int c2, int d) {
        super(name,
                new ConvBnRelu("a", in, a, 1, 1),
                new Sequential("", new ConvBnRelu("b1", in, b1, 1, 1), new ConvBnRelu("b2", b1, b2, 3, 1)),
                new Sequential("", new ConvBnRelu("c1", in, c1, 1, 1), new ConvBnRelu("c2", c1, c2, 5, 1)),
                new Sequential("", new MaxPool2d("pool", 3, 1, 1), new ConvBnRelu("d", in, d, 1, 1)));
        this.outChannels = a + b2 + c2 + d;
    }
}
