"""MobileNet v1 (Howard et al., 2017) and v2 (Sandler et al., 2018)."""
