package org.sparkcnn.block;

import org.sparkcnn.layer.BatchNorm2d;
import org.sparkcnn.layer.Conv2d;
import org.sparkcnn.layer.Padding;
import org.sparkcnn.layer.ReLU;

/**
 * ResNet basic block: y = ReLU(bn2(conv2(ReLU(bn1(conv1(x))))) + s(x)). conv1 is 3×3 with the
 * block's stride, conv2 3×3 stride 1, both padding 1 and no bias. s is the identity when stride is
 * 1 and channels match, else the projection bn(conv 1×1 with the block's stride), named shortcut.
 */
public final class ResidualBlock extends Sequential {
    public ResidualBlock(String name, int in, int out, int stride) {
        super(name,
                new Residual("",
                        new Sequential("",
                                new Conv2d("conv1", in, out, 3, stride, Padding.explicit(1, 1), false),
                                new BatchNorm2d("bn1", out),
                                new ReLU("relu1"),
                                new Conv2d("conv2", out, out, 3, 1, Padding.explicit(1, 1), false),
                                new BatchNorm2d("bn2", out)),
                        stride == 1 && in == out ? null
                                : new Sequential("shortcut",
                                        new Conv2d("conv", in, out, 1, stride, Padding.VALID, false),
                                        new BatchNorm2d("bn", out))),
                new ReLU("relu"));
    }
}
