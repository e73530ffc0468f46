"""SqueezeNet (Iandola et al., 2016, arXiv:1602.07360)."""
