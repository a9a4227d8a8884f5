"""(1+eps)-class detectors against one-class and supervised baselines on HIGGS / SUSY.

This script follows the shape of the HIGGS / SUSY table of Borisyak et al.,
"(1+eps)-class Classification" (JMLR 21, 2020, arXiv:1906.06096), on the real
data subsets in ``../shared/data`` next to the repository root (``higgs.npz``:
25,970 x 28; ``susy8_standardized.npz``: 10,997 x 8). It uses all rows, so the
sizes are far below the paper's millions of events.

Protocol, for each dataset, seed and number ``k`` of known anomalies:

- normal = background (``y == 0``), anomaly = signal (``y == 1``);
- the split of :func:`sklearn_physgen.datasets.make_anomaly_split`
  (``random_state=seed``): stratified 70/30 train/test, the training set all
  training normals plus ``k`` known anomalies drawn from the training signal,
  labelled with scikit-learn's outlier convention ``y = 1`` normal, ``-1``
  known anomaly (for one seed the test set and the normals are the same at
  every k and the known anomalies are nested: the 10 are among the 100, ...);
  ``--max-train-normals`` optionally subsamples the training normals (seeded),
  for quick runs;
- a ``StandardScaler`` fit on the training normals only, applied to everything;
- metrics on the whole test set, with the anomaly as positive class:
  ROC AUC ``roc_auc_score(y_test == 1, -score)``, where ``score`` is higher
  for more normal (never folded to ``max(AUC, 1 - AUC)``); the signal
  efficiency at background efficiencies 1e-2 and 1e-3 (the fraction of test
  signal flagged when 1 % or 0.1 % of the test background is;
  :func:`sklearn_physgen.metrics.signal_efficiency`), the maximum
  significance improvement ``eps_S / sqrt(eps_B)`` over cuts that keep at
  least 0.1 % of the background
  (:func:`sklearn_physgen.metrics.significance_improvement`); and the
  wall-clock time of ``fit``.

Methods (``--methods`` takes the names in brackets):

- [``classifier``] ``OnePlusEpsilonClassifier(random_state=seed)``, the
  package defaults: gradient boosting inside, ``epsilon='auto'`` (3-fold
  cross-validation over 0.25 / 0.5 / 0.75 / 0.9 / 1 from 20 known anomalies,
  0.5 below, one-class at k = 0); the chosen epsilon is recorded;

- (1+eps) with each sampler [``uniform``, ``hmc``, ``rmsprop``, ``deep``]:
  ``OnePlusEpsilonDetector(epsilon=--epsilon, hidden_layer_sizes=(128, 128))``;
  at ``k = 0`` it is fit one-class (``y=None``). Score: ``score_samples``.
- [``uniform-auto``] ``OnePlusEpsilonDetector(sampler='uniform',
  epsilon='auto')``: from 20 known anomalies one fit per epsilon in 0.25 /
  0.5 / 0.9 / 1 with early stopping on the validation ROC AUC of 10 % held
  out, the best kept (0.5 and no search below 20);
- [``reference``] the issue's brute-force reference written as a plain PyTorch
  loop (MLP 128-128 ReLU, Adam, ``--max-epochs``, uniform pseudo-anomalies on
  the data's bounding box, ``--epsilon``; never tuned): the same algorithm as
  ``uniform`` without the package, on the same splits — the yardstick for
  accuracy, and for the package's training overhead in the fit-time table.
- One-class baselines [``DeepSVDD``, ``Autoencoder``, ``IsolationForest``,
  ``OneClassSVM``], fit on the training normals only (OneClassSVM on a seeded
  subsample of at most 5,000 of them, as it is O(n^2)). They do not depend on
  ``k``: each is fit once per dataset and seed and reported in the ``k = 0``
  column (always shown when one of them runs), with '–' in the other columns.
- Supervised baselines on the same labels, only for ``k > 0`` ('–' at
  ``k = 0``): [``MLP``] ``MLPClassifier((128, 128), max_iter=--max-epochs)``
  with the known anomalies *oversampled* (repeated) to as many rows as there
  are normals; score = predicted probability of normal.
  [``HistGradientBoosting``] ``HistGradientBoostingClassifier(class_weight=
  'balanced')``; score = its ``decision_function`` (the log-odds of normal: the
  same ranking as the probability, without ties where it saturates at 1).

Results are means +- standard deviations (``ddof=0``) over the seeds, printed
as markdown tables (ROC AUC, signal efficiencies, SIC, fit seconds with each energy
sampler's fit time relative to ``uniform``), and written to ``--json`` /
``--markdown`` if given. Each method is fit once on small synthetic data
before the timed runs (warm-up). A failed fit is recorded (with its error) and skipped.

Examples
--------
Full run (slow: 4 samplers x 4 k x 3 seeds x 2 datasets, 40 epochs)::

    python benchmarks/bench_one_plus_epsilon.py --datasets higgs susy \\
        --k 0 10 100 1000 --seeds 0 1 2 --json ope_bench.json \\
        --markdown ope_bench.md

Quick check::

    python benchmarks/bench_one_plus_epsilon.py --datasets susy --k 0 10 \\
        --seeds 0 --max-epochs 2 --max-train-normals 2000
"""

