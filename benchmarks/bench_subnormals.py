"""What flushing subnormal floats during training buys, in one process.

Long CPU trainings can fill a network's arithmetic with subnormal floats
(ReLU units that stopped receiving gradient decay towards zero), and x86
arithmetic on them is many times slower. The package's training sets the CPU
to flush them (``sklearn_physgen._base.flushed_denormals``). This script
trains the brute-force ``OnePlusEpsilonDetector`` (batch 1024, the full-size
benchmark's settings) on a HIGGS-like memory-mapped set written by
``bench_full_size.write_data``, twice in the same process: as the package
does it (flushing), and with the flush switched off (the context manager
replaced by a no-op). It prints the time of each block of 1,000 batches and,
for the last block, the ratio of the two: the slowdown that the flush
removes grows with the number of batches trained.

Example (about four minutes on one thread)::

    python benchmarks/bench_subnormals.py --threads 1
"""

import argparse
import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from skorch.callbacks import Callback

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_full_size import write_data

import sklearn_physgen._base as base
from sklearn_physgen import OnePlusEpsilonDetector

BLOCK = 1000


class StopTraining(Exception):
    pass


class BlockTimer(Callback):
    """Wall time of every ``BLOCK`` training batches; stops after ``n_blocks``."""

    def __init__(self, n_blocks):
        self.n_blocks = n_blocks

    def initialize(self):
        self.times_, self._count, self._start = [], 0, time.perf_counter()
        return self

    def on_batch_end(self, net, training=False, **kwargs):
        self._count += training
        if self._count and self._count % BLOCK == 0:
            now = time.perf_counter()
            self.times_.append(now - self._start)
            self._start = now
            if len(self.times_) == self.n_blocks:
                raise StopTraining(self.times_)


def block_times(X, n_blocks, flush):
    original = base.flushed_denormals
    if not flush:
        base.flushed_denormals = lambda device: contextlib.nullcontext()
    try:
        OnePlusEpsilonDetector(
            sampler="uniform", batch_size=1024, max_epochs=1, random_state=0,
            device="cpu", callbacks=[BlockTimer(n_blocks)],
        ).fit(X)
    except StopTraining as stop:
        return stop.args[0]
    finally:
        base.flushed_denormals = original
    raise RuntimeError("the epoch ended before the last block; pass more --rows")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--blocks", type=int, default=9, help="blocks of 1,000 batches")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "higgs_like.npy"
        print(write_data(path, args.rows, noise=0.05))
        X = np.load(path, mmap_mode="r")
        print(f"{args.rows:,} rows, batch 1024, torch threads {torch.get_num_threads()}")
        with_flush = block_times(X, args.blocks, flush=True)
        without = block_times(X, args.blocks, flush=False)
    print(f"\n{'batches':>13}  {'flushing ms/batch':>18}  {'not flushing':>13}")
    for i, (a, b) in enumerate(zip(with_flush, without)):
        print(f"{i * BLOCK:>6}-{(i + 1) * BLOCK:<6}  {1e3 * a / BLOCK:>18.2f}  "
              f"{1e3 * b / BLOCK:>13.2f}")
    print(f"\nlast block, not flushing / flushing: {without[-1] / with_flush[-1]:.2f}x")


if __name__ == "__main__":
    main()
