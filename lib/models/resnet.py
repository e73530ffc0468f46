"""ResNet (He et al., 2015) and ResNeXt (Xie et al., 2016)."""
