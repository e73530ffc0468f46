"""Xception (Chollet, 2016, arXiv:1610.02357)."""
