"""Fit time on the CPU against a CUDA GPU, for every estimator, in one process.

Each estimator is fitted with ``device='cpu'`` and ``device='cuda'`` on the
same data, at a small and a large batch size, after one warm-up fit per
(estimator, device); the best of ``--repeats`` wall-clock times of ``fit`` is
reported with ``samples/s = n_samples * epochs / seconds`` and the GPU's
speed-up over the CPU. The data are real HIGGS rows (``higgs.npz`` in
``--data-dir``), standardised and resampled to ``--n-samples`` rows with small
Gaussian jitter.

The point it measures: on tabular data with small MLPs, every batch is a few
tiny matrix products, so at batch 256 the GPU waits on Python and kernel
launches; it pays off only once the batches are large.

Examples
--------
On a machine with a GPU::

    python benchmarks/bench_device.py --json device.json
"""

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.preprocessing import StandardScaler

from sklearn_physgen import (
    GAN,
    Autoencoder,
    DeepSVDD,
    OnePlusEpsilonDetector,
    VariationalAutoencoder,
)

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"

ESTIMATORS = {
    "Autoencoder": lambda **kw: Autoencoder(**kw),
    "VariationalAutoencoder": lambda **kw: VariationalAutoencoder(**kw),
    "GAN": lambda **kw: GAN(**kw),
    "DeepSVDD": lambda **kw: DeepSVDD(**kw),
    "(1+eps) uniform": lambda **kw: OnePlusEpsilonDetector(sampler="uniform", **kw),
    "(1+eps) HMC": lambda **kw: OnePlusEpsilonDetector(sampler="hmc", **kw),
    "(1+eps) RMSProp": lambda **kw: OnePlusEpsilonDetector(sampler="rmsprop", **kw),
    "(1+eps) Deep EOPE": lambda **kw: OnePlusEpsilonDetector(sampler="deep", **kw),
}


def load_data(data_dir, n_samples, seed=0):
    X = np.load(Path(data_dir) / "higgs.npz")["X"]
    X = StandardScaler().fit_transform(X)
    rng = np.random.RandomState(seed)
    rows = rng.randint(len(X), size=n_samples)
    return (X[rows] + 0.01 * rng.normal(size=(n_samples, X.shape[1]))).astype(np.float32)


def time_fit(make, X, repeats, **params):
    make(**{**params, "max_epochs": 1}).fit(X[:2048])  # warm-up: kernels, allocator, threads
    times = []
    for _ in range(repeats):
        model = make(**params)
        if params["device"] == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        model.fit(X)
        if params["device"] == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR.resolve()))
    parser.add_argument("--n-samples", type=int, default=200_000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-sizes", nargs="+", type=int, default=[256, 4096])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--estimators", nargs="+", default=list(ESTIMATORS), choices=ESTIMATORS)
    parser.add_argument("--json", default=None, metavar="PATH")
    args = parser.parse_args(argv)
    if not torch.cuda.is_available():
        parser.error("no CUDA device: this benchmark compares the CPU with a GPU")

    X = load_data(args.data_dir, args.n_samples)
    environment = {
        "cpu": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "gpu": torch.cuda.get_device_name(0),
        "torch": torch.__version__,
    }
    print(environment)
    print(f"{args.n_samples} x {X.shape[1]} HIGGS rows, {args.epochs} epochs, "
          f"best of {args.repeats}")
    header = (f"{'estimator':24s} {'batch':>6s} {'CPU s':>8s} {'GPU s':>8s} "
              f"{'GPU samples/s':>14s} {'speed-up':>9s}")
    print(header)
    records = []
    for name in args.estimators:
        for batch_size in args.batch_sizes:
            seconds = {}
            for device in ("cpu", "cuda"):
                seconds[device] = time_fit(
                    ESTIMATORS[name], X, args.repeats, device=device, batch_size=batch_size,
                    max_epochs=args.epochs, random_state=0,
                )
            record = {
                "estimator": name,
                "batch_size": batch_size,
                "cpu_s": seconds["cpu"],
                "gpu_s": seconds["cuda"],
                "gpu_samples_per_s": args.n_samples * args.epochs / seconds["cuda"],
                "speed_up": seconds["cpu"] / seconds["cuda"],
            }
            records.append(record)
            print(
                f"{name:24s} {batch_size:6d} {record['cpu_s']:8.2f} {record['gpu_s']:8.2f} "
                f"{record['gpu_samples_per_s']:14.0f} {record['speed_up']:8.2f}x",
                flush=True,
            )
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "environment": environment,
                                               "results": records}, indent=2))


if __name__ == "__main__":
    main()
