"""Training speed of `lib.train.fit` next to d2l's `Trainer` (d2l 1.0.3), same models, same data.

    python benchmarks/train_vs_d2l.py                       # 1 epoch on every training image
    python benchmarks/train_vs_d2l.py --d2l-tensors         # d2l's loop fed lib's tensors
    python benchmarks/train_vs_d2l.py --peak-tflops 989     # CUDA: MFU against this peak
    python benchmarks/train_vs_d2l.py --models lenet --mfu  # the MFU measurement, on the CPU too

For each model both trainers start from the same weights, use the same optimizer (Adam at
1e-3 by default, as the chapters do; `--optimizer sgd` takes the learning rate of d2l's
chapter), the same minibatch size, train for the same epochs on the same training images and
evaluate on the same test images after every epoch; the test accuracy each reaches is printed
beside its speed. d2l's model picks its optimizer through `configure_optimizers`, the hook
d2l's own chapters override. Images per second are end to end:
training images x epochs / wall-clock seconds of the whole `fit` call (test passes included).
After an untimed step at the benchmark's shapes, each trainer runs twice, in the order
lib, d2l, d2l, lib, and the faster of its two runs counts: on a shared machine the load
changes from second to second (the load average is printed before and after).

- lib: `lib.data.load` tensors (on the GPU when there is one) drawn by indexing, and
  `lib.train.fit` (bfloat16 autocast on CUDA, float32 on the CPU, channels-last on both).
- d2l: `d2l.Trainer.fit` with a `d2l.Classifier` around the same network, and d2l's own data
  pipeline: `d2l.FashionMNIST` (torchvision's dataset, a PIL resize and ToTensor per image, a
  DataLoader with 4 workers). Offline, where Fashion-MNIST cannot be downloaded, the same
  pipeline serves the shipped digits as PIL images. With --d2l-tensors, d2l's Trainer is fed
  lib's tensors instead, through a `d2l.DataModule` subclass using d2l's own
  `get_tensorloader` (a DataLoader over a TensorDataset): that isolates the training loop.
  d2l's live plot is switched off unless --d2l-plot (it redraws an SVG figure twice an epoch);
  its per-step loss bookkeeping stays on.

Models: LeNet at 28x28; AlexNet at 224x224 on CUDA (the paper's network, one input channel,
ten classes, as in d2l), its course form at 128x128 on the CPU; VGG-11 course scale; ResNet-18
at 96x96 (on CUDA the paper's network, as in d2l; on the CPU its course widths). On CUDA the
output adds model FLOPs utilisation, 3 x forward FLOPs per image x images/s / the GPU's peak
dense bfloat16 FLOP/s, for each model and for the paper's ResNet-18 at 224x224 in bfloat16.
This prints figures; it asserts nothing about time.
"""
from __future__ import annotations

import argparse
import contextlib
import copy
import io
import os
import time

import torch
from torch import nn

from lib import cost, data as datasets, models, train

#: Peak dense (not sparse) bfloat16 tensor-core FLOP/s, from NVIDIA's datasheets. The first
#: key found in torch.cuda.get_device_name() wins, so specific names come first. GPUs without
#: bfloat16 (T4, V100) list their float16 peak, which is what the trainer uses there.
PEAK_BF16_FLOPS = {
    "H100 PCIe": 756e12,
    "H100 NVL": 835e12,
    "H100": 989e12,    # SXM
    "H200": 989e12,
    "GH200": 989e12,
    "B200": 2250e12,
    "A100": 312e12,
    "A10G": 70e12,
    "A10": 125e12,
    "L40S": 362e12,
    "L4": 121e12,
    "RTX 4090": 165e12,
    "RTX 3090": 71e12,
    "V100": 125e12,    # float16
    "T4": 65e12,       # float16
}


def peak_flops(override_tflops: float | None) -> tuple[float | None, str]:
    if override_tflops:
        return override_tflops * 1e12, "--peak-tflops"
    name = torch.cuda.get_device_name()
    for key, flops in PEAK_BF16_FLOPS.items():
        if key in name:
            return flops, f"table entry {key!r}"
    return None, f"no table entry for {name!r}; pass --peak-tflops"


