"""Cost accounting: parameters, multiply-accumulates and activation memory of a model.

Conventions, written once for the whole course:

- **params**: learnable scalars (`sum(p.numel() for p in model.parameters())`).
- **MACs**: multiply-accumulates of convolution and linear layers, per image. This is what the
  papers and torchvision's documentation call "FLOPs".
- **FLOPs**: 2 x MACs (one multiply and one add), what `torch.utils.flop_counter` reports.
- **activation memory**: the bytes the forward pass of a training step allocates and still
  holds when it returns, for the backward pass (the tensors autograd saves, each storage once,
  and the output; not the input batch or the parameters), per image unless a batch is given.
  `memory` defines it and measures it; the tests check it byte for byte against PyTorch's
  profiler.

    >>> from lib import cost
    >>> cost.count("resnet50").summary()
    '25.56 M params, 4,089.2 M MACs (8.18 GFLOPs) per 3x224x224 image'

The package, floor by floor:

- `formulas`: the hand formulas the chapters derive (`conv_params`, `conv_macs`; the output
  size `conv_output_size` comes from `lib.geometry`).
- `counter`: `count` a model by running it on the meta device; `trace`, `meta_model`,
  `build_on_meta`.
- `result`: the `Cost` that `count` returns, with a `Layer` row per layer call.
- `render`: a `Cost` as a text table, an HTML table and a bar chart.
- `memory`: activation memory on the meta device (`activations`), and the memory of a real
  training step as PyTorch's profiler sees it (`training_step`).
- `_fast`: the private fast path of counting (shape rules, building without initialisation).
"""
from lib.geometry import conv_output_size, sliding_output_size
from lib.cost.formulas import conv_macs, conv_params
from lib.cost.result import Cost, Layer
from lib.cost.counter import build_on_meta, count, meta_model, trace
from lib.cost.memory import Activations, StepMemory, activations, training_step

__all__ = ["Activations", "Cost", "Layer", "StepMemory", "activations", "build_on_meta",
           "conv_macs", "conv_output_size", "conv_params", "count", "meta_model",
           "sliding_output_size", "trace", "training_step"]
