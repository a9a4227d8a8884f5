"""Time to quality: which batch size and learning rate finish first.

Throughput (samples per second) rewards large batches, but a large batch takes
fewer optimiser steps per epoch, so it may need more epochs to reach the same
model. What a user feels is the wall time until the model is good. This
script measures it for two estimators at their defaults apart from
``batch_size`` and ``learning_rate``:

- ``Autoencoder``: mean squared reconstruction error on held-out real rows
  (lower is better);
- ``OnePlusEpsilonDetector`` (brute force, ``epsilon=0.5``) with 1,000 known
  anomalies: ROC AUC of signal against background on held-out real rows.

Each is trained with batch sizes 256, 1024 and 4096, and three rules for the
learning rate ``lr(B)`` given the default ``lr0`` at batch 256:
``constant`` (``lr0``), ``sqrt`` (``lr0 * sqrt(B / 256)``) and ``linear``
(``lr0 * B / 256``, Goyal et al. 2017). After every epoch a skorch callback
evaluates the network on the held-out rows; the wall time is the sum of
skorch's per-epoch ``dur`` (training alone: the evaluation runs after the
epoch timer). The target is a fixed fraction of the best quality any
configuration reached: within 2 % of the lowest held-out loss, or 99 % of
the highest AUC above 0.5. The table gives, for each configuration, the wall
time until the target is first reached, the epoch, and the final value.

Data: the 15,977 full-precision real HIGGS rows of ``../shared/data`` (or,
with ``--data susy``, the 10,997 real SUSY rows there; ``StandardScaler``
fitted on the training part), split in half; the training
half is resampled to ``--n-samples`` rows with a N(0, 0.01^2) jitter so that
epochs have a realistic number of steps, the held-out half is used as is.
Background (label 0) is the normal class; for the detector 1,000 signal rows
of the training half are the known anomalies.

Examples
--------
Full run (about 15 minutes on one thread)::

    python benchmarks/bench_time_to_quality.py --json ttq.json

Quick check::

    python benchmarks/bench_time_to_quality.py --n-samples 20000 --epochs 2 \\
        --batch-sizes 256 1024 --rules constant
"""

import argparse
import datetime
import json
import math
import os
import platform
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import Callback

from sklearn_physgen import Autoencoder, OnePlusEpsilonDetector
from sklearn_physgen._samplers import _logits

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = (REPO_ROOT / ".." / "shared" / "data").resolve()
DATA_PATHS = {"higgs": DATA_DIR / "higgs.npz", "susy": DATA_DIR / "susy8_standardized.npz"}
BASE_BATCH = 256
RULES = {
    "constant": lambda lr0, batch: lr0,
    "sqrt": lambda lr0, batch: lr0 * math.sqrt(batch / BASE_BATCH),
    "linear": lambda lr0, batch: lr0 * batch / BASE_BATCH,
}


class HeldOutQuality(Callback):
    """Records ``metric(module)`` after every epoch, outside the epoch timer."""

    def __init__(self, metric, name):
        self.metric = metric
        self.name = name

    def on_epoch_end(self, net, **kwargs):
        module = net.module_
        module.eval()
        with torch.no_grad():
            value = self.metric(module)
        module.train()
        net.history.record(self.name, float(value))


