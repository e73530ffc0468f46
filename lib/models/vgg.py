"""VGG (Simonyan & Zisserman, 2014, arXiv:1409.1556)."""
