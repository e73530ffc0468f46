"""Network in Network (Lin, Chen & Yan, 2013, arXiv:1312.4400)."""
