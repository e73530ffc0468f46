"""EfficientNet (Tan & Le, 2019, arXiv:1905.11946)."""
