"""GoogLeNet, Inception v1 (Szegedy et al., 2014, arXiv:1409.4842)."""
