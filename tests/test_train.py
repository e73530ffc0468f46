"""The training loop: it learns, it is reproducible, budgets bound it, callbacks see it."""
import copy

import pytest
import torch
from torch import nn

from lib import data as datasets, models, train
from lib.data import Batches, Data


def tiny_data(n_train, n_test=64, batch_size=32, side=28, seed=0):
    """Random images of five classes whose brightness grows with the class: learnable, fast."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(5, (n_train + n_test,), generator=g)
    x = torch.randn(n_train + n_test, 1, side, side, generator=g) + 0.3 * (y.view(-1, 1, 1, 1) - 2)
    return Data("tiny", Batches(x[:n_train], y[:n_train], batch_size, shuffle=True),
                Batches(x[n_train:], y[n_train:], batch_size, shuffle=False),
                classes=tuple("abcde"), source="random", image_size=(1, side, side), mean=0.0, std=1.0)


def linear(classes=5):
    return nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, classes))


@pytest.fixture(scope="module")
def digits():
    return datasets.load("mnist_5k", batch_size=64, device="cpu")


@pytest.fixture
def one_thread():
    """Tiny minibatches gain nothing from threads, and lose much on a shared, busy CPU."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_lenet_overfits_one_small_batch(digits, one_thread):
    X, y = digits.train.images[:32], digits.train.labels[:32]
    one_batch = Data("one batch", Batches(X, y, 32, shuffle=True), Batches(X, y, 32, shuffle=False),
                     digits.classes, "32 digits", (1, 28, 28), digits.mean, digits.std)
    torch.manual_seed(0)
    net = models.create("lenet")
    h = train.fit(net, one_batch, epochs=100, lr=1e-2, optimizer="adam", budget="full", verbose=False)
    assert h.train_acc[0] < 0.5
    assert h.test_acc[-1] == 1.0 and h.train_loss[-1] < 0.05
    assert train.evaluate(net, one_batch) == 1.0


def run(seed, data, **kwargs):
    torch.manual_seed(123)
    net = models.create("lenet", activation="relu", pool="max")
    h = train.fit(net, data, epochs=2, lr=0.05, optimizer="momentum", budget="smoke", seed=seed,
                  verbose=False, **kwargs)
    return h, net


def test_same_seed_same_history(digits):
    (h1, n1), (h2, n2) = run(0, digits), run(0, digits)
    for key in ("train_loss", "train_acc", "test_acc"):
        assert getattr(h1, key) == getattr(h2, key)
    assert all(torch.equal(a, b) for a, b in zip(n1.state_dict().values(), n2.state_dict().values()))
    h3, _ = run(1, digits)
    assert h3.train_loss != h1.train_loss, "the seed orders the minibatches"


def test_dropout_is_seeded_too():
    data = tiny_data(256)
    histories = []
    for _ in range(2):
        torch.manual_seed(0)
        net = nn.Sequential(nn.Flatten(), nn.Dropout(0.5), nn.Linear(28 * 28, 5))
        train.fit(net, data, epochs=1, lr=0.1, budget="full", verbose=False, seed=7)
        histories.append(net[2].weight.detach().clone())
    assert torch.equal(*histories)


def test_smoke_budget(capsys, digits):
    h = train.fit(linear(10), digits, epochs=10, lr=0.1, budget="smoke", verbose=False)
    line = capsys.readouterr().out.strip()
    assert line.startswith("budget smoke: 1 of 10 epochs on 128 of 4,000 training images, "
                           "tested on 64 of 1,000 test images")
    assert (h.epochs, len(h.epoch), h.num_train_images, h.num_test_images) == (1, 1, 128, 64)


def test_quick_budget_caps_epochs_and_images(capsys):
    data = tiny_data(6000, n_test=1500, batch_size=500)
    h = train.fit(linear(), data, epochs=7, lr=0.1, budget="quick", verbose=False)
    line = capsys.readouterr().out.strip()
    assert line.startswith("budget quick: 5 of 7 epochs on 4,000 of 6,000 training images, "
                           "tested on 1,000 of 1,500 test images")
    assert (h.epochs, len(h.epoch), h.num_train_images, h.num_test_images) == (5, 5, 4000, 1000)
    h = train.fit(linear(), tiny_data(300), epochs=3, lr=0.1, budget="quick", verbose=False)
    assert "budget quick: 3 epochs on all 300 training images" in capsys.readouterr().out
    assert len(h.epoch) == 3