def load_real(name, n_samples, seed=0):
    """Resampled training rows and untouched held-out rows of a real set."""
    data = np.load(DATA_PATHS[name])
    X, y = data["X"].astype(np.float64), data["y"]
    if name == "higgs":
        keep = data["significant_digits"] == 10
        X, y = X[keep], y[keep]
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(X))
    train, test = order[: len(X) // 2], order[len(X) // 2 :]
    scaler = StandardScaler().fit(X[train])
    X = scaler.transform(X)
    resampled = rng.choice(train, size=n_samples)
    X_train = X[resampled] + 0.01 * rng.standard_normal((n_samples, X.shape[1]))
    return (X_train.astype(np.float32), y[resampled],
            X[test].astype(np.float32), y[test])


def autoencoder_run(X, y, X_test, y_test, batch_size, learning_rate, epochs, seed):
    background = torch.tensor(X_test[y_test == 0])

    def held_out_loss(module):
        return ((module(background) - background) ** 2).mean()

    model = Autoencoder(batch_size=batch_size, learning_rate=learning_rate,
                        max_epochs=epochs, random_state=seed, device="cpu",
                        callbacks=[HeldOutQuality(held_out_loss, "quality")])
    model.fit(X[y == 0])
    return model.history_


def detector_run(X, y, X_test, y_test, batch_size, learning_rate, epochs, seed):
    rng = np.random.default_rng(seed)
    signal = np.flatnonzero(y == 1)
    known = rng.choice(signal, size=min(1000, len(signal)), replace=False)
    rows = np.r_[np.flatnonzero(y == 0), known]
    labels = np.r_[np.ones(np.sum(y == 0)), -np.ones(len(known))]
    test = torch.tensor(X_test)

    def held_out_auc(module):
        # higher logit = more normal (background)
        return roc_auc_score(y_test == 0, _logits(module, test).numpy())

    model = OnePlusEpsilonDetector(
        sampler="uniform", epsilon=0.5, batch_size=batch_size,
        learning_rate=learning_rate, max_epochs=epochs, random_state=seed,
        device="cpu", callbacks=[HeldOutQuality(held_out_auc, "quality")])
    model.fit(X[rows], labels)
    return model.history_


MODELS = {
    "Autoencoder": (autoencoder_run, "held-out MSE", True,
                    Autoencoder().learning_rate),
    "OnePlusEpsilonDetector": (detector_run, "held-out ROC AUC", False,
                               OnePlusEpsilonDetector().learning_rate),
}


def time_to_target(record, target, lower_is_better):
    elapsed = 0.0
    for epoch, (seconds, value) in enumerate(zip(record["dur"], record["quality"]), 1):
        elapsed += seconds
        if (value <= target) if lower_is_better else (value >= target):
            return elapsed, epoch
    return None, None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=200_000)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[256, 1024, 4096])
    parser.add_argument("--rules", nargs="+", default=list(RULES), choices=list(RULES))
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", choices=list(DATA_PATHS), default="higgs")
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    machine = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "platform": platform.platform(), "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(), "torch": torch.__version__,
        "load_avg_1min": round(os.getloadavg()[0], 2),
    }
    print(machine)
    X, y, X_test, y_test = load_real(args.data, args.n_samples, args.seed)
    print(f"training rows {len(X):,} (resampled from real {args.data}), "
          f"held-out {len(X_test):,}")

    results = {}
    for name in args.models:
        run, metric, lower_is_better, lr0 = MODELS[name]
        run(X[:2048], y[:2048], X_test, y_test, 256, lr0, 1, args.seed)  # warm-up
        records = {}
        for batch in args.batch_sizes:
            for rule in args.rules:
                if batch == BASE_BATCH and rule != args.rules[0]:
                    continue  # every rule gives lr0 at the base batch size
                lr = RULES[rule](lr0, batch)
                history = run(X, y, X_test, y_test, batch, lr, args.epochs, args.seed)
                records[(batch, rule)] = {
                    "learning_rate": lr,
                    "dur": [float(d) for d in history[:, "dur"]],
                    "quality": [float(q) for q in history[:, "quality"]],
                }
                print(f"  {name} batch {batch:>5} {rule:<8} lr {lr:.2e}: "
                      f"{sum(records[(batch, rule)]['dur']):7.1f} s, final "
                      f"{records[(batch, rule)]['quality'][-1]:.4f}", flush=True)
        qualities = [q for r in records.values() for q in r["quality"] if np.isfinite(q)]
        if lower_is_better:
            target = 1.02 * min(qualities)
        else:
            best = max(qualities)
            target = 0.5 + 0.99 * (best - 0.5)
        print(f"\n{name}: target {metric} {'<=' if lower_is_better else '>='} "
              f"{target:.4f} (best reached {min(qualities) if lower_is_better else max(qualities):.4f})")
        print(f"{'batch':>6} {'lr rule':<9}{'lr':>9}{'s/epoch':>9}{'to target':>13}"
              f"{'epoch':>7}{'final':>9}")
        for (batch, rule), record in records.items():
            seconds, epoch = time_to_target(record, target, lower_is_better)
            record.update(time_to_target_s=seconds, epoch_reached=epoch)
            shown = "not reached" if seconds is None else f"{seconds:.1f} s"
            print(f"{batch:>6} {rule:<9}{record['learning_rate']:>9.1e}"
                  f"{np.mean(record['dur']):>9.2f}{shown:>13}"
                  f"{epoch or '-':>7}{record['quality'][-1]:>9.4f}")
        results[name] = {"metric": metric, "target": target,
                         "runs": {f"{b}/{r}": v for (b, r), v in records.items()}}
        print()
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"machine": machine, "config": vars(args), "results": results}, indent=2))
    return results


if __name__ == "__main__":
    main()
