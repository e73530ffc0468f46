"""DenseNet (Huang et al., 2016, arXiv:1608.06993)."""
