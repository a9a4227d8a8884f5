"""Training throughput of ``sklearn_physgen.Autoencoder`` against two baselines.

The same 28-64-32-8-32-64-28 ReLU autoencoder (Adam, lr 1e-3, MSE, same
epochs, CPU) is trained in five ways:

- ``Autoencoder``: ``sklearn_physgen.Autoencoder(...).fit(X)``;
- ``plain loop``: a hand-written PyTorch loop with in-memory indexed batching
  (``torch.randperm`` each epoch, ``X[idx]`` slices, ``zero_grad`` /
  ``backward`` / ``step``) and torch's default Adam: the reference (1.00x);
- ``plain loop, fused Adam``: the same loop with the fused Adam kernel that
  ``Autoencoder`` uses, so that the gap to it is the cost of skorch's loop;
- ``PyOD AutoEncoder``: ``pyod.models.auto_encoder.AutoEncoder(...).fit(X)``
  without dropout, batch norm, weight decay or its own standardisation, at
  the same batch size;
- ``PyOD, its batch 32``: the same at PyOD's default batch size, next to
  ours at our default (each library out of the box, same architecture).

What is measured is the wall-clock time (``time.perf_counter``) of ``fit``
alone, after one small warm-up fit of each method, with the same data and the
same number of torch threads, all in one process. Each method is run
``--repeats`` times (interleaved) and the best (least disturbed) time is
reported, as ``timeit`` does, with the median beside it, together with
``samples/s = n_samples * epochs / seconds``. Both estimators' ``fit`` also
score the training data once after training (``offset_`` and
``decision_scores_``); the ``train s`` column is the time of the epochs alone
(skorch's per-epoch ``dur`` for ``Autoencoder``, PyOD's ``train`` method).

The data are real HIGGS rows (``../shared/data/higgs.npz`` next to the
repository root), standardised and resampled to ``--n-samples`` rows with
small Gaussian jitter, or standard Gaussian data of the same shape when that
file is absent; the output says which.

Examples
--------
Full run (200,000 x 28, 5 epochs, batch 256, 3 repeats, all cores)::

    python benchmarks/bench_autoencoder_throughput.py --json bench.json

Quick check::

    python benchmarks/bench_autoencoder_throughput.py --n-samples 20000 \\
        --epochs 1 --repeats 1
"""

import argparse
import datetime
import gc
import itertools
import json
import os
import platform
import statistics
import time
from functools import partial
from pathlib import Path

import numpy as np
import skorch
import torch

from sklearn_physgen import Autoencoder
from sklearn_physgen._base import adam_implementation

HIDDEN, LATENT, LR = (64, 32), 8, 1e-3
PYOD_DEFAULT_BATCH = 32  # pyod.models.auto_encoder.AutoEncoder's default batch_size
REPO_ROOT = Path(__file__).resolve().parents[1]
HIGGS_PATH = (REPO_ROOT / ".." / "shared" / "data" / "higgs.npz").resolve()
PYOD_DIFFERENCES = [
    ("ReLU after the 8-unit code layer (every LinearBlock of its encoder has an "
    "activation); ours keeps the code linear. Same Linear shapes otherwise."),
    ("Batches come from a torch DataLoader over a per-sample Dataset "
    "(__getitem__ + default_collate stacking B tensors), drop_last=True."),
    ("fit() ends with decision_function(X): a second DataLoader pass over the "
    "training data with batches of batch_size (ours scores in 8192-row batches)."),
    "loss.item() is called every batch; weights use kaiming_uniform init.",
    ("samples/s counts n_samples * epochs although drop_last skips up to "
    "batch_size - 1 rows per epoch."),
]


def make_data(n_samples, n_features=28, seed=0):
    """Standardised HIGGS rows resampled with jitter, else Gaussian data."""
    rng = np.random.default_rng(seed)
    if HIGGS_PATH.exists():
        X = np.load(HIGGS_PATH)["X"].astype(np.float64)
        X = (X - X.mean(axis=0)) / X.std(axis=0)
        index = rng.integers(0, len(X), size=n_samples)
        X = X[index] + 0.01 * rng.standard_normal((n_samples, X.shape[1]))
        source = f"real HIGGS rows ({HIGGS_PATH}), standardised, " \
                 "resampled with N(0, 0.01^2) jitter"
    else:
        X = rng.standard_normal((n_samples, n_features))
        source = "synthetic standard Gaussian (higgs.npz not found)"
    return np.ascontiguousarray(X, dtype=np.float32), source