def cases(cuda: bool):
    """(label, model name, kwargs, the learning rate of d2l's chapter) of the four models."""
    ten = {"in_channels": 1, "num_classes": 10}
    return [
        ("LeNet 28x28", "lenet", {}, 0.1),
        ("AlexNet 224x224 (paper network)", "alexnet", ten, 0.01) if cuda else
        ("AlexNet course form 128x128 (CPU)", "alexnet", models.course_config("alexnet"), 0.01),
        ("VGG-11 course scale", "vgg11", models.course_config("vgg11"), 0.01),
        ("ResNet-18 96x96 (paper network)", "resnet18", {**ten, "image_size": 96}, 0.01) if cuda else
        ("ResNet-18 96x96, course widths (CPU)", "resnet18",
         {**models.course_config("resnet18"), "image_size": 96}, 0.01),
    ]


def lib_data(name, size, batch_size, train_images, test_images, device):
    full = datasets.load(name, resize=None if size == (28, 28) else size, batch_size=batch_size,
                         device=device)
    def cut(b, n, shuffle):
        n = n or b.num_images
        return datasets.Batches(b.images[:n], b.labels[:n], batch_size, shuffle, size=b.size)
    return datasets.Data(full.name, cut(full.train, train_images, True),
                         cut(full.test, test_images, False), full.classes, full.source,
                         full.image_size, full.mean, full.std)


class PILImages(torch.utils.data.Dataset):
    """uint8 images served one by one as PIL images, as torchvision's MNIST datasets do."""

    def __init__(self, images, labels, transform):
        self.images, self.labels, self.transform = images, labels, transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        from PIL import Image
        return self.transform(Image.fromarray(self.images[i].numpy(), mode="L")), int(self.labels[i])


def d2l_data(d2l, lib, size, batch_size, train_images, test_images, tensors=False):
    """d2l's FashionMNIST pipeline (on the offline digits when lib has no Fashion-MNIST), or
    with `tensors` lib's tensors in a d2l DataModule."""
    if lib.name == "fashion_mnist" and not tensors:
        # d2l's DataModule hard-codes root='../data'; point it at the course's download.
        d2l.DataModule.__init__.__defaults__ = (str(datasets.data_dir() / "downloads"), 4)
        dm = d2l.FashionMNIST(batch_size=batch_size, resize=size)
        dm.train = torch.utils.data.Subset(dm.train, range(train_images or len(dm.train)))
        dm.val = torch.utils.data.Subset(dm.val, range(test_images or len(dm.val)))
        return dm, "d2l.FashionMNIST (per-image PIL resize + ToTensor, DataLoader, 4 workers)"

    if not tensors:
        from torchvision import transforms
        x_train, y_train, x_test, y_test = datasets._offline(datasets.data_dir() / datasets.OFFLINE_FILE)
        dm = d2l.FashionMNIST.__new__(d2l.FashionMNIST)
        d2l.DataModule.__init__(dm)
        dm.batch_size, dm.resize = batch_size, size
        trans = transforms.Compose([transforms.Resize(size), transforms.ToTensor()])  # as d2l's
        dm.train = PILImages(x_train[:train_images or None], y_train[:train_images or None], trans)
        dm.val = PILImages(x_test[:test_images or None], y_test[:test_images or None], trans)
        return dm, ("the offline digits as PIL images through d2l.FashionMNIST's own pipeline "
                    "(per-image Resize + ToTensor, DataLoader with 4 workers), since Fashion-MNIST "
                    "is not available")

    class Tensors(d2l.DataModule):
        def __init__(self, train, test, batch_size):
            super().__init__()
            self.save_hyperparameters()

        def get_dataloader(self, train):
            b = self.train if train else self.test
            X = b.images.cpu() if b.size is None else datasets.resize_images(b.images.cpu(), b.size)
            return self.get_tensorloader((X, b.labels.cpu()), train)

    return (Tensors(lib.train, lib.test, batch_size),
            "lib's tensors through a d2l.DataModule (get_tensorloader: DataLoader over a "
            "TensorDataset)")