import argparse
import datetime
import json
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import sklearn
import skorch
import torch
from sklearn.ensemble import HistGradientBoostingClassifier, IsolationForest
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.svm import OneClassSVM
from skorch.callbacks import Callback

import sklearn_physgen
from sklearn_physgen import (
    Autoencoder,
    DeepSVDD,
    OnePlusEpsilonClassifier,
    OnePlusEpsilonDetector,
)
from sklearn_physgen.datasets import make_anomaly_split
from sklearn_physgen.metrics import (
    _versus_chance,
    chance_roc_auc_std,
    signal_efficiency,
    significance_improvement,
)

DATA_DIR = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
DATASETS = {"higgs": "higgs.npz", "susy": "susy8_standardized.npz"}
SAMPLERS = ("uniform", "hmc", "rmsprop", "deep")
# a ROC AUC within two chance standard deviations of 0.5 (~), more than two
# below it (!, the signal ranked as more normal than the background)
CHANCE_MARKERS = {"above": "", "chance": " ~", "inverted": " !"}
ENERGY_SAMPLERS = ("hmc", "rmsprop", "deep")
#: ``sampler@n`` methods: an energy sampler with ``n`` gradient steps per
#: training step instead of its default (the cost/quality trade-off)
STEP_PARAMETERS = {"hmc": "hmc_n_leapfrog_steps", "rmsprop": "rmsprop_n_steps"}
STEP_VARIANTS = {f"{sampler}@{n}": (sampler, {parameter: n})
                 for sampler, parameter in STEP_PARAMETERS.items() for n in (1, 2, 3)}
OCSVM_MAX_TRAIN = 5000
LABELS = {
    "uniform-auto": "brute-force OPE, epsilon='auto'",
    "classifier": "OnePlusEpsilonClassifier (gradient boosting, epsilon='auto')",
    "reference": "reference brute force (raw PyTorch loop)",
    "uniform": "brute-force OPE (uniform)", "hmc": "HMC EOPE",
    "rmsprop": "RMSProp EOPE", "deep": "Deep EOPE", "DeepSVDD": "Deep SVDD",
    "Autoencoder": "Autoencoder", "IsolationForest": "IsolationForest",
    "OneClassSVM": "OneClassSVM", "MLP": "cross-entropy MLP",
    "HistGradientBoosting": "HistGradientBoosting",
    **{name: f"{'HMC' if sampler == 'hmc' else 'RMSProp'} EOPE, {n} gradient "
             f"step{'s' if n > 1 else ''}"
       for name, (sampler, params) in STEP_VARIANTS.items()
       for n in params.values()},
}


