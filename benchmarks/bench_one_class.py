"""One-class anomaly detection on a collection of public benchmark sets.

The (1+eps) detectors fit without labels (``k = 0``) against IsolationForest,
OneClassSVM and Deep SVDD, on data the package was not designed on. No
download is needed: the sets are built, with the published recipes, from
data that ship with scikit-learn, plus the HIGGS and SUSY subsets beside the
repository.

- ``wine``: ODDS "wine" (Rayana 2016): UCI wine, classes 2 and 3 normal,
  class 1 down-sampled to 10 anomalies (129 rows, 13 features);
- ``wdbc``: ADBench / ODDS "WDBC": Wisconsin diagnostic breast cancer,
  benign normal, 10 malignant anomalies (367 rows, 30 features);
- ``optdigits``: the ODDS "optdigits" recipe on scikit-learn's 8 x 8 digits
  (the UCI optdigits test part): digits 1-9 normal, zeros down-sampled to
  3 % of the rows (1,669 rows, 64 features);
- ``digits-1vr``: the one-class protocol of Deep SVDD (Ruff et al. 2018) on
  the same digits: each digit in turn is normal and the nine others are
  anomalies; the ROC AUC is the mean over the ten digits;
- ``wine-1vr``: the same protocol on UCI wine's three cultivars;
- ``higgs``, ``susy``: background normal, signal anomalous (the paper's
  one-class column), 4,000 training normals.

For each set and seed: the normal rows are split 60 / 40 (seeded); the
detectors are fit on the training normals, standardised on them; the test
set is the other normals plus the anomalies (for the down-sampled sets a
new draw of anomalies per seed). The ROC AUC of ``score_samples`` (higher =
more normal; never folded) is averaged over ``--seeds``; a value below 0.5
means a detector ranks the anomalies as *more* normal than the normal data.
A problem whose ROC AUC is more than two chance standard deviations
(``sklearn_physgen.metrics.chance_roc_auc_std``) below 0.5 counts as
inverted: a line on stderr says so, and the table marks it ``[!n]`` (n
inverted problems over the seeds). Any warning a detector raises while
fitting is counted in ``warnings`` (``[wn]``: seeds with one).

Methods (``--methods``): ``classifier`` (``OnePlusEpsilonClassifier()``),
``uniform``, ``hmc``, ``rmsprop``, ``deep`` (``OnePlusEpsilonDetector(
sampler=...)``, package defaults), ``DeepSVDD``, ``IsolationForest``,
``OneClassSVM`` (``gamma='scale', nu=0.1``), all with ``random_state=seed``.

Example::

    python benchmarks/bench_one_class.py --seeds 0 1 2 --markdown one_class.md
"""

import argparse
import datetime
import json
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import sklearn
import torch
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler
from sklearn.svm import OneClassSVM

import sklearn_physgen
from sklearn_physgen import DeepSVDD, OnePlusEpsilonClassifier, OnePlusEpsilonDetector
from sklearn_physgen.metrics import _versus_chance, chance_roc_auc_std

DATA_DIR = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
SETS = ["wine", "wdbc", "optdigits", "digits-1vr", "wine-1vr", "higgs", "susy"]
METHODS = ["classifier", "uniform", "hmc", "rmsprop", "deep", "DeepSVDD",
           "IsolationForest", "OneClassSVM"]
PHYSICS_TRAIN_NORMALS = 4000


#: ``sampler@n``: an energy sampler with ``n`` gradient steps per training
#: step (HMC's leapfrog steps, RMSProp's Langevin steps) instead of the default
STEP_PARAMETERS = {"hmc": "hmc_n_leapfrog_steps", "rmsprop": "rmsprop_n_steps"}


def method_name(value):
    """argparse type: a method of METHODS, or ``hmc@n`` / ``rmsprop@n``."""
    sampler, _, steps = value.partition("@")
    if value in METHODS or (sampler in STEP_PARAMETERS and steps.isdigit() and int(steps) > 0):
        return value
    raise argparse.ArgumentTypeError(
        f"{value!r}: one of {METHODS}, or hmc@N / rmsprop@N with N gradient steps"
    )


def make_detector(name, seed):
    if name == "classifier":
        return OnePlusEpsilonClassifier(random_state=seed)
    sampler, _, steps = name.partition("@")
    if steps:
        return OnePlusEpsilonDetector(sampler=sampler, random_state=seed, device="cpu",
                                      **{STEP_PARAMETERS[sampler]: int(steps)})
    if name in ("uniform", "hmc", "rmsprop", "deep"):
        return OnePlusEpsilonDetector(sampler=name, random_state=seed, device="cpu")
    if name == "DeepSVDD":
        return DeepSVDD(random_state=seed, device="cpu")
    if name == "IsolationForest":
        return IsolationForest(random_state=seed)
    return OneClassSVM(gamma="scale", nu=0.1)


