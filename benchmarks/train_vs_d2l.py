"""Training speed of `lib.train.fit` against the machine's peak and next to d2l's `Trainer`.

    python benchmarks/train_vs_d2l.py                     # writes benchmarks/results/train_vs_d2l_cpu.txt
    python benchmarks/train_vs_d2l.py --d2l-tensors       # d2l's loop fed lib's tensors
    python benchmarks/train_vs_d2l.py --models resnet18 --runs 1 --out -   # a quick look, printed only

One command, one result file (`--out`, default benchmarks/results/train_vs_d2l_<device>.txt):

1. The machine's peak: an n x n matrix product (n = 2048 on the CPU, 8192 on CUDA) in float32
   and in lib's automatic precision (bfloat16 here), the fastest of 20, timed at startup.
2. For each model, three trainings of one epoch on every training image: lib in float32, lib
   in its automatic precision (bfloat16 mixed precision where the device computes bfloat16
   natively) and d2l in float32, in rotating order, three times with seeds 0, 1, 2 (weights
   and minibatch order). Each speed is the median of the three runs: images per second end to
   end (training images / wall-clock seconds of the whole `fit` call, test pass included).
   For lib, the training steps' FLOP/s (3 x 2 x forward MACs per image, from `lib.cost`,
   times training images per second) as a fraction of the matmul peak in the precision that
   ran. The test accuracy of each run is printed: float32 and bfloat16 side by side, over three
   seeds, show what mixed precision costs in accuracy (benchmarks/precision_parity.py runs
   longer trainings for that).
3. On CUDA, the paper's ResNet-18 at 224x224 for its MFU against the datasheet's peak.

Both sides get the same data: the same images, normalised with the same mean and standard
deviation (the training set's), the same minibatch size, optimizer (Adam at 1e-3 by default,
chosen through `configure_optimizers`, the hook d2l's chapters override), epochs and test images.

- lib: `lib.data.load` tensors drawn by indexing, `lib.train.fit` (channels-last; precision as
  above; freed memory kept for the next step, `lib.train.allocator`: d2l's runs in the same
  process, and its loader processes forked from it, keep it too, so the ratio leaves that gain
  out).
- d2l: `d2l.Trainer.fit` with a `d2l.Classifier` around the same network, and d2l's own data
  pipeline: `d2l.FashionMNIST` (torchvision's dataset, a PIL resize, ToTensor and Normalize
  per image, a DataLoader with d2l's 4 worker processes). Offline, where Fashion-MNIST cannot
  be downloaded, the same pipeline serves the shipped digits as PIL images. With
  --d2l-tensors, d2l's Trainer is fed lib's tensors instead (d2l's `get_tensorloader`): that
  isolates the training loop. d2l's live plot is off unless --d2l-plot.

On a machine shared with other processes: OpenMP threads that spin while they wait for a
descheduled peer lose most of their time (two spinning threads trained LeNet 7-10 times
slower than one under a load of 10 on 2 cores), so the benchmark sets OMP_WAIT_POLICY=PASSIVE
for both sides before torch starts, and prints the load average with every model. Models:
LeNet at 28x28; AlexNet's course form at 128x128 on the CPU (the paper's network at 224x224
on CUDA); VGG-11's course form; ResNet-18 at 96x96 (course widths on the CPU, the paper's
network on CUDA). This prints figures; it asserts nothing about time.
"""
from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # read once, when torch's OpenMP starts

import argparse  # noqa: E402
import contextlib  # noqa: E402
import copy  # noqa: E402
import io  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import torch  # noqa: E402

from lib import cost, data as datasets, models, train  # noqa: E402
from lib.train import precision as arithmetic  # noqa: E402
from report import RESULTS, load, recorded  # noqa: E402


