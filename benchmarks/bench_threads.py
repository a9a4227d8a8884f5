"""Gradient boosting at the main command's size: one native thread against all.

The main command (``python -m sklearn_physgen``) holds torch and the native
thread pools (OpenMP, BLAS) to ``--threads``, 1 by default. This script
measures why for the native pools: ``HistGradientBoostingClassifier`` (the
supervised peer, and the classifier inside ``OnePlusEpsilonClassifier``) is
fitted on a training set of the command's default size, the 1,330
background events of a higgs-sample split plus as many uniform
pseudo-anomalies and 100 signal events, with weights, first under
``threadpool_limits(1)`` and then with the machine's default pools (every
core), interleaved over ``--repeats`` rounds after one warm-up fit each. It
prints the best and median fit times and the ratio of the default to one
thread (above 1: one thread is faster).

Examples
--------
::

    python benchmarks/bench_threads.py --repeats 7
"""

import argparse
import os
import platform
import statistics
import time

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from threadpoolctl import threadpool_info, threadpool_limits

from sklearn_physgen.datasets import load_higgs_sample


def training_set(seed=0):
    """Background, uniform pseudo-anomalies on its box and 100 signal events,
    with (1+eps)-style weights: the size of the main command's k = 100 fit."""
    data = load_higgs_sample()
    rng = np.random.RandomState(seed)
    background = rng.permutation(np.flatnonzero(data.target == 0))[:1330]
    signal = rng.permutation(np.flatnonzero(data.target == 1))[:100]
    X_normal, X_signal = data.data[background], data.data[signal]
    pseudo = rng.uniform(X_normal.min(axis=0), X_normal.max(axis=0), size=X_normal.shape)
    X = np.vstack([X_normal, pseudo, X_signal])
    y = np.r_[np.ones(len(X_normal)), np.zeros(len(pseudo) + len(X_signal))]
    weight = np.r_[np.full(len(X_normal), 1.0 / len(X_normal)),
                   np.full(len(pseudo), 0.5 / len(pseudo)),
                   np.full(len(X_signal), 0.5 / len(X_signal))]
    return X, y, weight * len(weight) / weight.sum()


def fit_seconds(X, y, weight, limit):
    with threadpool_limits(limits=limit):
        start = time.perf_counter()
        HistGradientBoostingClassifier(random_state=0).fit(X, y, sample_weight=weight)
        return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    X, y, weight = training_set()
    openmp = [pool["num_threads"] for pool in threadpool_info()
              if pool["user_api"] == "openmp"]
    print(f"# {platform.platform()}, {os.cpu_count()} CPUs, default OpenMP threads "
          f"{openmp or 'none loaded yet'}; {X.shape[0]} rows x {X.shape[1]} features")
    settings = {"one thread": 1, "default pools": None}
    times = {name: [] for name in settings}
    for name, limit in settings.items():  # warm-up
        fit_seconds(X, y, weight, limit)
    for _ in range(args.repeats):
        for name, limit in settings.items():
            times[name].append(fit_seconds(X, y, weight, limit))
    for name, values in times.items():
        print(f"{name:14s} best {min(values):.2f} s, median {statistics.median(values):.2f} s")
    print(f"default pools / one thread: {min(times['default pools']) / min(times['one thread']):.2f}x "
          f"(best), {statistics.median(times['default pools']) / statistics.median(times['one thread']):.2f}x "
          "(median)")


if __name__ == "__main__":
    main()
