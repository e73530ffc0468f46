"""Squeeze-and-Excitation networks (Hu et al., 2017, arXiv:1709.01507). Explained in the
course's squeeze-and-excitation chapter.

An SE block reweights the channels of a feature map by a function of the whole image: squeeze
(global average pooling to one number per channel), excitation (FC down by the reduction ratio
r, ReLU, FC back up, sigmoid) and scale. In a ResNet it acts on the residual branch before the
sum (Fig. 3), so SE-ResNet-50 is `lib.models.resnet.ResNet` with an `attention` factory.

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

from lib.models import resnet
from lib.models.registry import register


class SqueezeExcitation(nn.Module):
    """x * sigmoid(W2 relu(W1 mean_hw(x))), with W1: C -> C/r and W2: C/r -> C."""

    def __init__(self, channels, reduction=16, bias=True):
        super().__init__()
        for label, value in (("channels", channels), ("reduction", reduction)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"SE {label} must be a positive integer, got {value!r}")
        if reduction > channels:
            raise ValueError(f"reduction ratio r={reduction} leaves no hidden units for "
                             f"{channels} channels; use r <= {channels}")
        hidden = channels // reduction
        self.squeeze = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Linear(channels, hidden, bias=bias)
        self.relu = nn.ReLU(inplace=True)
        self.fc2 = nn.Linear(hidden, channels, bias=bias)
        self.sigmoid = nn.Sigmoid()

    def forward(self, x):                                            # (B, C, H, W)
        s = self.squeeze(x).flatten(1)                               # (B, C)
        s = self.sigmoid(self.fc2(self.relu(self.fc1(s))))           # (B, C) in (0, 1)
        return x * s[:, :, None, None]                               # (B, C, H, W)


@register("se_resnet50", input_size=resnet._input_size, course=resnet.COURSE)
def se_resnet50(reduction=16, se_bias=True, **kwargs):
    return resnet.resnet(50, attention=partial(SqueezeExcitation, reduction=reduction, bias=se_bias),
                         **kwargs)