# d2l's 4 loader processes on a 2-core machine: the benchmark compares d2l as it is written.
warnings.filterwarnings("ignore", message="This DataLoader will create")

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
    """(label, model name, kwargs) of the four models."""
    ten = {"in_channels": 1, "num_classes": 10}
    return [
        ("LeNet 28x28", "lenet", {}),
        ("AlexNet 224x224 (paper network)", "alexnet", ten) if cuda else
        ("AlexNet course form 128x128", "alexnet", models.course_config("alexnet")),
        ("VGG-11 course form", "vgg11", models.course_config("vgg11")),
        ("ResNet-18 96x96 (paper network)", "resnet18", {**ten, "image_size": 96}) if cuda else
        ("ResNet-18 96x96, course widths", "resnet18",
         {**models.course_config("resnet18"), "image_size": 96}),
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
    """d2l's FashionMNIST pipeline (on the offline digits when lib has no Fashion-MNIST),
    normalised as lib normalises, or with `tensors` lib's tensors in a d2l DataModule."""
    if not tensors:
        from torchvision import transforms
        trans = transforms.Compose([transforms.Resize(size), transforms.ToTensor(),  # as d2l's
                                    transforms.Normalize((lib.mean,), (lib.std,))])  # as lib's
    if lib.name == "fashion_mnist" and not tensors:
        # d2l's DataModule hard-codes root='../data'; point it at the course's download.
        d2l.DataModule.__init__.__defaults__ = (str(datasets.data_dir() / "downloads"), 4)
        dm = d2l.FashionMNIST(batch_size=batch_size, resize=size)
        dm.train.transform = dm.val.transform = trans
        dm.train = torch.utils.data.Subset(dm.train, range(train_images or len(dm.train)))
        dm.val = torch.utils.data.Subset(dm.val, range(test_images or len(dm.val)))
        return dm, "d2l.FashionMNIST (per-image PIL resize, ToTensor, Normalize; DataLoader, 4 workers)"

    if not tensors:
        x_train, y_train, x_test, y_test = datasets._offline(datasets.data_dir() / datasets.OFFLINE_FILE)
        dm = d2l.FashionMNIST.__new__(d2l.FashionMNIST)
        d2l.DataModule.__init__(dm)
        dm.batch_size, dm.resize = batch_size, size
        dm.train = PILImages(x_train[:train_images or None], y_train[:train_images or None], trans)
        dm.val = PILImages(x_test[:test_images or None], y_test[:test_images or None], trans)
        return dm, ("the offline digits as PIL images through d2l.FashionMNIST's own pipeline "
                    "(per-image Resize, ToTensor, Normalize; DataLoader with 4 workers)")

    class Tensors(d2l.DataModule):
        def __init__(self, train, test, batch_size):
            super().__init__()
            self.save_hyperparameters()

        def get_dataloader(self, train):
            b = self.train if train else self.test
            X = b.images.cpu() if b.size is None else datasets.resize_images(b.images.cpu(), b.size)
            return self.get_tensorloader((X, b.labels.cpu()), train)

    return (Tensors(lib.train, lib.test, batch_size),
            "lib's tensors through a d2l.DataModule (get_tensorloader: DataLoader over a TensorDataset)")


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


def warm_up(net, size, batch_size, device, precisions):
    """Untimed training and test steps at the benchmark's shapes in each precision, so that no
    run pays for first-call setup (kernel selection, oneDNN primitives, cuDNN autotuning)."""
    for layout in (torch.contiguous_format, torch.channels_last):
        for name in precisions:
            model = copy.deepcopy(net).to(device).to(memory_format=layout)
            x = torch.randn(batch_size, *size, device=device).contiguous(memory_format=layout)
            with arithmetic.autocast(device, name):
                out = model(x)
            out.float().sum().backward()
            with torch.no_grad(), arithmetic.autocast(device, name):
                model.eval()(x)


def peaks(device: torch.device) -> dict[str, float]:
    """The matmul peak in each precision lib trains in on this device (FLOP/s)."""
    n = 8192 if device.type == "cuda" else 2048
    names = ["float32", arithmetic.automatic(device)]
    return {name: train.matmul_flops(name, n=n, device=device) for name in dict.fromkeys(names)}


def resnet18_mfu(peak, batch_size, steps, device):
    """Training steps of the paper's ResNet-18 (3x224x224, 1,000 classes) on random images, as
    `lib.train.fit` runs them (automatic precision, channels-last), and the MFU (on the CPU
    against the measured matmul peak)."""
    flops = cost.count("resnet18").flops
    torch.manual_seed(0)
    rate = train.images_per_second(models.create("resnet18"), (3, 224, 224), batch_size=batch_size,
                                   steps=steps, warmup=max(2, steps // 4), device=device)
    mfu = f"MFU {3 * flops * rate / peak:.1%}" if peak else "MFU needs the device's peak"
    print(f"\nResNet-18 224x224 (paper network) training steps, batch {batch_size} on {device}: "
          f"{rate:,.0f} images/s x 3 x {flops / 1e9:.2f} GFLOPs = {3 * flops * rate / 1e12:,.2f} "
          f"TFLOP/s; {mfu}")


def parse(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cuda = torch.cuda.is_available()
    p.add_argument("--data", default="fashion_mnist")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--runs", type=int, default=3, help="runs of each trainer (the median counts)")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--optimizer", choices=["adam", "sgd"], default="adam")
    p.add_argument("--lr", type=float, default=None, help="default: 1e-3 for Adam, 0.01 for SGD")
    p.add_argument("--train-images", type=int, default=0, help="training images per epoch, 0 for all")
    p.add_argument("--test-images", type=int, default=0, help="test images, 0 for all")
    p.add_argument("--models", nargs="*", default=None, help="subset of: lenet alexnet vgg11 resnet18")
    p.add_argument("--peak-tflops", type=float, default=None, help="override the GPU's datasheet peak")
    p.add_argument("--mfu", action="store_true",
                   help="also time ResNet-18 at 224x224 for its MFU (always on CUDA)")
    p.add_argument("--mfu-batch", type=int, default=256 if cuda else 8)
    p.add_argument("--mfu-steps", type=int, default=50 if cuda else 2)
    p.add_argument("--d2l-plot", action="store_true", help="keep d2l's live plot on")
    p.add_argument("--d2l-tensors", action="store_true",
                   help="feed d2l's Trainer lib's tensors instead of its own per-image pipeline")
    p.add_argument("--out", default=None,
                   help="result file (default: benchmarks/results/train_vs_d2l_<device>[_tensors].txt; - for none)")
    return p.parse_args(argv)


def main(argv=None):
    args = parse(sys.argv[1:] if argv is None else argv)
    device = train.loop.training_device()
    out = args.out or RESULTS / f"train_vs_d2l_{device.type}{'_tensors' if args.d2l_tensors else ''}.txt"
    with recorded(out, "train_vs_d2l.py"):
        benchmark(args, device)


def benchmark(args, device):
    import d2l.torch as d2l
    cuda = device.type == "cuda"
    auto = arithmetic.automatic(device)
    where = (torch.cuda.get_device_name() if cuda else
             f"{train.speed.cpu_name()}, {torch.get_num_threads()} threads")
    print(f"{where}; torch {torch.__version__}; OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}")
    peak = peaks(device)
    print("matmul peak: " + ", ".join(f"{name} {flops / 1e9:,.0f} GFLOP/s" for name, flops in peak.items())
          + (f" ({peak[auto] / peak['float32']:.2f}x)" if len(peak) > 1 else ""))
    if cuda:
        sheet, source = peak_flops(args.peak_tflops)
        print(f"datasheet peak: {sheet / 1e12:,.0f} TFLOP/s ({source})" if sheet else f"datasheet peak: {source}")
    lr = args.lr or (1e-3 if args.optimizer == "adam" else 0.01)
    print(f"batch {args.batch_size}, {args.optimizer} lr {lr:g}, {args.epochs} epoch(s) a run, "
          f"{args.runs} runs of each trainer with seeds 0..{args.runs - 1}; lib's automatic "
          f"precision here: {arithmetic.describe(auto)}")
    rows = []
    for label, name, kwargs in cases(cuda):
        if args.models and name not in args.models:
            continue
        rows.append(compare(d2l, args, label, name, kwargs, lr, device, peak))
    summarise(rows, auto, args)
    if cuda or args.mfu:
        resnet18_mfu(peak_flops(args.peak_tflops)[0] if cuda else peak[auto], args.mfu_batch,
                     args.mfu_steps, device)


def compare(d2l, args, label, name, kwargs, lr, device, peak) -> dict:
    """The three trainers on one model, `args.runs` times each; prints and returns the figures."""
    auto = arithmetic.automatic(device)
    size = models.input_size(name, **kwargs)
    data = lib_data(args.data, size[1:], args.batch_size, args.train_images, args.test_images, device)
    dm, d2l_source = d2l_data(d2l, data, size[1:], args.batch_size, args.train_images,
                              args.test_images, tensors=args.d2l_tensors)
    nets = []
    for seed in range(args.runs):
        torch.manual_seed(seed)
        nets.append(models.create(name, **kwargs))
    macs = cost.count(nets[0], size).macs
    images = args.epochs * data.num_train
    print(f"\n{label}: {macs / 1e6:,.1f} M MACs/image forward, a training step 3 x 2 x that = "
          f"{6 * macs / 1e6:,.0f} MFLOP/image; {data.num_train:,} training and {data.num_test:,} "
          f"test images of {data.source}")
    print(f"  d2l data: {d2l_source}")
    warm_up(nets[0], size, args.batch_size, device, dict.fromkeys(["float32", auto]))

    trainers = list(dict.fromkeys(["lib float32", f"lib {auto}", "d2l float32"]))
    runs = {who: [] for who in trainers}  # (seconds, test accuracy, training-step images/s)
    for seed in range(args.runs):
        for who in trainers[seed % len(trainers):] + trainers[:seed % len(trainers)]:
            net = copy.deepcopy(nets[seed])
            if who.startswith("lib"):
                start = time.perf_counter()
                with contextlib.redirect_stdout(io.StringIO()):  # the budget line, each run
                    h = train.fit(net, data, epochs=args.epochs, lr=lr, optimizer=args.optimizer,
                                  budget="full", seed=seed, device=device,
                                  precision=who.split()[1], verbose=False)
                runs[who].append((time.perf_counter() - start, h.test_acc[-1], h.throughput))
            else:
                torch.manual_seed(seed)  # d2l's DataLoader shuffles with the global generator
                runs[who].append((*run_d2l(d2l, net, dm, args.epochs, args.optimizer, lr,
                                           device.type == "cuda", args.d2l_plot), None))

    row = {"label": label, "rate": {}, "utilisation": {}, "accuracy": {}}
    for who in trainers:
        seconds = [r[0] for r in runs[who]]
        row["rate"][who] = images / statistics.median(seconds)
        row["accuracy"][who] = [r[1] for r in runs[who]]
        line = (f"  {who:<13} {row['rate'][who]:>8,.0f} images/s end to end (runs: "
                f"{', '.join(f'{images / s:,.0f}' for s in seconds)})")
        if who.startswith("lib"):
            precision = who.split()[1]
            steps = statistics.median(r[2] for r in runs[who])
            row["utilisation"][who] = 6 * macs * steps / peak[precision]
            line += (f"; training steps {steps:,.0f} images/s = {6 * macs * steps / 1e9:,.0f} GFLOP/s, "
                     f"{row['utilisation'][who]:.0%} of the {precision} matmul peak")
        print(line + f"; test acc {', '.join(f'{a:.3f}' for a in row['accuracy'][who])}")
    d2l_rate = row["rate"]["d2l float32"]
    print("  lib/d2l: " + ", ".join(f"{row['rate'][who] / d2l_rate:.2f}x ({who.split()[1]})"
                                    for who in trainers if who.startswith("lib")) + f"; {load()}")
    return row


def summarise(rows, auto, args):
    names = list(dict.fromkeys(["lib float32", f"lib {auto}"]))
    print(f"\nsummary: images/s end to end (median of {args.runs} runs), lib's training steps as a "
          f"fraction of the matmul peak of their precision, test accuracy after {args.epochs} "
          f"epoch(s) (mean of the runs); {load()}")
    print(f"  {'model':<32}" + "".join(f"{f'{who}/d2l':>18}{'of peak':>9}" for who in names)
          + f"{'d2l img/s':>11}   test acc " + " / ".join(w.split()[0] + " " + w.split()[1] for w in names + ['d2l float32']))
    for row in rows:
        d2l_rate = row["rate"]["d2l float32"]
        cells = "".join(f"{row['rate'][who] / d2l_rate:>17.2f}x{row['utilisation'][who]:>9.0%}" for who in names)
        accuracy = " / ".join(f"{statistics.mean(row['accuracy'][w]):.3f}" for w in names + ["d2l float32"])
        print(f"  {row['label']:<32}{cells}{d2l_rate:>11,.0f}   {accuracy}")
    print("targets (issue 18): ResNet-18 96x96 lib/d2l >= 2x in the automatic precision and >= 1.3x "
          "in float32; >= 50% of the bfloat16 matmul peak for AlexNet, VGG-11 and ResNet-18 96x96")


if __name__ == "__main__":
    main()
