"""Lecture 000: UC Berkeley STAT 157 (Spring 2019), lecture 13, "Inception, Batch Normalization,
ResNet, DenseNet" (Smola and Li). Lines refer to 000_65144b4ac274495b.txt."""
from lib.lectures import common
from lib.lectures.chapters import BATCHNORM, DENSENET, GOOGLENET, RESNET, SENET, SHUFFLENET
from lib.lectures.claims import CORRECT, WRONG, Computed, Exact, Holds, claim, unchecked

LECTURE = "UC Berkeley STAT 157 (2019), lecture 13"
SHORT = "Berkeley STAT 157"


def densenet_recursion() -> Computed:
    """Apply the slide's own rule x_{i+1} = [x_i, f_i(x_i)] from x_1 = x, twice."""
    parts = ["x"]
    for i in (1, 2):
        x_i = parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
        parts = parts + [f"f_{i}({x_i})"]
    third = "[" + ", ".join(parts) + "]"
    return Computed(third, f"x_3 = {third}", holds=False)


bn = common.bn_claims("000", "lines 164-171", "lines 203-206")

CLAIMS = [
    claim("000.inception.paths", "line 56, Inception Blocks",
          "4 paths extract information from different aspects, then concatenate", 4,
          "branches of Inception (3a)", common.inception_paths, Exact(), CORRECT,
          chapters=(GOOGLENET,)),
    *common.inception_vs_conv_claims("000", "lines 75-78, Inception Blocks"),
    *common.googlenet_claims("000", "line 85, GoogLeNet"),
    *common.flavor_claims("000", {"v2": "line 113", "3x3": "line 115", "1x7": "line 116",
                                  "1x3": "line 117", "deeper": "line 118", "v4": "line 119"}),
    bn[0],
    unchecked("000.bn.lipton", "line 183, What Batch Norms really do",
              "Doesn't really reduce covariate shift (Lipton et al., 2018)", "2018",
              "Lipton & Steinhardt, 'Troubling Trends in Machine Learning Scholarship' (2018), "
              "cite the covariate-shift explanation of batch norm as an example of speculation; "
              "Santurkar et al. (2018) measured that batch norm does not reduce it.",
              (BATCHNORM,), "year of the citation"),
    unchecked("000.bn.minibatch", "line 196, What Batch Norms really do",
              "Ideal minibatch size of 64 to 256", "64 to 256", common.minibatch_source("64 to 256"),
              (BATCHNORM,)),
    *bn[1:],
    unchecked("000.bn.minibatch-128", "line 209, Details", "Optimal minibatch size is ~128", "~128",
              common.minibatch_source("128"), (BATCHNORM,)),
    *common.resnet_claims("000", "line 244, Residual Networks", "f(x) = x + g(x)",
                          "line 279, ResNet Module"),
    unchecked("000.resnext.year", "lines 317 and 382, ResNext", "Xie et al., 2016", "2016",
              "Xie, Girshick, Dollár, Tu & He, 'Aggregated Residual Transformations for Deep "
              "Neural Networks', arXiv November 2016 (CVPR 2017).", (RESNET,)),
    *common.cost_claims("000", "lines 323-338 (again 344-358), Reducing the cost of Convolutions"),
    *common.resnext_claims("000", "lines 360-369, ResNeXt paper's Table 1"),
    common.cardinality_claim("000", "line 374, RexNext budget"),
    unchecked("000.densenet.year", "line 390, DenseNet", "DenseNet (Huang et al., 2016)", "2016",
              "Huang, Liu, van der Maaten & Weinberger, 'Densely Connected Convolutional "
              "Networks', arXiv August 2016 (CVPR 2017).", (DENSENET,)),
    claim("000.densenet.x2", "line 403, DenseNet", "x_2 = [x, f_1(x), f_2([x, f_1(x)])]",
          "x_2", "the slide's rule x_{i+1} = [x_i, f_i(x_i)], x_1 = x", densenet_recursion,
          Holds(), WRONG,
          "A typo: the line after x_2 = [x, f_1(x)] is x_3. Each layer of a dense block adds its "
          "k channels to everything before it, so the third layer reads c_0 + 2k channels.",
          (DENSENET,)),
    unchecked("000.senet.year", "line 410, Squeeze-Excite Net", "Squeeze-Excite Net (Hu et al., "
              "2017)", "2017", "Hu, Shen & Sun, 'Squeeze-and-Excitation Networks', arXiv "
              "September 2017 (CVPR 2018).", (SENET,)),
    unchecked("000.shufflenet.year", "line 417, ShuffleNet", "ShuffleNet (Zhang et al., 2018)",
              "2018", "Zhang, Zhou, Lin & Sun, arXiv July 2017, published at CVPR 2018.",
              (SHUFFLENET,)),
    common.separable_claim("000", "lines 425-432, Separable Convolutions"),
]

del bn