def make_methods(epsilon, max_epochs, margin=0.0, tune_min_k=None, tune_epsilons=None):
    """Name -> (kind, fit) with ``fit(X, y_pm1, seed) -> score(X)``.

    ``kind`` is ``'ope'`` (every k), ``'one-class'`` (normals only, k-free)
    or ``'supervised'`` (k > 0 only). ``score`` is higher for more normal.
    """

    def ope(sampler, **params):
        def make(epsilon, n_epochs, seed, callbacks=None):
            return OnePlusEpsilonDetector(
                sampler=sampler, epsilon=epsilon, hidden_layer_sizes=(128, 128),
                margin=margin, max_epochs=n_epochs, random_state=seed,
                device="cpu", callbacks=callbacks, **params,
            )

        def fit(X, y, seed):
            chosen_epsilon, n_epochs = epsilon, max_epochs
            if tune_min_k is not None and np.sum(y == -1) >= tune_min_k:
                chosen_epsilon, n_epochs = select_settings(
                    make, X, y, seed, max_epochs, tune_epsilons or [epsilon])
            model = make(chosen_epsilon, n_epochs, seed)
            model.fit(X, None if (y == 1).all() else y)
            score = model.score_samples
            return lambda Z: score(Z), {"epochs": n_epochs, "epsilon": chosen_epsilon}
        return fit

    def one_class(make):
        def fit(X, y, seed):
            return make(seed).fit(X[y == 1]).score_samples
        return fit

    def ocsvm(X, y, seed):
        normals = X[y == 1]
        if len(normals) > OCSVM_MAX_TRAIN:
            rng = np.random.RandomState(seed)
            normals = normals[rng.choice(len(normals), OCSVM_MAX_TRAIN, replace=False)]
        return OneClassSVM(gamma="scale", nu=0.1).fit(normals).score_samples

    def mlp(X, y, seed):
        normal, anomaly = np.flatnonzero(y == 1), np.flatnonzero(y == -1)
        idx = np.concatenate([normal, np.resize(anomaly, len(normal))])  # balance
        model = MLPClassifier(
            hidden_layer_sizes=(128, 128), max_iter=max_epochs, batch_size=256,
            random_state=seed,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X[idx], y[idx])
        normal_col = list(model.classes_).index(1)
        return lambda Z: model.predict_proba(Z)[:, normal_col]

    def hgb(X, y, seed):
        model = HistGradientBoostingClassifier(
            random_state=seed, class_weight="balanced"
        ).fit(X, y)
        assert model.classes_[1] == 1  # decision_function is the log-odds of normal
        return model.decision_function

    def reference(X, y, seed):
        return reference_brute_force(X, y, seed, epsilon, max_epochs)

    def classifier(X, y, seed):
        model = OnePlusEpsilonClassifier(random_state=seed)
        model.fit(X, None if (y == 1).all() else y)
        return model.score_samples, {"epsilon": model.epsilon_}

    def ope_auto(X, y, seed):
        model = OnePlusEpsilonDetector(
            sampler="uniform", epsilon="auto", hidden_layer_sizes=(128, 128),
            margin=margin, max_epochs=max_epochs, random_state=seed, device="cpu",
        ).fit(X, None if (y == 1).all() else y)
        return model.score_samples, {"epochs": model.n_iter_, "epsilon": model.epsilon_}

    methods = {"classifier": ("ope", classifier), "reference": ("ope", reference)}
    methods.update({s: ("ope", ope(s)) for s in SAMPLERS})
    methods.update({name: ("ope", ope(sampler, **params))
                    for name, (sampler, params) in STEP_VARIANTS.items()})
    methods["uniform-auto"] = ("ope", ope_auto)
    methods["DeepSVDD"] = ("one-class", one_class(
        lambda seed: DeepSVDD(max_epochs=max_epochs, random_state=seed, device="cpu")))
    methods["Autoencoder"] = ("one-class", one_class(lambda seed: Autoencoder(
        latent_dim=8, hidden_layer_sizes=(64, 32), max_epochs=max_epochs,
        random_state=seed, device="cpu")))
    methods["IsolationForest"] = ("one-class", one_class(
        lambda seed: IsolationForest(random_state=seed)))
    methods["OneClassSVM"] = ("one-class", ocsvm)
    methods["MLP"] = ("supervised", mlp)
    methods["HistGradientBoosting"] = ("supervised", hgb)
    return methods


