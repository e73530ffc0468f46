"""Squeeze-and-Excitation networks (Hu et al., 2017, arXiv:1709.01507). Explained in
chapters/15_senet.ipynb.

An SE block reweights the channels of a feature map by a function of the whole image: squeeze
(global average pooling to one number per channel), excitation (FC down by the reduction ratio
r, ReLU, FC back up, sigmoid) and scale. In a ResNet it acts on the residual branch before the
sum (Fig. 3), so SE-ResNet-50 is `lib.models.resnet.ResNet` with an `attention` factory; the
block itself, `lib.models.layers.SqueezeExcitation`, is also part of EfficientNet's MBConv.

Cost: each block adds 2 C^2 / r weights and as many MACs (plus biases), C the block's output
channels. That is ~2.5 M parameters on ResNet-50 (~10 %), 63 % of them in the last stage, and
0.06 % more MACs: 3.858 -> 3.861 G with the 2015 stride placement. The paper's 3.86 -> 3.87
GFLOPs is reached only by also counting the pooling and the scaling (one operation per element
each), which are not multiply-accumulates of a convolution or a linear layer.

The FC layers have biases by default, as in the released SENet models (28.09 M parameters for
SE-ResNet-50; `bias=False` gives 28.07 M). The paper's ablations drop them on ResNets (Sec. 6);
both round to its 28.1 M (Table 10).
"""
from functools import partial

from torch import nn

from lib.checks import integer
from lib.models import resnet
from lib.models.layers import SqueezeExcitation
from lib.models.registry import register


def se_block(channels, reduction=16, bias=True) -> SqueezeExcitation:
    """SE-ResNet's block: C -> C/r hidden units (reduction ratio r), ReLU, back to C."""
    integer("SE reduction", reduction)
    if reduction > channels:
        raise ValueError(f"reduction ratio r={reduction} leaves no hidden units for "
                         f"{channels} channels; use r <= {channels}")
    return SqueezeExcitation(channels, channels // reduction, nn.ReLU, bias)


@register("se_resnet50", course=resnet.COURSE)
def se_resnet50(reduction=16, se_bias=True, **kwargs):
    return resnet.resnet(50, attention=partial(se_block, reduction=reduction, bias=se_bias),
                         **kwargs)
