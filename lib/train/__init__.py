"""Training: one loop for every chapter.

    >>> data = lib.data.load("fashion_mnist", batch_size=256)
    >>> history = lib.train.fit(model, data, epochs=10, lr=1e-3, optimizer="adam")
    >>> history.test_acc[-1], history.throughput     # accuracy, training images per second

The loop runs minibatch gradient descent on the cross-entropy loss and records, per epoch, the
training loss and accuracy (over the minibatches as they were trained on), the test accuracy
and the training images per second. It knows nothing about any model, widget or plot:
progress bars, the live plot and text lines attach through callbacks.

Budgets. The environment variable COURSE_BUDGET bounds what a call runs, so that the same
chapter code runs on a GPU, on a laptop CPU and in CI:

- ``full``: the chapter as written, the epochs it asks for on every training and test image.
  The default with a CUDA GPU. The book's stored outputs are produced under it on the offline
  digits (4,000 training and 1,000 test images) by `scripts/execute_notebooks.py`, so a
  chapter asks for the epochs its networks need to converge on them.
- ``quick``: at most 5 epochs on at most 4,000 training and 1,000 test images (fixed random
  subsets). The default without a CUDA GPU: a chapter's quick run is meant to take at most
  about 5 minutes on a 2-core laptop CPU.
- ``smoke``: 1 epoch of 2 training minibatches, tested on 1: it checks that the code runs,
  not what it learns. The tests run the notebooks under it.

Each call starts with one line naming the budget, what it runs and in which precision, for
example ``budget full: 10 epochs on all 4,000 training images, tested on all 1,000 test
images (cpu, bfloat16 mixed precision).``; in a notebook it ends with the last epoch's figures.
Speed is kept in `History` (`images_per_s`, `throughput`) and printed only on a terminal,
where it measures the machine the reader is using.

Precision: bfloat16 mixed precision on CUDA GPUs and on CPUs that compute bfloat16 natively,
float16 with a gradient scaler on older GPUs, float32 elsewhere; `precision=` or
COURSE_PRECISION overrides it (see `lib.train.precision`). Images and convolution weights are
kept channels-last on CUDA and the CPU. On the CPU the same seed gives the same history.

A run that goes wrong says so (`Diagnosis`): a non-finite or diverging loss stops it, and a
test accuracy that stays at chance is reported. Under `torchrun` (`python -m lib.train
--help`) the model is wrapped in DistributedDataParallel: every rank trains on its share of
each global minibatch, metrics are summed over ranks, and only rank 0 prints.

Modules: `budget` (budgets and what a call runs under one), `precision`, `loop` (`Trainer`,
`fit`, `evaluate`), `history`, `callbacks`, `checkpoint` (atomic files), `allocator` (freed
memory kept for the next step on the CPU), `speed` (the machine's peak and training steps per
second), `cli` (the command line).
"""
from lib.train.budget import BUDGETS, SUBSET_SEED, Budget, Plan, get_budget
from lib.train.callbacks import (Callback, Diagnosis, LivePlot, PrintEpochs, PrintSummary,
                                 ProgressBar, default_callbacks, in_notebook)
from lib.train.history import History
from lib.train.loop import OPTIMIZERS, Trainer, evaluate, fit
from lib.train.precision import PRECISIONS, cpu_has_bfloat16
from lib.train.speed import images_per_second, machine, matmul_flops

__all__ = ["BUDGETS", "SUBSET_SEED", "Budget", "Plan", "get_budget", "Callback", "Diagnosis",
           "LivePlot", "PrintEpochs", "PrintSummary", "ProgressBar", "default_callbacks",
           "in_notebook", "History", "OPTIMIZERS", "Trainer", "evaluate", "fit", "PRECISIONS",
           "cpu_has_bfloat16", "images_per_second", "machine", "matmul_flops"]