def reference_brute_force(X, y, seed, epsilon, n_epochs, batch_size=256):
    """Brute-force (1+eps) in a plain PyTorch loop, independent of the package.

    The issue's reference: an MLP 128-128 (ReLU), Adam (lr 1e-3), ``n_epochs``
    passes over the normals in batches of 256; each step adds 256 uniform
    points of the training data's bounding box and, when anomalies are known,
    256 of them drawn with replacement; loss
    ``L+ + (1 - eps) L0 + eps L-`` (``L+ + L0`` one-class). Returns ``g``,
    higher = more normal. A peer in accuracy (same splits) and in speed.
    """
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    normal = torch.as_tensor(X[y == 1])
    anomaly = torch.as_tensor(X[y == -1])
    low, high = torch.as_tensor(X.min(0)), torch.as_tensor(X.max(0))
    net = torch.nn.Sequential(
        torch.nn.Linear(X.shape[1], 128), torch.nn.ReLU(),
        torch.nn.Linear(128, 128), torch.nn.ReLU(), torch.nn.Linear(128, 1))
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    softplus = torch.nn.functional.softplus
    for _ in range(n_epochs):
        for batch in torch.randperm(len(normal), generator=generator).split(batch_size):
            uniform = low + (high - low) * torch.rand(batch_size, X.shape[1],
                                                      generator=generator)
            pseudo = softplus(net(uniform)).mean()
            loss = softplus(-net(normal[batch])).mean()
            if len(anomaly):
                drawn = torch.randint(len(anomaly), (batch_size,), generator=generator)
                loss = loss + epsilon * softplus(net(anomaly[drawn])).mean()
                loss = loss + (1 - epsilon) * pseudo
            else:
                loss = loss + pseudo
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    def score(Z):
        with torch.no_grad():
            return net(torch.as_tensor(Z, dtype=torch.float32)).reshape(-1).numpy()
    return score


class HeldOutAUC(Callback):
    """Records the ROC AUC of ``g`` on a held-out labelled fold after every epoch."""

    def __init__(self, X, y):
        self.X, self.y = X, y

    def on_epoch_end(self, net, **kwargs):
        module = net.module_
        module.eval()
        with torch.no_grad():
            x = torch.as_tensor(self.X, device=next(module.parameters()).device)
            score = module(x).reshape(-1).cpu().numpy()
        module.train()
        net.history.record("fold_auc", float(roc_auc_score(self.y == 1, score)))


def select_settings(make, X, y, seed, max_epochs, epsilons, n_folds=3):
    """``(epsilon, n_epochs)`` with the best inner-CV AUC on the training labels only.

    For each candidate epsilon, each of ``n_folds`` stratified folds trains
    ``max_epochs`` on the rest and records the fold's AUC after every epoch;
    the fold-averaged curve, smoothed over 3 epochs, is maximised over epsilon
    and the epoch count, for the refit on all training data.
    """
    folds = list(StratifiedKFold(n_folds, shuffle=True, random_state=seed + 1000)
                 .split(X, y))
    best = (-np.inf, None, None)
    for epsilon in epsilons:
        curves = []
        for train, valid in folds:
            model = make(epsilon, max_epochs, seed,
                         callbacks=[HeldOutAUC(X[valid], y[valid])])
            model.fit(X[train], y[train])
            curves.append(model.history_[:, "fold_auc"])
        mean_curve = np.pad(np.mean(curves, axis=0), 1, mode="edge")
        smoothed = np.convolve(mean_curve, np.ones(3) / 3, mode="valid")
        if smoothed.max() > best[0]:
            best = (smoothed.max(), epsilon, int(np.argmax(smoothed)) + 1)
    return best[1], best[2]


