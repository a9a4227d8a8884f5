"""Training cost of each (1+eps) pseudo-anomaly sampler, per epoch, in one process.

The fit times of ``bench_one_plus_epsilon.py`` include hyperparameter searches
whose chosen number of epochs and epsilon differ between samplers (at
epsilon = 1 no sampler runs at all). This script isolates what a sampler costs:
``OnePlusEpsilonDetector(sampler=...)`` is fitted one-class for a fixed
number of epochs on the training background of the benchmark's split (seed
0, ``margin=0``, all other parameters at their defaults) and the wall-clock
time of ``fit`` is taken; methods are interleaved over ``--repeats`` rounds
after one warm-up fit each, and the best and median times are reported with
the ratio to brute force (``uniform``) and of Deep EOPE to HMC EOPE.

Examples
--------
::

    python benchmarks/bench_sampler_cost.py
"""

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import torch
from bench_one_plus_epsilon import DATA_DIR, DATASETS, split

from sklearn_physgen import OnePlusEpsilonDetector

SAMPLERS = ("uniform", "hmc", "rmsprop", "deep")


def training_background(path, seed=0):
    data = np.load(path)
    X, y = data["X"].astype(np.float32), data["y"].astype(int)
    X_train, _, _, _ = split(X, y, seed, 0, None)
    return X_train


def fit_seconds(sampler, X, epochs, seed):
    model = OnePlusEpsilonDetector(
        sampler=sampler, margin=0.0, max_epochs=epochs, random_state=seed, device="cpu"
    )
    start = time.perf_counter()
    model.fit(X)
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=DATASETS)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--data-dir", default=str(DATA_DIR.resolve()))
    args = parser.parse_args(argv)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{args.epochs} epochs, {args.repeats} interleaved repeats")
    for name in args.datasets:
        X = training_background(Path(args.data_dir) / DATASETS[name])
        for sampler in SAMPLERS:
            fit_seconds(sampler, X[:512], 1, 0)  # warm-up
        times = {sampler: [] for sampler in SAMPLERS}
        for repeat in range(args.repeats):
            for sampler in SAMPLERS:
                times[sampler].append(fit_seconds(sampler, X, args.epochs, repeat))
        best = {sampler: min(values) for sampler, values in times.items()}
        print(f"\n{name}: {X.shape[0]} training background events x {X.shape[1]} features")
        print(f"{'sampler':10s} {'best s':>8s} {'median s':>9s} {'x uniform':>10s}")
        for sampler, values in times.items():
            print(f"{sampler:10s} {best[sampler]:8.2f} {statistics.median(values):9.2f} "
                  f"{best[sampler] / best['uniform']:9.2f}x")
        print(f"Deep EOPE / HMC EOPE: {best['deep'] / best['hmc']:.2f}x (best), "
              f"{statistics.median(times['deep']) / statistics.median(times['hmc']):.2f}x (median)")


if __name__ == "__main__":
    main()