def fit_physgen(X, epochs, batch_size):
    model = Autoencoder(hidden_layer_sizes=HIDDEN, latent_dim=LATENT,
                        activation="relu", batch_size=batch_size,
                        max_epochs=epochs, learning_rate=LR, device="cpu",
                        random_state=0)
    start = time.perf_counter()
    model.fit(X)
    seconds = time.perf_counter() - start
    return seconds, float(sum(model.history_[:, "dur"]))


def fit_plain(X, epochs, batch_size, adam_options=None):
    start = time.perf_counter()
    torch.manual_seed(0)
    n_features = X.shape[1]
    sizes = [n_features, *HIDDEN, LATENT, *HIDDEN[::-1], n_features]
    layers = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        layers.append(torch.nn.Linear(n_in, n_out))
        if i not in (len(HIDDEN), len(sizes) - 2):  # code and output stay linear
            layers.append(torch.nn.ReLU())
    net = torch.nn.Sequential(*layers)
    optimizer = torch.optim.Adam(net.parameters(), lr=LR, **(adam_options or {}))
    loss_fn = torch.nn.MSELoss()
    Xt = torch.tensor(X)
    train_start = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(len(Xt))
        for first in range(0, len(Xt), batch_size):
            batch = Xt[order[first:first + batch_size]]
            optimizer.zero_grad()
            loss = loss_fn(net(batch), batch)
            loss.backward()
            optimizer.step()
    end = time.perf_counter()
    return end - start, end - train_start


def make_pyod_autoencoder(hidden_layers, *, learning_rate, epochs, batch_size):
    """PyOD's AutoEncoder set up like ours: ReLU, Adam, no batch norm,
    dropout, weight decay or internal scaling; ``hidden_layers`` ends with
    the latent width (the decoder mirrors it)."""
    from pyod.models.auto_encoder import AutoEncoder as PyODAutoEncoder

    return PyODAutoEncoder(hidden_neuron_list=list(hidden_layers),
                           hidden_activation_name="relu", batch_norm=False,
                           dropout_rate=0.0, preprocessing=False, lr=learning_rate,
                           epoch_num=epochs, batch_size=batch_size,
                           optimizer_name="adam",
                           optimizer_params={"weight_decay": 0.0},
                           device="cpu", random_state=0, verbose=0)


def time_pyod_training(model):
    """Wrap the model's ``train`` method; the returned list collects the wall
    time of each call (PyOD's training loop proper, without its data set-up)."""
    seconds = []
    train = model.train

    def timed_train(loader):
        start = time.perf_counter()
        train(loader)
        seconds.append(time.perf_counter() - start)

    model.train = timed_train
    return seconds


