"""Inception v2 (BN-Inception), v3, v4 and Inception-ResNet-v2."""