def test_full_budget_runs_as_asked(capsys):
    h = train.fit(linear(), tiny_data(300), epochs=6, lr=0.1, budget="full", precision="float32",
                  verbose=False)
    assert capsys.readouterr().out.strip() == (
        "budget full: 6 epochs on all 300 training images, tested on all 64 test images "
        "(cpu, float32).")
    assert h.epoch == [1, 2, 3, 4, 5, 6] and h.num_train_images == 300


def test_stored_outputs_announce_the_chapter_as_written(capsys, digits):
    """The book's stored runs: the full budget on the offline digits, within the book's column."""
    train.fit(linear(10), digits, epochs=10, lr=0.1, budget="full", precision="bfloat16",
              verbose=False, callbacks=[StopAfter(1)])
    out = capsys.readouterr().out.strip()
    assert " ".join(out.split()) == (
        "budget full: 10 epochs on all 4,000 training images, tested on all 1,000 test images "
        "(cpu, bfloat16 mixed precision).")
    assert max(len(line) for line in out.splitlines()) <= 99


class StopAfter(train.Callback):
    def __init__(self, epochs):
        self.epochs = epochs

    def on_epoch_end(self, t):
        t.stop = t.epoch == self.epochs


def test_budget_comes_from_the_environment(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_BUDGET", "quick")
    assert train.get_budget().name == "quick"
    monkeypatch.setenv("COURSE_BUDGET", "huge")
    with pytest.raises(ValueError, match="COURSE_BUDGET='huge'; valid budgets: full, quick, smoke"):
        train.get_budget()
    monkeypatch.delenv("COURSE_BUDGET")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert train.get_budget().name == "quick"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert train.get_budget().name == "full"


def test_callbacks_see_every_event_in_order():
    events = []

    class Record(train.Callback):
        def on_fit_start(self, t): events.append("start")
        def on_epoch_start(self, t): events.append(f"epoch {t.epoch}")
        def on_batch_end(self, t): events.append(f"batch {t.batch}")
        def on_epoch_end(self, t): events.append(f"end {t.epoch} {t.history.epoch[-1]}")
        def on_fit_end(self, t): events.append("done")

    train.fit(linear(), tiny_data(96), epochs=2, lr=0.1, budget="full", callbacks=[Record()],
              verbose=False)
    assert events == ["start", "epoch 1", "batch 0", "batch 1", "batch 2", "end 1 1",
                      "epoch 2", "batch 0", "batch 1", "batch 2", "end 2 2", "done"]


def test_a_callback_can_stop_training():
    class StopAfterTwo(train.Callback):
        def on_epoch_end(self, t):
            t.stop = t.epoch == 2

    h = train.fit(linear(), tiny_data(96), epochs=9, lr=0.1, budget="full",
                  callbacks=[StopAfterTwo()], verbose=False)
    assert h.epoch == [1, 2]


def test_history_and_evaluate_agree():
    data = tiny_data(512, n_test=200)
    net = linear()
    h = train.fit(net, data, epochs=3, lr=0.1, budget="full", verbose=False)
    assert h.test_acc[-1] == pytest.approx(train.evaluate(net, data))
    assert h.train_acc[-1] > 0.5 and h.train_loss[-1] < h.train_loss[0]
    assert h.diagnosis == "" and h.notes == [], "a run that learns gets no warning"
    assert all(v > 0 for v in h.images_per_s) and h.throughput > 0
    assert set(h.to_dict()) >= {"train_loss", "train_acc", "test_acc", "images_per_s"}


@pytest.mark.parametrize("precision, name", [("float32", "float32"),
                                             ("bfloat16", "bfloat16 mixed precision")])
def test_every_training_line_names_the_precision(capsys, precision, name):
    train.fit(linear(), tiny_data(512), epochs=2, lr=0.1, budget="full", precision=precision)
    announcement, *lines = capsys.readouterr().out.strip().split("\nepoch ")
    assert " ".join(announcement.split()).endswith(f"(cpu, {name}).")
    assert len(lines) == 2 and lines[0].startswith("1/2: loss ") and "images/s" in lines[1]
    assert all(line.endswith(f"({name})") for line in lines)


def test_the_summary_a_page_shows_has_no_speed():
    h = train.fit(linear(), tiny_data(512), epochs=2, lr=0.1, budget="full", precision="float32",
                  verbose=False)
    assert h.throughput > 0
    assert h.summary() == (f"loss {h.train_loss[-1]:.3f}, train acc {h.train_acc[-1]:.3f}, "
                           f"test acc {h.test_acc[-1]:.3f} after 2 epochs (cpu, float32)")


def test_images_per_second():
    net = models.create("lenet")
    assert train.images_per_second(net, (1, 28, 28), batch_size=16, steps=2, warmup=1) > 0
    assert train.images_per_second(net, (1, 28, 28), batch_size=16, steps=2, train=False) > 0


@pytest.mark.parametrize("kwargs, message", [
    ({"epochs": 0}, "epochs=0; valid: a positive integer"),
    ({"lr": -1}, "lr=-1; valid: a positive number"),
    ({"optimizer": "lbfgs"}, "optimizer='lbfgs'; valid: sgd, momentum, adam, adamw"),
    ({"budget": "tiny"}, "budget='tiny'; valid budgets: full, quick, smoke"),
    ({"schedule": "step"}, "schedule='step'; valid: None, 'cosine'"),
    ({"precision": "half"}, "precision='half'; valid: auto, float32, bfloat16, float16"),
    ({"precision": "float16"}, "precision='float16' runs on CUDA only"),
    ({"lr": float("nan")}, "lr=nan; valid: a positive number"),
])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        train.fit(linear(), tiny_data(32), **{"epochs": 1, "lr": 0.1, **kwargs})


def test_cosine_schedule_decays_to_zero():
    net = linear()

    class LR(train.Callback):
        def on_fit_end(self, t): self.last = t.optimizer.param_groups[0]["lr"]

    lr = LR()
    train.fit(net, tiny_data(96), epochs=2, lr=0.1, budget="full", schedule="cosine",
              callbacks=[lr], verbose=False)
    assert lr.last == pytest.approx(0.0, abs=1e-12)


def test_cpu_training_is_channels_last_and_computes_the_same(digits):
    """Channels-last changes where each number lives in memory, not what the network computes:
    one step from the same weights ends at the same weights as the default layout, to float32
    rounding."""
    torch.manual_seed(0)
    net = models.create("lenet", activation="relu", pool="max")
    reference = copy.deepcopy(net)
    train.fit(net, digits, epochs=1, lr=0.05, budget="smoke", verbose=False)
    conv = net.features[3].weight  # 6 input channels: the two layouts differ
    assert conv.is_contiguous(memory_format=torch.channels_last) and not conv.is_contiguous()

    X, y = next(iter(digits.train.epoch(0, seed=0)))
    stepped = []
    for layout in (torch.contiguous_format, torch.channels_last):
        model = copy.deepcopy(reference).to(memory_format=layout)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
        nn.functional.cross_entropy(model(X.contiguous(memory_format=layout)), y).backward()
        optimizer.step()
        stepped.append(model.state_dict())
    for a, b in zip(*(s.values() for s in stepped)):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_the_loop_knows_nothing_about_models_widgets_or_plots():
    """Models, widgets and plots reach the loop only as arguments and callbacks: no module of
    lib.train imports them, but the callbacks (the live plot) and the command line (which
    trains registered models). And each function of the package reads in one screen."""
    import ast
    from pathlib import Path
    allowed = {"callbacks.py": ("lib.plot", "matplotlib", "IPython"), "history.py": ("lib.plot",),
               "cli.py": ("lib.models",)}
    for path in Path(train.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        imported |= {a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names}
        imported |= {f"lib.{a.name}" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                     and node.module == "lib" for a in node.names}
        outside = {m for m in imported if m and m.startswith(("lib.models", "lib.widgets", "lib.plot",
                                                             "matplotlib", "IPython"))}
        assert not {m for m in outside if not m.startswith(allowed.get(path.name, ()))}, path
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                assert node.end_lineno - node.lineno < 40, f"{path.name}: {node.name}"