def fit_pyod(X, epochs, batch_size):
    model = make_pyod_autoencoder([*HIDDEN, LATENT], learning_rate=LR, epochs=epochs,
                                  batch_size=batch_size)
    train_seconds = time_pyod_training(model)
    start = time.perf_counter()
    model.fit(X)
    return time.perf_counter() - start, train_seconds[0]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=200_000)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-pyod", action="store_true")
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON")
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    batch = args.batch_size
    methods = {
        "Autoencoder": partial(fit_physgen, batch_size=batch),
        "plain loop": partial(fit_plain, batch_size=batch),
        # The optimizer Autoencoder uses: isolates the cost of skorch's loop.
        "plain loop, fused Adam": partial(
            fit_plain, batch_size=batch, adam_options=adam_implementation("cpu")),
    }
    pyod_version = None
    if not args.skip_pyod:
        try:
            import pyod
            pyod_version = pyod.__version__
            methods["PyOD AutoEncoder"] = partial(fit_pyod, batch_size=batch)
            if batch != PYOD_DEFAULT_BATCH:
                methods[f"PyOD, its batch {PYOD_DEFAULT_BATCH}"] = partial(
                    fit_pyod, batch_size=PYOD_DEFAULT_BATCH)
        except ImportError as exc:
            print(f"PyOD not available ({exc}); skipping it.")

    machine = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "platform": platform.platform(), "processor": platform.processor(),
        "python": platform.python_version(), "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(), "torch": torch.__version__,
        "skorch": skorch.__version__, "pyod": pyod_version,
        "load_avg_1min": round(os.getloadavg()[0], 2),
    }
    if machine["load_avg_1min"] > 0.5:
        print("WARNING: the machine is busy (load average "
              f"{machine['load_avg_1min']}); torch threads competing for cores "
              "can make timings meaningless. Run it on a quiet machine.\n")
    X, source = make_data(args.n_samples)
    config = {"n_samples": args.n_samples, "n_features": X.shape[1],
              "epochs": args.epochs, "batch_size": args.batch_size,
              "repeats": args.repeats, "learning_rate": LR, "data": source,
              "architecture": "28-64-32-8-32-64-28 ReLU"}
    for key, value in {**machine, **config}.items():
        print(f"{key:>14}: {value}")

    warm_X = X[:2 * args.batch_size]  # excludes import / first-call costs
    for fit in methods.values():
        fit(warm_X, 1)

    times = {name: [] for name in methods}
    train_times = {name: [] for name in methods}
    for _ in range(args.repeats):  # interleaved, so drift hits all methods
        for name, fit in methods.items():
            gc.collect()
            seconds, train_seconds = fit(X, args.epochs)
            times[name].append(seconds)
            train_times[name].append(train_seconds)

    work = args.n_samples * args.epochs
    reference = min(times["plain loop"])
    results = {}
    print(f"\n{'method':<24}{'best s':>8}{'median s':>10}{'train s':>9}"
          f"{'samples/s':>12}{'vs plain':>10}")
    for name in methods:
        seconds = min(times[name])
        results[name] = {
            "seconds": seconds, "median_seconds": statistics.median(times[name]),
            "train_seconds": min(train_times[name]),
            "samples_per_s": work / seconds, "ratio_vs_plain": reference / seconds,
            "all_seconds": times[name], "all_train_seconds": train_times[name],
        }
        r = results[name]
        print(f"{name:<24}{seconds:>8.2f}{r['median_seconds']:>10.2f}"
              f"{r['train_seconds']:>9.2f}{r['samples_per_s']:>12,.0f}"
              f"{r['ratio_vs_plain']:>9.2f}x")

    ours = results["Autoencoder"]["samples_per_s"]
    headline = {"autoencoder_vs_plain": ours / results["plain loop"]["samples_per_s"]}
    headline["autoencoder_vs_plain_fused"] = (
        ours / results["plain loop, fused Adam"]["samples_per_s"])
    print(f"\nAutoencoder / plain loop = {headline['autoencoder_vs_plain']:.2f}x "
          "(target >= 0.9x)")
    print("Autoencoder / plain loop with the same fused Adam = "
          f"{headline['autoencoder_vs_plain_fused']:.2f}x (fit, which also "
          "scores the training set once)")
    # The training loop's own cost: epochs alone, against the bare loop with
    # the same optimizer (best of the repeats, and their medians).
    ours_train = results["Autoencoder"]["all_train_seconds"]
    bare_train = results["plain loop, fused Adam"]["all_train_seconds"]
    headline["epoch_overhead_best"] = min(ours_train) / min(bare_train) - 1
    headline["epoch_overhead_median"] = (
        statistics.median(ours_train) / statistics.median(bare_train) - 1)
    print("Per-batch overhead of the training loop (epoch time over the bare "
          f"fused loop's): {100 * headline['epoch_overhead_best']:+.1f} % best, "
          f"{100 * headline['epoch_overhead_median']:+.1f} % median "
          "(target <= 5 %)")
    if "PyOD AutoEncoder" in results:
        headline["autoencoder_vs_pyod"] = (
            ours / results["PyOD AutoEncoder"]["samples_per_s"])
        print(f"Autoencoder / PyOD, same batch {batch} = "
              f"{headline['autoencoder_vs_pyod']:.2f}x (target >= 4x)")
        default_name = f"PyOD, its batch {PYOD_DEFAULT_BATCH}"
        if default_name in results:
            headline["autoencoder_vs_pyod_default_batch"] = (
                ours / results[default_name]["samples_per_s"])
            print(f"Autoencoder (batch {batch}, our default) / PyOD (batch "
                  f"{PYOD_DEFAULT_BATCH}, its default) = "
                  f"{headline['autoencoder_vs_pyod_default_batch']:.2f}x")
        print("\nPyOD AutoEncoder differs from the other two in:")
        for line in PYOD_DIFFERENCES:
            print(f"  - {line}")
    else:
        print("Autoencoder / PyOD = n/a (PyOD skipped)")

    if args.json:
        payload = {"machine": machine, "config": config, "results": results,
                   "headline": headline,
                   "pyod_differences": PYOD_DIFFERENCES if pyod_version else None}
        Path(args.json).write_text(json.dumps(payload, indent=2) + "\n")
        print(f"\nResults written to {args.json}")
    return results


if __name__ == "__main__":
    main()