def split(X, y, seed, k, max_train_normals):
    """The paper's split from ``make_anomaly_split``, scaled on the training normals.

    Returns ``X_train, y_train`` (+1 normal, -1 known anomaly), the scaled test
    set and its signal mask. With one seed, every k sees the same test set
    and training normals, and the known anomalies are nested.
    """
    data = make_anomaly_split(X, y, n_known_anomalies=k, random_state=seed)
    X_train, y_train = data.X_train, data.y_train
    if max_train_normals is not None:
        normal = np.flatnonzero(y_train == 1)
        if len(normal) > max_train_normals:
            drop = np.random.RandomState(seed).choice(
                normal, len(normal) - max_train_normals, replace=False)
            keep = np.setdiff1d(np.arange(len(y_train)), drop)
            X_train, y_train = X_train[keep], y_train[keep]
    scaler = StandardScaler().fit(X_train[y_train == 1])
    return (scaler.transform(X_train).astype(np.float32), y_train,
            scaler.transform(data.X_test).astype(np.float32), data.y_test == -1)


def run_one(fit, X_train, y_train, seed, X_test, is_signal):
    start = time.perf_counter()
    score = fit(X_train, y_train, seed)
    fit_s = time.perf_counter() - start
    score, info = score if isinstance(score, tuple) else (score, {})
    normality = np.asarray(score(X_test), dtype=np.float64)
    y_true = np.where(is_signal, -1, 1)
    return {"roc_auc": float(roc_auc_score(is_signal, -normality)),
            "sig_eff": signal_efficiency(y_true, normality, background_efficiency=1e-2),
            "sig_eff_1e-3": signal_efficiency(y_true, normality, background_efficiency=1e-3),
            "sic": significance_improvement(y_true, normality),
            "chance_std": chance_roc_auc_std(y_true),
            "fit_s": fit_s, **info}


def run_dataset(name, args, methods):
    data = np.load(Path(args.data_dir) / DATASETS[name])
    X, y = data["X"].astype(np.float32), data["y"].astype(int)
    print(f"\n== {name}: {X.shape[0]} rows x {X.shape[1]} features, "
          f"{int(y.sum())} signal / {int((y == 0).sum())} background", flush=True)
    records = []
    for seed in args.seeds:
        for k in args.k:
            X_train, y_train, X_test, is_signal = split(
                X, y, seed, k, args.max_train_normals)
            n_normals = int(np.sum(y_train == 1))
            for method, (kind, fit) in methods.items():
                if (kind == "supervised" and k == 0) or (kind == "one-class" and k != 0):
                    continue
                rec = {"dataset": name, "seed": seed, "k": k, "method": method,
                       "n_train_normals": n_normals, "n_test": len(X_test)}
                try:
                    rec.update(run_one(fit, X_train, y_train, seed, X_test, is_signal))
                    msg = (f"AUC={rec['roc_auc']:.4f}"
                           f"{CHANCE_MARKERS[_versus_chance(rec['roc_auc'], rec['chance_std'])]}"
                           f" sig_eff={rec['sig_eff']:.4f} fit={rec['fit_s']:.1f}s")
                    if "epochs" in rec:
                        msg += f" epochs={rec['epochs']}"
                    if "epsilon" in rec:
                        msg += f" epsilon={rec['epsilon']}"
                except Exception as exc:  # noqa: BLE001  (record it, go on)
                    rec["error"] = f"{type(exc).__name__}: {exc}"
                    msg = f"FAILED {rec['error']}"
                print(f"[{name} seed={seed} k={k}] {method}: {msg}", flush=True)
                records.append(rec)
    return records


def summarize(records):
    """(dataset, method, k) -> {metric: [centre, std, n]} over seeds.

    The centre is the mean for the metrics and the median for ``fit_s``: one
    fit slowed down by another process on the machine should not move it.
    """
    groups = {}
    for r in records:
        if "error" not in r:
            groups.setdefault((r["dataset"], r["method"], r["k"]), []).append(r)
    centre = {"roc_auc": np.mean, "sig_eff": np.mean, "sig_eff_1e-3": np.mean,
              "sic": np.mean, "chance_std": np.mean, "fit_s": np.median}
    # (runs recorded before chance_std existed have none)
    return {key: {m: [float(centre[m]([r[m] for r in rs])), float(np.std([r[m] for r in rs])),
                      len(rs)] for m in centre if all(m in r for r in rs)}
            for key, rs in groups.items()}


