"""ShuffleNet v1 (Zhang et al., 2017) and v2 (Ma et al., 2018)."""