def run_d2l(d2l, net, dm, epochs, optimizer, lr, cuda, plot):
    class Classifier(d2l.Classifier):
        def __init__(self, net, lr):
            super().__init__()
            self.save_hyperparameters()

        def configure_optimizers(self):
            return train.OPTIMIZERS[optimizer](self.parameters(), self.lr, 0.0)

    model = Classifier(net, lr)
    model.board.display = plot
    trainer = d2l.Trainer(max_epochs=epochs, num_gpus=1 if cuda else 0)
    if cuda:
        torch.cuda.synchronize()
    start = time.perf_counter()
    trainer.fit(model, dm)
    if cuda:
        torch.cuda.synchronize()
    return time.perf_counter() - start, d2l_accuracy(model.net, dm)


@torch.no_grad()
def d2l_accuracy(net, dm):
    """Test accuracy of a network d2l trained, on its own pipeline's test images."""
    net.eval()
    device = next(net.parameters()).device
    correct = count = 0
    for X, y in dm.val_dataloader():
        correct += (net(X.to(device)).argmax(1).cpu() == y).sum().item()
        count += len(y)
    return correct / count


def warm_up(net, size, batch_size, cuda):
    """Untimed training and test steps at the benchmark's shapes, so that neither trainer
    pays for first-call setup (kernel selection, oneDNN primitives, cuDNN autotuning)."""
    device = "cuda" if cuda else "cpu"
    net = copy.deepcopy(net).to(device)
    x = torch.randn(batch_size, *size, device=device)
    net(x).sum().backward()
    with torch.no_grad():
        net.eval()(x)