def markdown_tables(dataset, summary, methods, ks):
    cols = sorted(set(ks) | ({0} if any(kind == "one-class" for kind, _ in
                                        methods.values()) else set()))
    head = "| method | " + " | ".join(
        "k=0 (one-class)" if k == 0 else f"k={k}" for k in cols) + " |"
    rule = "|---" * (len(cols) + 1) + "|"

    def table(title, cell):
        rows = [f"| {LABELS[m]} | " + " | ".join(
            cell(m, k, summary.get((dataset, m, k))) for k in cols) + " |" for m in methods]
        return "\n".join([f"**{dataset}: {title}**", "", head, rule, *rows, ""])

    def mean_std(metric):
        return lambda m, k, s: "–" if s is None else f"{s[metric][0]:.3f} ± {s[metric][1]:.3f}"

    def roc_auc(m, k, s):
        if s is None:
            return "–"
        marker = ("" if "chance_std" not in s else
                  CHANCE_MARKERS[_versus_chance(s["roc_auc"][0], s["chance_std"][0])])
        return mean_std("roc_auc")(m, k, s) + marker

    def seconds(m, k, s):
        if s is None:
            return "–"
        base = summary.get((dataset, "uniform", k))
        ratio = (f" (×{s['fit_s'][0] / base['fit_s'][0]:.1f})"
                 if (m.partition("@")[0] in ENERGY_SAMPLERS or m == "reference")
                 and base else "")
        return f"{s['fit_s'][0]:.1f}{ratio}"

    return "\n".join([
        table("ROC AUC (anomaly = signal positive), mean ± std over seeds; "
              "~ within two chance standard deviations of 0.5, ! more than two "
              "below it (inverted)", roc_auc),
        table("signal efficiency at background efficiency 1e-2, mean ± std",
              mean_std("sig_eff")),
        table("signal efficiency at background efficiency 1e-3, mean ± std",
              mean_std("sig_eff_1e-3")),
        table("maximum significance improvement eps_S / sqrt(eps_B) "
              "(eps_B >= 1e-3), mean ± std", mean_std("sic")),
        table("median fit time in seconds over seeds (energy samplers and the "
              "raw loop: ×fit time of uniform)",
              seconds),
    ])


def warn_inverted(summary):
    """Say on stderr which entries rank the signal as more normal than the
    background, beyond chance (the tables mark them with !)."""
    for (dataset, method, k), stats in sorted(summary.items()):
        if "chance_std" not in stats:
            continue
        auc, std = stats["roc_auc"][0], stats["chance_std"][0]
        if _versus_chance(auc, std) == "inverted":
            print(f"warning: {LABELS[method]} on {dataset} at k={k} is inverted: "
                  f"ROC AUC {auc:.3f}, more than 2 x {std:.3f} below the 0.5 of "
                  "chance", file=sys.stderr)


def print_tables(args):
    run = json.loads(Path(args.tables_from).read_text())
    config = run["config"]
    methods = {m: v for m, v in make_methods(0.5, 1).items() if m in config["methods"]}
    summary = summarize(run["records"])
    markdown = "\n".join(markdown_tables(name, summary, methods, config["k"])
                         for name in config["datasets"])
    print(markdown)
    warn_inverted(summary)
    if args.markdown:
        Path(args.markdown).write_text(markdown)


def warm_up(methods, epsilon):
    """Fit each method once, untimed, on small synthetic data (imports, torch init)."""
    rng = np.random.RandomState(0)
    X = np.concatenate([rng.normal(size=(400, 8)), rng.normal(2.0, size=(20, 8))])
    y = np.r_[np.ones(400, int), -np.ones(20, int)]
    for method, (kind, fit) in make_methods(epsilon, max_epochs=1).items():
        if method in methods:
            run_one(fit, X.astype(np.float32), y, 0, X.astype(np.float32), y == -1)


