"""Squeeze-and-Excitation networks (Hu et al., 2017, arXiv:1709.01507)."""