def resnet18_mfu(peak, batch_size, steps, device):
    """Training steps of the paper's ResNet-18 (3x224x224, 1,000 classes) on random images, as
    `lib.train.fit` runs them (bfloat16 autocast and channels-last on CUDA), and the MFU."""
    flops = cost.count("resnet18").flops
    torch.manual_seed(0)
    rate = train.images_per_second(models.create("resnet18"), (3, 224, 224), batch_size=batch_size,
                                   steps=steps, warmup=max(2, steps // 4), device=device)
    mfu = f"MFU {3 * flops * rate / peak:.1%}" if peak else "MFU needs the device's peak"
    print(f"\nResNet-18 224x224 (paper network) training steps, batch {batch_size} on {device}: "
          f"{rate:,.0f} images/s x 3 x {flops / 1e9:.2f} GFLOPs = {3 * flops * rate / 1e12:,.2f} "
          f"TFLOP/s; {mfu}")


def load() -> str:
    return "load average " + ", ".join(f"{v:.1f}" for v in os.getloadavg())


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cuda = torch.cuda.is_available()
    p.add_argument("--data", default="fashion_mnist")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--optimizer", choices=["adam", "sgd"], default="adam")
    p.add_argument("--lr", type=float, default=None,
                   help="default: 1e-3 for Adam; for SGD d2l's for each model (0.1 for LeNet, "
                        "else 0.01)")
    p.add_argument("--train-images", type=int, default=0, help="training images per epoch, 0 for all")
    p.add_argument("--test-images", type=int, default=0, help="test images, 0 for all")
    p.add_argument("--models", nargs="*", default=None, help="subset of: lenet alexnet vgg11 resnet18")
    p.add_argument("--peak-tflops", type=float, default=None, help="override the GPU's peak")
    p.add_argument("--mfu", action="store_true",
                   help="also time ResNet-18 at 224x224 for its MFU (always on CUDA)")
    p.add_argument("--mfu-batch", type=int, default=256 if cuda else 8)
    p.add_argument("--mfu-steps", type=int, default=50 if cuda else 2)
    p.add_argument("--d2l-plot", action="store_true", help="keep d2l's live plot on")
    p.add_argument("--d2l-tensors", action="store_true",
                   help="feed d2l's Trainer lib's tensors instead of its own per-image pipeline")
    args = p.parse_args(argv)

    import d2l.torch as d2l
    device = "cuda" if cuda else "cpu"
    where = torch.cuda.get_device_name() if cuda else f"CPU, {torch.get_num_threads()} threads"
    print(f"lib.train.fit vs d2l.Trainer on {where}; torch {torch.__version__}; batch "
          f"{args.batch_size}, {args.optimizer}, {args.epochs} epoch(s); {load()}")
    if cuda:
        peak, peak_source = peak_flops(args.peak_tflops)
        print(f"peak: {peak / 1e12:,.0f} TFLOP/s ({peak_source})" if peak else f"peak: {peak_source}")
    rows = []
    for label, name, kwargs, lr in cases(cuda):
        if args.models and name not in args.models:
            continue
        lr = args.lr or (lr if args.optimizer == "sgd" else 1e-3)
        size = models.input_size(name, **kwargs)
        data = lib_data(args.data, size[1:], args.batch_size, args.train_images, args.test_images, device)
        dm, d2l_source = d2l_data(d2l, data, size[1:], args.batch_size, args.train_images,
                                  args.test_images, tensors=args.d2l_tensors)
        torch.manual_seed(0)
        net = models.create(name, **kwargs)
        flops = cost.count(net, size).flops
        images = args.epochs * data.num_train
        print(f"\n{label}: {flops / 2e6:,.1f} M MACs/image; {args.optimizer} lr {lr}; {data.num_train:,} "
              f"training and {data.num_test:,} test images of {data.source}")
        print(f"  d2l data: {d2l_source}")
        warm_up(net, size, args.batch_size, cuda)

        lib_runs, d2l_runs = [], []
        for who in ("lib", "d2l", "d2l", "lib"):
            copy_ = copy.deepcopy(net)
            if who == "lib":
                start = time.perf_counter()
                with contextlib.redirect_stdout(io.StringIO()):  # the budget line, each run
                    h = train.fit(copy_, data, epochs=args.epochs, lr=lr, optimizer=args.optimizer,
                                  budget="full", verbose=False)
                lib_runs.append((time.perf_counter() - start, h))
            else:
                d2l_runs.append(run_d2l(d2l, copy_, dm, args.epochs, args.optimizer, lr, cuda,
                                        args.d2l_plot))
        lib_s, h = min(lib_runs, key=lambda run: run[0])
        d2l_s, d2l_acc = min(d2l_runs)
        lib_rate, d2l_rate = images / lib_s, images / d2l_s
        print(f"  lib {lib_rate:>9,.0f} images/s ({h.precision}; training steps alone "
              f"{h.throughput:,.0f}/s), test accuracy {h.test_acc[-1]:.3f}")
        print(f"  d2l {d2l_rate:>9,.0f} images/s (float32), test accuracy {d2l_acc:.3f}")
        print(f"  lib/d2l {lib_rate / d2l_rate:.2f}x")
        if cuda and peak:
            print(f"  MFU: lib {3 * flops * lib_rate / peak:.1%}, d2l {3 * flops * d2l_rate / peak:.1%}")
        rows.append((label, lib_rate, d2l_rate, h.test_acc[-1], d2l_acc))

    print(f"\nsummary (images/s end to end, and test accuracy after {args.epochs} epoch(s); {load()})")
    for label, lib_rate, d2l_rate, lib_acc, d2l_acc in rows:
        print(f"  {label:<36} lib {lib_rate:>8,.0f} ({lib_acc:.3f})   d2l {d2l_rate:>8,.0f} "
              f"({d2l_acc:.3f})   {lib_rate / d2l_rate:5.2f}x")
    if cuda or args.mfu:
        resnet18_mfu(peak if cuda else None, args.mfu_batch, args.mfu_steps, device)


if __name__ == "__main__":
    main()
