"""How deep the convolutional builders go for an image size, and how a generator meets a size
that is not a multiple of its upsampling.

Two stride-2 stages up to 32 pixels a side: the DCGAN shape gandi's MNIST settings were measured
with (28x28 gives the networks those settings have always built). One more stage per doubling
beyond, so that the last feature map stays at most 8 pixels a side (64x64: 3 stages, 128x128: 4):
without it a 64x64 image would end in a 16x16x128 map and a 2-million-weight dense layer.
"""
from __future__ import annotations

import math


def stride_stages(height: int, width: int) -> int:
    """The number of stride-2 convolutions for (height, width) images."""
    side = max(height, width)
    return 2 if side <= 32 else math.ceil(math.log2(side / 8))


def base_map(height: int, width: int, stages: int) -> tuple[int, int]:
    """The generator's first map: the image size divided by 2**stages, rounded up; the
    upsampled image is then cropped to (height, width) (14x14: 4x4 -> 16x16 -> cropped)."""
    return math.ceil(height / 2 ** stages), math.ceil(width / 2 ** stages)


def crop_to(x, height: int, width: int):
    """A generated map cut to (height, width), centred (a layer only when a cut is needed)."""
    from keras import layers
    extra_h, extra_w = x.shape[1] - height, x.shape[2] - width
    if not extra_h and not extra_w:
        return x
    return layers.Cropping2D(((extra_h // 2, extra_h - extra_h // 2),
                              (extra_w // 2, extra_w - extra_w // 2)))(x)