def environment():
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "platform": platform.platform(), "processor": platform.processor(),
        "python": sys.version.split()[0], "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "versions": {"numpy": np.__version__, "torch": torch.__version__,
                     "scikit-learn": sklearn.__version__, "skorch": skorch.__version__,
                     "sklearn_physgen": sklearn_physgen.__version__},
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=DATASETS)
    parser.add_argument("--k", nargs="+", type=int, default=[0, 10, 100, 1000])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--epsilon", type=float, default=0.5)
    parser.add_argument(
        "--margin", type=float, default=0.0,
        help="sampling-box margin of the (1+eps) detectors (0: the data range; "
             "the package default 0.1 gives 0.74 instead of 0.80 one-class on SUSY)")
    parser.add_argument("--max-epochs", type=int, default=40)
    parser.add_argument(
        "--tune-min-k", type=int, default=None, metavar="K",
        help="with at least K known anomalies, choose each (1+eps) detector's "
             "number of epochs (1..--max-epochs) by 3-fold stratified CV on the "
             "training labels, then refit (default: no tuning)")
    parser.add_argument(
        "--tune-epsilon", nargs="+", type=float, default=None, metavar="EPS",
        help="with --tune-min-k, also choose epsilon among these values by the "
             "same inner CV (the paper tunes epsilon; default: --epsilon only)")
    parser.add_argument("--methods", nargs="+", default=None, metavar="NAME",
                        help=f"subset of: {' '.join(LABELS)} (default: all)")
    parser.add_argument("--max-train-normals", type=int, default=None)
    parser.add_argument("--data-dir", default=str(DATA_DIR.resolve()))
    parser.add_argument("--json", default=None, metavar="PATH")
    parser.add_argument("--markdown", default=None, metavar="PATH")
    parser.add_argument(
        "--tables-from", default=None, metavar="JSON",
        help="print (and write to --markdown) the tables of a finished run's "
             "--json file, without running anything")
    args = parser.parse_args(argv)
    if args.tables_from:
        return print_tables(args)

    methods = make_methods(args.epsilon, args.max_epochs, args.margin, args.tune_min_k,
                           args.tune_epsilon)
    if args.methods is not None:
        unknown = set(args.methods) - set(methods)
        if unknown:
            parser.error(f"unknown methods {sorted(unknown)}; choose from {list(methods)}")
        methods = {m: v for m, v in methods.items() if m in args.methods}
    if any(kind == "one-class" for kind, _ in methods.values()) and 0 not in args.k:
        args.k = [0, *args.k]  # one-class baselines live in the k=0 column
    args.k = sorted(set(args.k))

    env = environment()
    print(f"# (1+eps) benchmark, {env['date']}")
    print(f"# {env['platform']}, python {env['python']}, {env['cpu_count']} CPUs, "
          f"torch threads {env['torch_threads']}")
    print("# " + ", ".join(f"{k} {v}" for k, v in env["versions"].items()))
    print(f"# datasets={args.datasets} k={args.k} seeds={args.seeds} "
          f"epsilon={args.epsilon} margin={args.margin} max_epochs={args.max_epochs} "
          f"max_train_normals={args.max_train_normals} tune_min_k={args.tune_min_k} "
          f"tune_epsilon={args.tune_epsilon}",
          flush=True)

    warm_up(methods, args.epsilon)
    records = []
    for name in args.datasets:
        records += run_dataset(name, args, methods)
    summary = summarize(records)
    markdown = "\n".join(markdown_tables(name, summary, methods, args.k)
                         for name in args.datasets)
    print("\n" + markdown, flush=True)
    warn_inverted(summary)

    if args.json:
        config = {k: v for k, v in vars(args).items() if k not in ("json", "markdown")}
        config["methods"] = list(methods)
        Path(args.json).write_text(json.dumps({
            "environment": env, "config": config, "records": records,
            "summary": [{"dataset": d, "method": m, "k": k, **stats}
                        for (d, m, k), stats in sorted(summary.items())],
        }, indent=1))
    if args.markdown:
        Path(args.markdown).write_text(markdown)


if __name__ == "__main__":
    main()