def problems(name, seed):
    """``[(X_normal, X_anomalous), ...]``: one problem, or one per class."""
    rng = np.random.RandomState(seed)
    if name in ("wine", "wine-1vr"):
        data = load_wine()
    elif name == "wdbc":
        data = load_breast_cancer()
    elif name in ("optdigits", "digits-1vr"):
        data = load_digits()
    else:
        path = DATA_DIR / ("higgs.npz" if name == "higgs" else "susy8_standardized.npz")
        archive = np.load(path)
        X, y = archive["X"].astype(np.float64), archive["y"]
        return [(X[y == 0], X[y == 1])]
    X, y = data.data.astype(np.float64), data.target
    if name.endswith("-1vr"):
        return [(X[y == c], X[y != c]) for c in np.unique(y)]
    if name == "wine":
        normal, anomalous, n_anomalies = X[y != 0], X[y == 0], 10
    elif name == "wdbc":  # target 1 = benign
        normal, anomalous, n_anomalies = X[y == 1], X[y == 0], 10
    else:
        normal, anomalous = X[y != 0], X[y == 0]
        n_anomalies = round(0.03 * len(normal) / 0.97)
    keep = rng.choice(len(anomalous), n_anomalies, replace=False)
    return [(normal, anomalous[keep])]


def run_problem(method, X_normal, X_anomalous, seed, max_train):
    rng = np.random.RandomState(seed)
    order = rng.permutation(len(X_normal))
    n_train = int(0.6 * len(order))
    if max_train is not None:
        n_train = min(n_train, max_train)
    train, test = X_normal[order[:n_train]], X_normal[order[n_train:]]
    if max_train is not None:  # as many test anomalies as test normals
        pick = rng.choice(len(X_anomalous), min(len(X_anomalous), len(test)), replace=False)
        X_anomalous = X_anomalous[pick]
    scaler = StandardScaler().fit(train)
    X_test = scaler.transform(np.vstack([test, X_anomalous]))
    is_normal = np.r_[np.ones(len(test)), np.zeros(len(X_anomalous))]
    detector = make_detector(method, seed)
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        detector.fit(scaler.transform(train))
    fit_s = time.perf_counter() - start
    messages = [str(w.message) for w in caught
                if not issubclass(w.category, (DeprecationWarning, FutureWarning))]
    auc = float(roc_auc_score(is_normal, detector.score_samples(X_test)))
    inverted = _versus_chance(auc, chance_roc_auc_std(is_normal, anomaly_label=0)) == "inverted"
    return auc, fit_s, messages, inverted


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", nargs="+", default=SETS, choices=SETS)
    parser.add_argument("--methods", nargs="+", default=METHODS, type=method_name,
                        help=f"of {METHODS}; hmc@N and rmsprop@N set the sampler's "
                        "gradient steps per training step to N")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--json")
    parser.add_argument("--markdown")
    args = parser.parse_args()
    torch.set_num_threads(1)
    env = (f"{datetime.datetime.now(datetime.UTC).isoformat(timespec='seconds')}, "
           f"{platform.platform()}, numpy {np.__version__}, scikit-learn "
           f"{sklearn.__version__}, torch {torch.__version__}, sklearn_physgen "
           f"{sklearn_physgen.__version__}")
    print(f"# one-class collection, {env}", flush=True)
    records = []
    for name in args.sets:
        max_train = PHYSICS_TRAIN_NORMALS if name in ("higgs", "susy") else None
        for seed in args.seeds:
            cases = problems(name, seed)
            for method in args.methods:
                aucs, seconds, messages, n_inverted = [], 0.0, [], 0
                for X_normal, X_anomalous in cases:
                    auc, fit_s, caught, inverted = run_problem(
                        method, X_normal, X_anomalous, seed, max_train)
                    aucs.append(auc)
                    seconds += fit_s
                    messages += caught
                    n_inverted += inverted
                record = {"set": name, "seed": seed, "method": method,
                          "roc_auc": float(np.mean(aucs)), "min_case_auc": float(np.min(aucs)),
                          "fit_s": seconds, "warnings": len(messages),
                          "inverted_cases": n_inverted,
                          "warning_messages": sorted(set(messages))[:3]}
                records.append(record)
                print(f"[{name} seed={seed}] {method}: AUC={record['roc_auc']:.3f} "
                      f"(worst case {record['min_case_auc']:.3f}) fit={seconds:.1f}s "
                      f"warnings={len(messages)}", flush=True)
                if n_inverted:
                    print(f"warning: {method} on {name}, seed {seed}: {n_inverted} of "
                          f"{len(cases)} problems inverted (ROC AUC more than two "
                          "chance standard deviations below 0.5)", file=sys.stderr)
    table = markdown(records, args.sets, args.methods)
    print("\n" + table)
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"environment": env, "config": vars(args), "records": records}, indent=1))
    if args.markdown:
        Path(args.markdown).write_text(table + "\n")


def markdown(records, sets, methods):
    def cell(method, name):
        rows = [r for r in records if r["method"] == method and r["set"] == name]
        if not rows:
            return "–"
        aucs = [r["roc_auc"] for r in rows]
        low = min(r["min_case_auc"] for r in rows)
        flag = "" if low >= 0.5 else f" (min {low:.2f})"
        warned = sum(r["warnings"] > 0 for r in rows)
        inverted = sum(r.get("inverted_cases", 0) for r in rows)
        return (f"{np.mean(aucs):.3f}{flag}" + (f" [w{warned}]" if warned else "")
                + (f" [!{inverted}]" if inverted else ""))

    head = "| method | " + " | ".join(sets) + " | mean |"
    lines = [head, "|---" * (len(sets) + 2) + "|"]
    for method in methods:
        means = [np.mean([r["roc_auc"] for r in records
                          if r["method"] == method and r["set"] == name]) for name in sets]
        lines.append(f"| {method} | " + " | ".join(cell(method, name) for name in sets)
                     + f" | {np.mean(means):.3f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
