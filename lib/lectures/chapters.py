"""The course's chapters, by the file stems every page links to, and which of them exist yet.

A claim names the chapters that discuss it by stem. The errata page links a claim to a chapter
that is written and names one that is still to come without a link (a link to a missing page
would break the book's build); whoever writes a chapter adds its stem to WRITTEN.
"""

TITLES = {
    "01_building_blocks": "1. The building blocks of a convolutional network",
    "02_backprop": "2. Backpropagation through convolution and pooling",
    "03_lenet": "3. LeNet",
    "04_alexnet": "4. AlexNet",
    "05_vgg": "5. VGG",
    "06_nin": "6. Network in Network",
    "07_googlenet": "7. GoogLeNet",
    "08_inception": "8. Inception v2, v3, v4, Inception-ResNet and Xception",
    "09_batchnorm": "9. Batch normalization",
    "10_resnet": "10. ResNet and ResNeXt",
    "11_densenet": "11. DenseNet",
    "12_squeezenet": "12. SqueezeNet",
    "13_mobilenet": "13. MobileNet",
    "14_shufflenet": "14. ShuffleNet",
    "15_senet": "15. Squeeze-and-excitation networks",
    "16_efficientnet": "16. EfficientNet",
    "17_zoo": "17. The zoo compared",
}

WRITTEN = {"01_building_blocks", "02_backprop", "03_lenet", "04_alexnet", "05_vgg", "06_nin",
           "07_googlenet", "08_inception", "09_batchnorm", "10_resnet", "11_densenet",
           "12_squeezenet", "13_mobilenet", "14_shufflenet", "15_senet", "16_efficientnet",
           "17_zoo"}

# Short names for the claim tables.
BLOCKS, BACKPROP, LENET, ALEXNET, VGG, NIN = (
    "01_building_blocks", "02_backprop", "03_lenet", "04_alexnet", "05_vgg", "06_nin")
GOOGLENET, INCEPTION, BATCHNORM, RESNET, DENSENET = (
    "07_googlenet", "08_inception", "09_batchnorm", "10_resnet", "11_densenet")
SQUEEZENET, MOBILENET, SHUFFLENET, SENET, EFFICIENTNET, ZOO = (
    "12_squeezenet", "13_mobilenet", "14_shufflenet", "15_senet", "16_efficientnet", "17_zoo")


def check_stem(stem: str) -> str:
    if stem not in TITLES:
        raise ValueError(f"unknown chapter {stem!r}; the chapters are {', '.join(TITLES)}")
    return stem
