"""The ``sklearn-physgen`` command: (1+eps) detectors against one-class and supervised peers.

``python -m sklearn_physgen`` (or ``sklearn-physgen``) runs the comparison the
package exists for. For each seed and each number ``k`` of known anomalies it
splits the data with :func:`sklearn_physgen.datasets.make_anomaly_split`, fits
every chosen model in ``make_pipeline(StandardScaler(), model)``, scores the
test set with ``score_samples`` (higher = more normal), and reports the ROC
AUC, the signal efficiency at background efficiencies of 1e-2 and 1e-3, the
maximum significance improvement (SIC) and the fit time, as tables on stdout
and as JSON, CSV and a ROC-curve PNG.

The (1+eps) detectors are fit on the training normals plus the ``k`` known
anomalies (``y`` in {+1 normal, -1 anomaly}). The one-class baselines are fit
on the training normals only, so ``k`` does not change them: each is fit once
per seed and reported at ``k=0``. The supervised peer, scikit-learn's
``HistGradientBoostingClassifier`` with balanced class weights, is fit on the
same labels as the (1+eps) detectors, for every ``k > 0``: once labels exist,
it is the classifier to beat.
"""

import argparse
import contextlib
import csv
import importlib.util
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.ensemble import HistGradientBoostingClassifier, IsolationForest
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import OneClassSVM
from threadpoolctl import threadpool_limits

from ._autoencoders import Autoencoder
from ._base import check_fit_sample_weight
from ._deep_svdd import DeepSVDD
from ._one_plus_epsilon import OnePlusEpsilonDetector
from ._one_plus_epsilon_classifier import OnePlusEpsilonClassifier
from .datasets import (
    fetch_higgs,
    fetch_susy,
    load_higgs_sample,
    load_root,
    make_anomaly_moons,
    make_anomaly_split,
)
from .datasets._base import _read_numeric_csv
from .metrics import (
    _versus_chance,
    chance_roc_auc_std,
    signal_efficiency,
    significance_improvement,
)

BUILTIN_DATA = ("higgs-sample", "moons", "higgs", "susy")
DEFAULT_DATA = "higgs-sample"
FILE_SUFFIXES = (".npz", ".csv", ".csv.gz", ".root")
OPE_MODELS = ("ope-classifier", "ope-uniform", "ope-hmc", "ope-rmsprop", "ope-deep")
ONE_CLASS_MODELS = ("deep-svdd", "autoencoder", "isolation-forest", "one-class-svm")
SUPERVISED_MODELS = ("hist-gradient-boosting",)
MODEL_NAMES = OPE_MODELS + SUPERVISED_MODELS + ONE_CLASS_MODELS
MOONS_SAMPLES = 2000
MOONS_ANOMALY_FRACTION = 0.05
FETCHED_SAMPLES = 100_000
MOONS_KNOWN_ANOMALIES = (0, 10)
SAMPLE_KNOWN_ANOMALIES = (0, 10, 100)
MOONS_MAX_EPOCHS = 60
PAPER_KNOWN_ANOMALIES = (0, 10, 100, 1000)
PAPER_MAX_EPOCHS = 40
TEST_SIZE = 0.3
BACKGROUND_EFFICIENCIES = (1e-2, 1e-3)
ONE_CLASS_SVM_MAX_TRAIN = 5000
PLOT_STYLES = ("CMS", "ATLAS", "LHCb2", "ALICE", "ROOT")


# recorded per fit; the signal efficiencies are at BACKGROUND_EFFICIENCIES
METRICS = ("roc_auc", "signal_efficiency", "signal_efficiency_1e-3", "sic", "fit_seconds")
CHANCE_MARKERS = {"above": "  ", "chance": " ~", "inverted": " !"}
CHANCE_NOTE = (
    "~ : within 2 standard errors of 0.5, what a score unrelated to the labels "
    "gives on this test set (chance). ! : more than 2 below 0.5: the model ranks "
    "the anomalies as more normal than the normal events (inverted)."
)


class DataError(ValueError):
    """Data that cannot be read or used; its message is shown to the user."""


# -- arguments -----------------------------------------------------------------


def build_parser():
    """The command-line parser of ``sklearn-physgen``.

    Returns
    -------
    parser : argparse.ArgumentParser
        Parser whose defaults that depend on the data are ``None``.
    """
    parser = argparse.ArgumentParser(
        prog="sklearn-physgen",
        description=(
            "Compare (1+eps)-class detectors (OnePlusEpsilonClassifier around "
            "gradient boosting, OnePlusEpsilonDetector with each pseudo-anomaly "
            "sampler) that see k known anomalies with gradient boosting trained "
            "on the same labels and with one-class baselines (Deep SVDD, "
            "Autoencoder, IsolationForest, OneClassSVM) that see normal data "
            "only. Prints tables of ROC AUC, signal efficiency at background "
            "efficiency 1e-2 and 1e-3, maximum significance improvement and fit "
            "time; writes JSON, CSV and a ROC-curve PNG."
        ),
        epilog=(
            "Paper protocol on HIGGS: sklearn-physgen --data higgs "
            "--n-samples 100000 --known-anomalies 0 10 100 1000 --seeds 3"
        ),
    )
    parser.add_argument(
        "--data", default=DEFAULT_DATA, metavar="NAME_OR_PATH",
        help="'higgs-sample' (4,000 real HIGGS events shipped with the "
        "package, offline; the default), 'moons' (generated, offline), "
        "'higgs' or 'susy' "
        "(UCI data, downloaded once to --data-home), or a .npz file with "
        "arrays X and y, a .csv / .csv.gz file with the label in the first "
        "column (header optional), or a .root file (see --tree, --branches, "
        "--label; needs uproot). Label 1 marks anomalies (signal), the "
        "other value normal data (background).",
    )
    root = parser.add_argument_group(
        "ROOT files", "for --data FILE.root, read through uproot (pip install "
        "'sklearn_physgen[root]')")
    root.add_argument(
        "--tree", default=None, metavar="NAME",
        help="the TTree or RNTuple to read (default: the file's only tree)",
    )
    root.add_argument(
        "--branches", nargs="+", default=None, metavar="BRANCH",
        help="feature branches (default: every branch but --label)",
    )
    root.add_argument(
        "--label", default=None, metavar="BRANCH",
        help="branch of the labels, 1 for anomalies (signal); required for "
        ".root files",
    )
    root.add_argument(
        "--cut", default=None, metavar="EXPR",
        help="selection in uproot's syntax, e.g. 'lepton_pT > 0.5' (TTrees only)",
    )
    root.add_argument(
        "--weight", default=None, metavar="BRANCH",
        help="branch of the event weights (non-negative): every model is fitted "
        "with them and the test metrics are weighted",
    )
    parser.add_argument(
        "--known-anomalies", "-k", nargs="+", type=int, default=None,
        metavar="K",
        help="numbers of known anomalies given to the (1+eps) detectors "
        "(default: 0 10 100 on higgs-sample, 0 10 on moons, 0 10 100 1000 "
        "otherwise)",
    )
    parser.add_argument(
        "--models", nargs="+", default=list(MODEL_NAMES), metavar="MODEL",
        help="models to compare (default: all): " + ", ".join(MODEL_NAMES),
    )
    parser.add_argument(
        "--seeds", type=int, default=1, metavar="N",
        help="number of seeds (splits and initialisations: 0, 1, ...); "
        "3 for the paper protocol (default: 1)",
    )
    parser.add_argument(
        "--epsilon", type=float, default=0.5, metavar="EPS",
        help="weight of the known anomalies in the (1+eps) loss of "
        "OnePlusEpsilonDetector, in [0, 1] (default: 0.5); "
        "OnePlusEpsilonClassifier chooses its own (epsilon='auto')",
    )
    parser.add_argument(
        "--margin", type=float, default=0.1, metavar="M",
        help="widening of the (1+eps) pseudo-anomaly box, in units of the data "
        "range (default: 0.1)",
    )
    parser.add_argument(
        "--max-epochs", type=int, default=None, metavar="N",
        help=f"epochs of every neural model (default: {MOONS_MAX_EPOCHS} on "
        f"moons, {PAPER_MAX_EPOCHS} otherwise)",
    )
    parser.add_argument(
        "--n-samples", type=int, default=None, metavar="N",
        help=f"rows to use: normal points generated for moons (default "
        f"{MOONS_SAMPLES}, plus {MOONS_ANOMALY_FRACTION:.0%} as many anomalies), "
        "a seeded random subset of higgs-sample (default: all 4,000), "
        "the first rows of higgs / susy "
        f"(default {FETCHED_SAMPLES}), or a seeded random subset of a file's "
        "rows (default: all)",
    )
    parser.add_argument(
        "--data-home", default=None,
        metavar="DIR",
        help="where higgs / susy are downloaded and cached (default: "
        "$SKLEARN_PHYSGEN_DATA, else ~/scikit_learn_data/sklearn_physgen)",
    )
    parser.add_argument(
        "--output-dir", default="physgen_results", metavar="DIR",
        help="folder for the JSON, CSV and PNG results (default: %(default)s)",
    )
    parser.add_argument(
        "--threads", type=int, default=1, metavar="N",
        help="CPU threads of torch and of the native thread pools (OpenMP, "
        "BLAS) that gradient boosting and the other scikit-learn models use; "
        "the small models here train fastest on one (default: %(default)s)",
    )
    parser.add_argument(
        "--quiet", "-q", action="store_true",
        help="no progress lines on stderr",
    )
    parser.add_argument(
        "--plot-style", default=None, metavar="STYLE",
        choices=PLOT_STYLES,
        help="draw the ROC plot in a collaboration's style with mplhep "
        f"(pip install mplhep): {', '.join(PLOT_STYLES)} (default: matplotlib's)",
    )
    return parser


def check_arguments(parser, args):
    """Reject bad arguments with ``parser.error`` and fill data-dependent defaults.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The parser, for its ``error`` method (exit status 2).
    args : argparse.Namespace
        Parsed arguments; ``known_anomalies``, ``max_epochs`` and (for the
        built-in data) ``n_samples`` are set here when they were not given;
        ``known_anomalies`` is sorted and ``models`` deduplicated.
    """
    unknown = [name for name in args.models if name not in MODEL_NAMES]
    if unknown:
        parser.error(
            f"argument --models: unknown model {unknown[0]!r} "
            f"(choose from {', '.join(MODEL_NAMES)})"
        )
    args.models = list(dict.fromkeys(args.models))
    is_moons = args.data == "moons"
    if args.known_anomalies is None:
        args.known_anomalies = list(
            MOONS_KNOWN_ANOMALIES if is_moons
            else SAMPLE_KNOWN_ANOMALIES if args.data == "higgs-sample"
            else PAPER_KNOWN_ANOMALIES
        )
    if args.max_epochs is None:
        args.max_epochs = MOONS_MAX_EPOCHS if is_moons else PAPER_MAX_EPOCHS
    if args.n_samples is None and args.data in ("moons", "higgs", "susy"):
        args.n_samples = MOONS_SAMPLES if is_moons else FETCHED_SAMPLES
    negative = [k for k in args.known_anomalies if k < 0]
    if negative:
        parser.error(f"argument --known-anomalies: {negative[0]} is negative")
    args.known_anomalies = sorted(set(args.known_anomalies))
    at_least_one = {
        "--seeds": args.seeds,
        "--max-epochs": args.max_epochs,
        "--threads": args.threads,
        "--n-samples": 1 if args.n_samples is None else args.n_samples,
    }
    for option, value in at_least_one.items():
        if value < 1:
            parser.error(f"argument {option}: must be at least 1, got {value}")
    if not 0.0 <= args.epsilon <= 1.0:
        parser.error(f"argument --epsilon: must be in [0, 1], got {args.epsilon}")
    if args.margin < 0.0:
        parser.error(f"argument --margin: must be >= 0, got {args.margin}")
    is_root = args.data.endswith(".root")
    if is_root and args.label is None:
        parser.error(
            "argument --label: required with a .root file: the branch whose "
            "value 1 marks anomalies (signal)"
        )
    given = [option for option, value in (("--tree", args.tree), ("--branches", args.branches),
                                          ("--label", args.label), ("--cut", args.cut),
                                          ("--weight", args.weight))
             if value is not None]
    if given and not is_root:
        parser.error(f"argument {given[0]}: only for --data FILE.root")
    if args.plot_style is not None and importlib.util.find_spec("mplhep") is None:
        parser.error(f"argument --plot-style: {args.plot_style} needs mplhep "
                     "(pip install mplhep)")


# -- data ------------------------------------------------------------------------


def load_data(source, *, n_samples=None, data_home=None, root_options=None):
    """Features and anomaly mask of a built-in data set or a file.

    Parameters
    ----------
    source : str
        ``'moons'``, ``'higgs'``, ``'susy'`` or the path of a ``.npz``,
        ``.csv`` or ``.csv.gz`` file.
    n_samples : int, default=None
        Number of rows: normal points generated (moons), the first rows
        fetched (higgs, susy), or a seeded random subset of a file's rows.
        ``None``: all rows (required for moons).
    data_home : str, default=None
        Cache folder of the fetched data sets.
    root_options : dict, default=None
        For a ``.root`` file: ``tree``, ``branches``, ``label`` (the label
        branch), ``cut`` and ``weight`` (the event-weight branch), passed to
        :func:`~sklearn_physgen.datasets.load_root`.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        Features, float64 and finite.
    is_anomaly : ndarray of shape (n_samples,), dtype=bool
        True where the label is 1 (anomaly, signal).
    weights : ndarray of shape (n_samples,) or None
        Event weights (a ``.root`` file's ``weight`` branch), else None.

    Raises
    ------
    DataError
        When the data cannot be read, or holds a single class.
    """
    weights = None
    if source in BUILTIN_DATA:
        X, y = _load_builtin(source, n_samples, data_home)
    else:
        X, y, weights = _load_file(source, root_options or {})
        X, y, weights = _random_rows(X, y, n_samples, weights)
    X, is_anomaly = _check_data(X, y, source)
    return X, is_anomaly, _check_weights(weights, X, source)


def _load_builtin(name, n_samples, data_home):
    if name == "higgs-sample":
        return _random_rows(*load_higgs_sample(return_X_y=True), n_samples)[:2]
    if name == "moons":
        n_anomalies = max(2, round(MOONS_ANOMALY_FRACTION * n_samples))
        return make_anomaly_moons(
            n_samples=n_samples, n_anomalies=n_anomalies, random_state=0
        )
    fetch = fetch_higgs if name == "higgs" else fetch_susy
    try:
        return fetch(data_home=data_home, n_samples=n_samples, return_X_y=True)
    except (OSError, ValueError) as error:
        raise DataError(f"could not load {name}: {error}") from error


def _load_file(source, root_options):
    path = Path(source)
    suffix = next((s for s in FILE_SUFFIXES if path.name.endswith(s)), None)
    if suffix is None:
        raise DataError(
            f"--data {source!r} is neither one of {', '.join(BUILTIN_DATA)} nor a "
            f"{', '.join(FILE_SUFFIXES)} file"
        )
    if not path.is_file():
        raise DataError(f"--data {source!r}: no such file")
    if suffix == ".npz":
        return (*_load_npz(path), None)
    if suffix == ".root":
        return _load_root(path, **root_options)
    return (*_load_csv(path), None)


def _load_root(path, tree=None, branches=None, label=None, cut=None, weight=None):
    try:
        events = load_root(path, tree, branches, target=label, cut=cut, weight=weight,
                           dtype=np.float64)
    except (ImportError, OSError, ValueError, TypeError) as error:
        raise DataError(f"cannot read {path}: {error}") from error
    return events.data, events.target, events.sample_weight


def _load_npz(path):
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [key for key in ("X", "y") if key not in archive.files]
            if missing:
                raise DataError(
                    f"{path} has no array {missing[0]!r} (it holds: "
                    f"{', '.join(archive.files) or 'nothing'}); save the features "
                    "as X and the labels as y"
                )
            return archive["X"], archive["y"]
    except DataError:
        raise
    except Exception as error:  # zipfile, pickle and format errors alike
        raise DataError(f"cannot read {path} as .npz: {error}") from error


def _load_csv(path):
    try:
        table = _read_numeric_csv(path, header="infer", dtype=np.float64)
    except ImportError as error:
        raise DataError(f"cannot read {path}: {error}") from error
    except (OSError, ValueError) as error:  # the message names file and line
        raise DataError(f"cannot read numeric CSV: {error}") from error
    if table.shape[0] == 0 or table.shape[1] < 2:
        raise DataError(
            f"{path}: needs at least one row with a label and one feature column"
        )
    return table[:, 1:], table[:, 0]


def _random_rows(X, y, n_samples, weights=None):
    if n_samples is None or n_samples >= len(X):
        return X, y, weights
    rows = np.sort(np.random.RandomState(0).choice(len(X), n_samples, replace=False))
    return X[rows], y[rows], None if weights is None else weights[rows]


def _check_weights(weights, X, source):
    """The package's own check of event weights, as a DataError (exit 2)."""
    if weights is None:
        return None
    try:
        return check_fit_sample_weight(weights, X)
    except ValueError as error:
        raise DataError(f"{source}: event weights: {error}") from error


def _check_data(X, y, source):
    try:
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise DataError(f"{source}: X and y must be numeric ({error})") from error
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    if X.ndim != 2 or y.ndim != 1 or len(X) != len(y):
        raise DataError(
            f"{source}: X must be 2-D and y 1-D of the same length, got X "
            f"{X.shape} and y {y.shape}"
        )
    if not (np.isfinite(X).all() and np.isfinite(y).all()):
        raise DataError(f"{source}: the data hold NaN or infinite values")
    labels = np.unique(y)
    if len(labels) != 2 or 1 not in labels:
        raise DataError(
            f"{source}: labels must take two values, 1 marking anomalies (signal); "
            f"found {_describe_labels(labels)}"
        )
    return X, y == 1


def _describe_labels(labels):
    shown = ", ".join(f"{label:g}" for label in labels[:5])
    more = f", ... ({len(labels)} values)" if len(labels) > 5 else ""
    if len(labels) == 1:
        return f"only one class ({shown})"
    return shown + more


def make_splits(X, is_anomaly, known_anomalies, n_seeds, weights=None):
    """Train / test splits for every seed and every number of known anomalies.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Features.
    is_anomaly : ndarray of shape (n_samples,), dtype=bool
        Anomaly mask.
    known_anomalies : list of int
        Numbers ``k`` of known anomalies in training.
    n_seeds : int
        Seeds ``0, ..., n_seeds - 1``, each a different split.
    weights : ndarray of shape (n_samples,), default=None
        Event weights, split with the rows.

    Returns
    -------
    splits : dict
        ``(seed, k) -> Bunch(X_train, y_train, X_test, y_test, w_train,
        w_test)``, with ``y`` in {+1 normal, -1 anomaly} and the weights
        None without ``weights``; ``k=0`` is always present (the one-class
        models train on its normals).

    Raises
    ------
    DataError
        When a ``k`` exceeds the anomalies available for training, or a test
        set lacks one of the classes.
    """
    splits = {}
    for seed in range(n_seeds):
        for k in sorted({0, *known_anomalies}):
            try:
                split = make_anomaly_split(
                    X, is_anomaly.astype(int), n_known_anomalies=k,
                    anomaly_label=1, test_size=TEST_SIZE, random_state=seed,
                )
            except ValueError as error:
                raise DataError(_split_problem(k, is_anomaly, splits, error)) from error
            if len(np.unique(split.y_test)) < 2:
                raise DataError(
                    "the test set holds a single class; use more rows or anomalies"
                )
            split.w_train = None if weights is None else weights[split.train_indices]
            split.w_test = None if weights is None else weights[split.test_indices]
            splits[seed, k] = split
    return splits


def _split_problem(k, is_anomaly, splits, error):
    """The message for a failed split: too many known anomalies, or another cause."""
    one_class_split = splits.get((0, 0))
    if one_class_split is None:
        return f"cannot split the data: {error}"
    n_available = int(is_anomaly.sum()) - int(np.sum(one_class_split.y_test == -1))
    if k <= n_available:
        return f"cannot split the data with {k} known anomalies: {error}"
    return (
        f"argument --known-anomalies: {k} is more than the {n_available} anomalies "
        f"of the training part ({int(is_anomaly.sum())} in all, "
        f"{TEST_SIZE:.0%} held out for testing)"
    )


# -- models ----------------------------------------------------------------------


def make_model(name, *, seed, epsilon, margin, max_epochs, n_features):
    """A fresh ``make_pipeline(StandardScaler(), model)`` for a model name.

    Parameters
    ----------
    name : str
        One of :data:`MODEL_NAMES`.
    seed : int
        ``random_state`` of the model.
    epsilon, margin : float
        Parameters of :class:`~sklearn_physgen.OnePlusEpsilonDetector`.
    max_epochs : int
        Epochs of the neural models.
    n_features : int
        Number of features (sets the autoencoder's bottleneck).

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        The scaler and the unfitted model.
    """
    if name == "ope-classifier":
        model = OnePlusEpsilonClassifier(margin=margin, random_state=seed)
    elif name == "hist-gradient-boosting":
        model = HistGradientBoostingClassifier(class_weight="balanced", random_state=seed)
    elif name in OPE_MODELS:
        model = OnePlusEpsilonDetector(
            sampler=name.removeprefix("ope-"), epsilon=epsilon, margin=margin,
            max_epochs=max_epochs, random_state=seed,
        )
    elif name == "deep-svdd":
        model = DeepSVDD(max_epochs=max_epochs, random_state=seed)
    elif name == "autoencoder":
        model = Autoencoder(
            latent_dim=max(1, min(8, n_features // 2)), max_epochs=max_epochs,
            random_state=seed,
        )
    elif name == "isolation-forest":
        model = IsolationForest(random_state=seed)
    else:
        model = OneClassSVM(gamma="scale", nu=0.1)
    return make_pipeline(StandardScaler(), model)


def _training_rows(name, split, seed):
    """What a model is fit on: ``(X, y, weights)``; ``y`` for (1+eps) and
    supervised models, normal rows only (``y`` None) otherwise."""
    weights = getattr(split, "w_train", None)
    if name in OPE_MODELS or name in SUPERVISED_MODELS:
        return split.X_train, split.y_train, weights
    rows = np.flatnonzero(split.y_train == 1)
    if name == "one-class-svm" and len(rows) > ONE_CLASS_SVM_MAX_TRAIN:
        rows = rows[np.random.RandomState(seed).choice(
            len(rows), ONE_CLASS_SVM_MAX_TRAIN, replace=False
        )]
    return split.X_train[rows], None, None if weights is None else weights[rows]


def evaluate(name, split, *, seed, k, settings):
    """Fit one model on one split and score its test set.

    Parameters
    ----------
    name : str
        Model name.
    split : Bunch
        ``X_train, y_train, X_test, y_test`` (``y`` in {+1, -1}).
    seed, k : int
        Seed and number of known anomalies (recorded).
    settings : dict
        ``epsilon``, ``margin`` and ``max_epochs``.

    Returns
    -------
    record : dict
        ``model, kind, k, seed, roc_auc``, ``signal_efficiency`` (at
        background efficiency 1e-2), ``signal_efficiency_1e-3``, ``sic``,
        ``fit_seconds``, ``n_train``, ``roc_auc_chance_se`` (see
        :func:`~sklearn_physgen.metrics.chance_roc_auc_std`) and ``error``
        (None, or the message of a failed fit).
    curve : tuple of ndarray or None
        ``(false_positive_rate, true_positive_rate)`` with anomalies positive.
    """
    kind = ("(1+eps)" if name in OPE_MODELS
            else "supervised" if name in SUPERVISED_MODELS else "one-class")
    record = {
        "model": name, "kind": kind, "k": k, "seed": seed, "roc_auc": None,
        **dict.fromkeys(METRICS[1:-1]), "fit_seconds": None, "n_train": None,
        "roc_auc_chance_se": None, "error": None,
    }
    X_fit, y_fit, w_fit = _training_rows(name, split, seed)
    record["n_train"] = len(X_fit)
    model = make_model(name, seed=seed, n_features=X_fit.shape[1], **settings)
    # every model of the command takes event weights, and so does its scaler
    fit_weights = {} if w_fit is None else {
        f"{step}__sample_weight": w_fit for step, _ in model.steps}
    start = time.perf_counter()
    try:
        model.fit(X_fit, y_fit, **fit_weights)
        record["fit_seconds"] = time.perf_counter() - start
        normality = _normality(model, split.X_test)
    except Exception as error:  # noqa: BLE001  (a failed fit is reported, not fatal)
        record["error"] = f"{type(error).__name__}: {error}"
        return record, None
    is_anomaly = split.y_test == -1
    w_test = getattr(split, "w_test", None)
    record["roc_auc"] = float(roc_auc_score(~is_anomaly, normality, sample_weight=w_test))
    record["roc_auc_chance_se"] = chance_roc_auc_std(
        is_anomaly, anomaly_label=True, sample_weight=w_test)
    for metric, background_efficiency in zip(METRICS[1:3], BACKGROUND_EFFICIENCIES):
        record[metric] = signal_efficiency(
            split.y_test, normality, background_efficiency=background_efficiency,
            sample_weight=w_test,
        )
    record["sic"] = significance_improvement(split.y_test, normality, sample_weight=w_test)
    false_positive_rate, true_positive_rate, _ = roc_curve(
        is_anomaly, -normality, sample_weight=w_test)
    return record, (false_positive_rate, true_positive_rate)


def _normality(model, X):
    """Normality score: ``score_samples``, or a classifier's log-odds of normal."""
    if hasattr(model, "score_samples"):
        return np.asarray(model.score_samples(X), dtype=np.float64)
    # a supervised classifier fit on y in {-1, 1}: classes_[1] is 1 (normal)
    return np.asarray(model.decision_function(X), dtype=np.float64)


# -- the run -----------------------------------------------------------------------


def run_comparison(splits, models, known_anomalies, settings, *, quiet=False):
    """Fit and score every model on every split, with one progress line each.

    Parameters
    ----------
    splits : dict
        From :func:`make_splits`.
    models : list of str
        Model names.
    known_anomalies : list of int
        Numbers of known anomalies for the (1+eps) detectors.
    settings : dict
        ``epsilon``, ``margin`` and ``max_epochs``.
    quiet : bool, default=False
        No progress lines.

    Returns
    -------
    records : list of dict
        One per fit, from :func:`evaluate`.
    curves : dict
        ``model -> (k, roc_auc, fpr, tpr)`` for the first seed, at the largest
        ``k`` for the (1+eps) detectors.
    """
    jobs = _jobs(splits, models, known_anomalies)
    records, curves = [], {}
    for index, (seed, k, name) in enumerate(jobs, start=1):
        record, curve = evaluate(name, splits[seed, k], seed=seed, k=k,
                                 settings=settings)
        records.append(record)
        if curve is not None and seed == 0:
            curves[name] = (k, record["roc_auc"], *curve)
        if not quiet:
            print(_progress_line(index, len(jobs), record), file=sys.stderr,
                  flush=True)
    return records, curves


def _jobs(splits, models, known_anomalies):
    seeds = sorted({seed for seed, _ in splits})
    jobs = []
    for seed in seeds:
        jobs += [(seed, 0, name) for name in models if name in ONE_CLASS_MODELS]
        for k in known_anomalies:
            jobs += [(seed, k, name) for name in models
                     if name in OPE_MODELS or (name in SUPERVISED_MODELS and k > 0)]
    return jobs


def _progress_line(index, total, record):
    head = (f"[{index:>{len(str(total))}}/{total}] seed {record['seed']}, "
            f"k={record['k']}: {record['model']}")
    if record["error"] is not None:
        return f"{head}: FAILED ({record['error']})"
    return (f"{head}: ROC AUC {record['roc_auc']:.3f}, "
            f"fit {record['fit_seconds']:.1f} s")


def _warm_up():
    """One tiny torch fit, so that the first timed fit is not charged torch's start-up."""
    X = np.random.RandomState(0).normal(size=(64, 2))
    OnePlusEpsilonDetector(max_epochs=1, batch_size=32, random_state=0).fit(X)


def summarize(records):
    """Mean and standard deviation over seeds, per model and ``k``.

    Parameters
    ----------
    records : list of dict
        From :func:`run_comparison`.

    Returns
    -------
    summary : list of dict
        ``model, kind, k, n_seeds``, and ``<metric>_mean`` / ``<metric>_std``
        (``ddof=0``) for every metric of :data:`METRICS`; failed fits are
        left out (``n_failed``). ``roc_auc_vs_chance`` is ``"inverted"``
        when the mean ROC AUC is more than two chance standard errors below
        0.5, ``"chance"`` within two of 0.5, else ``"above"``.
    """
    groups = {}
    for record in records:
        groups.setdefault((record["model"], record["k"]), []).append(record)
    summary = []
    for (name, k), group in groups.items():
        done = [record for record in group if record["error"] is None]
        row = {"model": name, "kind": group[0]["kind"], "k": k,
               "n_seeds": len(done), "n_failed": len(group) - len(done)}
        for metric in METRICS:
            values = [record[metric] for record in done]
            row[f"{metric}_mean"] = float(np.mean(values)) if values else None
            row[f"{metric}_std"] = float(np.std(values)) if values else None
        # the splits share their events, so the seeds' mean is no surer than one
        row["roc_auc_chance_se"] = (
            float(np.mean([record["roc_auc_chance_se"] for record in done]))
            if done else None)
        row["roc_auc_vs_chance"] = None if row["roc_auc_mean"] is None else _versus_chance(
            row["roc_auc_mean"], row["roc_auc_chance_se"])
        summary.append(row)
    return summary


# -- output ------------------------------------------------------------------------


def format_tables(summary, models, known_anomalies, n_seeds):
    """The result tables (ROC AUC, signal efficiencies, SIC, fit time) as text.

    Parameters
    ----------
    summary : list of dict
        From :func:`summarize`.
    models : list of str
        Rows, in this order.
    known_anomalies : list of int
        Columns ``k``; ``k=0`` is added when a one-class model is shown.
    n_seeds : int
        Number of seeds (named in the headings).

    Returns
    -------
    text : str
        The tables, separated by blank lines.
    """
    columns = list(known_anomalies)
    if any(name in ONE_CLASS_MODELS for name in models) and 0 not in columns:
        columns = [0, *columns]
    cells = {(row["model"], row["k"]): row for row in summary}
    over = f"mean ± std over {n_seeds} seeds" if n_seeds > 1 else "1 seed"
    titles = {
        "roc_auc": f"ROC AUC of score_samples, anomalies as positives ({over})",
        **{
            metric: (f"signal (anomaly) efficiency at background efficiency "
                     f"{background_efficiency:g} ({over})")
            for metric, background_efficiency in zip(METRICS[1:3], BACKGROUND_EFFICIENCIES)
        },
        "sic": ("maximum significance improvement eps_S / sqrt(eps_B) over cuts "
                f"with eps_B >= max(1e-3, 10 / n_background) ({over})"),
        "fit_seconds": f"fit time in seconds ({over})",
    }
    note = (
        "k = known anomalies in training. One-class models (*) are fit on the "
        "normal training rows only, so k does not change them: shown once, at k=0. "
        "hist-gradient-boosting is fit on the same labels as the (1+eps) "
        "detectors (k > 0 only)."
    )
    tables = [
        _format_table(title, metric, models, columns, cells, n_seeds)
        for metric, title in titles.items()
    ]
    if any(row["roc_auc_vs_chance"] in ("chance", "inverted") for row in summary):
        tables[0] += "\n" + CHANCE_NOTE
    return "\n\n".join([note, *tables])


def _format_table(title, metric, models, columns, cells, n_seeds):
    decimals = 1 if metric in ("fit_seconds", "sic") else 3
    header = ["model"] + [f"k={k}" for k in columns]
    rows = [header]
    for name in models:
        label = f"{name} *" if name in ONE_CLASS_MODELS else name
        rows.append([label] + [
            _format_cell(cells.get((name, k)), metric, decimals, n_seeds)
            for k in columns
        ])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [title, "-" * len(title)]
    for row in rows:
        lines.append("  ".join(
            [row[0].ljust(widths[0])]
            + [cell.rjust(width) for cell, width in zip(row[1:], widths[1:])]
        ).rstrip())
    return "\n".join(lines)


def _format_cell(row, metric, decimals, n_seeds):
    pad = CHANCE_MARKERS["above"] if metric == "roc_auc" else ""  # keeps columns aligned
    if row is None:
        return "–" + pad
    mean, std = row[f"{metric}_mean"], row[f"{metric}_std"]
    if mean is None:
        return "failed" + pad
    text = f"{mean:.{decimals}f}"
    if n_seeds > 1:
        text += f" ± {std:.{decimals}f}"
    if metric == "roc_auc":
        text += CHANCE_MARKERS[row["roc_auc_vs_chance"]]
    return text + (" (failed)" if row["n_failed"] else "")


def write_results(output_dir, tag, payload):
    """Write ``results_<tag>.json``, ``results_<tag>.csv`` and ``summary_<tag>.csv``.

    Parameters
    ----------
    output_dir : pathlib.Path
        Existing output folder.
    tag : str
        Name of the data, in the file names.
    payload : dict
        ``config``, ``data``, ``records`` and ``summary``.

    Returns
    -------
    paths : list of pathlib.Path
        The files written.
    """
    json_path = output_dir / f"results_{tag}.json"
    json_path.write_text(json.dumps(payload, indent=1) + "\n")
    paths = [json_path]
    for name, rows in (("results", payload["records"]),
                       ("summary", payload["summary"])):
        path = output_dir / f"{name}_{tag}.csv"
        with open(path, "w", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        paths.append(path)
    return paths


def plot_roc_curves(curves, path, title, style=None):
    """One ROC curve per model (first seed, largest ``k``), saved as a PNG.

    Parameters
    ----------
    curves : dict
        ``model -> (k, roc_auc, false_positive_rate, true_positive_rate)``.
    path : pathlib.Path
        Where to save the figure.
    title : str
        Figure title.
    style : str, default=None
        An mplhep style (``'CMS'``, ``'ATLAS'``, ``'LHCb2'``, ``'ROOT'``...);
        None keeps matplotlib's.

    Returns
    -------
    path : pathlib.Path or None
        ``path``, or None when matplotlib is not installed or no fit succeeded.
    """
    try:
        import matplotlib
    except ImportError:
        return None
    if not curves:
        return None
    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    context = plt.style.context(_hep_style(style)) if style else contextlib.nullcontext()
    with context:
        figure = _draw_roc_curves(plt, curves, title)
        figure.savefig(path, dpi=120)
    plt.close(figure)
    return path


def _hep_style(name):
    import mplhep  # checked by check_arguments

    return getattr(mplhep.style, name)


def _draw_roc_curves(plt, curves, title):
    figure, axes = plt.subplots(figsize=(6, 5))
    for name, (k, auc, false_positive_rate, true_positive_rate) in curves.items():
        style = "--" if name in ONE_CLASS_MODELS else "-"
        axes.plot(false_positive_rate, true_positive_rate, style,
                  label=f"{name}, k={k}: AUC {auc:.3f}")
    axes.plot([0, 1], [0, 1], ":", color="grey", label="random")
    axes.set_xlabel("background efficiency (normal data flagged)")
    axes.set_ylabel("signal efficiency (anomalies flagged)")
    axes.set_title(title)
    axes.legend(loc="best", fontsize=8)
    figure.tight_layout()
    return figure


def _data_tag(source):
    if source in BUILTIN_DATA:
        return source
    name = Path(source).name
    for suffix in FILE_SUFFIXES:
        name = name.removesuffix(suffix)
    return "".join(char if char.isalnum() or char in "-_" else "_" for char in name)


def _describe_data(source, X, is_anomaly, splits):
    split = splits[0, 0]
    return {
        "source": source, "n_rows": int(X.shape[0]), "n_features": int(X.shape[1]),
        "n_anomalies": int(is_anomaly.sum()),
        "n_train_normals": int(np.sum(split.y_train == 1)),
        "n_train_anomalies_available": int(is_anomaly.sum())
        - int(np.sum(split.y_test == -1)),
        "n_test": len(split.y_test),
        "n_test_anomalies": int(np.sum(split.y_test == -1)),
    }


def _environment():
    import sklearn

    from . import __version__

    return {
        "python": platform.python_version(), "platform": platform.platform(),
        "sklearn_physgen": __version__, "scikit-learn": sklearn.__version__,
        "torch": torch.__version__, "numpy": np.__version__,
    }


def _run_with_threads(args, splits, settings):
    """:func:`run_comparison` with ``args.threads`` torch and native (OpenMP,
    BLAS) threads, restored after.

    Gradient boosting on a few thousand events is slower on two OpenMP
    threads than on one (``benchmarks/bench_threads.py``; the docs'
    benchmarks page): the threads' start-up per tree outweighs the work. So
    the native pools are held to ``--threads`` as torch is.
    """
    threads_before = torch.get_num_threads()
    torch.set_num_threads(args.threads)
    try:
        with threadpool_limits(limits=args.threads):
            _warm_up()
            return run_comparison(
                splits, args.models, args.known_anomalies, settings, quiet=args.quiet
            )
    finally:
        torch.set_num_threads(threads_before)


# -- entry point -------------------------------------------------------------------


def main(argv=None):
    """Run the comparison from the command line.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments without the program name; ``None`` reads ``sys.argv``.

    Returns
    -------
    status : int
        0 on success, 1 when some fit failed. Bad arguments and unreadable
        data exit with status 2 through ``parser.error``.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    check_arguments(parser, args)
    try:
        X, is_anomaly, weights = load_data(
            args.data, n_samples=args.n_samples, data_home=args.data_home,
            root_options={"tree": args.tree, "branches": args.branches,
                          "label": args.label, "cut": args.cut, "weight": args.weight},
        )
        splits = make_splits(X, is_anomaly, args.known_anomalies, args.seeds, weights)
    except DataError as error:
        parser.error(str(error))
    output_dir = Path(args.output_dir)
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        parser.error(f"argument --output-dir: cannot create {output_dir}: {error}")
    data = _describe_data(args.data, X, is_anomaly, splits)
    print(
        f"{args.data}: {data['n_rows']} rows x {data['n_features']} features, "
        f"{data['n_anomalies']} anomalies; per seed {data['n_train_normals']} "
        f"training normals, {data['n_test']} test rows "
        f"({data['n_test_anomalies']} anomalies)",
        flush=True,
    )
    settings = {"epsilon": args.epsilon, "margin": args.margin,
                "max_epochs": args.max_epochs}
    start = time.perf_counter()
    records, curves = _run_with_threads(args, splits, settings)
    payload = {
        "config": {**vars(args), "test_size": TEST_SIZE,
                   "background_efficiencies": list(BACKGROUND_EFFICIENCIES)},
        "data": data, "environment": _environment(),
        "total_seconds": time.perf_counter() - start,
        "records": records, "summary": summarize(records),
    }
    return _report(args, payload, curves, output_dir)


def _report(args, payload, curves, output_dir):
    """Print the tables, write the files; the exit status (1 if a fit failed)."""
    print()
    print(format_tables(
        payload["summary"], args.models, args.known_anomalies, args.seeds
    ))
    tag = _data_tag(args.data)
    paths = write_results(output_dir, tag, payload)
    roc_path = plot_roc_curves(
        curves, output_dir / f"roc_{tag}.png",
        f"{tag}: ROC curves (seed 0, largest k)", style=args.plot_style,
    )
    paths += [roc_path] if roc_path is not None else []
    print(f"\nwrote {', '.join(str(path) for path in paths)} "
          f"in {payload['total_seconds']:.0f} s")
    for row in payload["summary"]:
        if row["roc_auc_vs_chance"] == "inverted":
            print(f"warning: {row['model']} at k={row['k']} ranks the test anomalies "
                  f"as more normal than the normal events (ROC AUC "
                  f"{row['roc_auc_mean']:.3f}, more than 2 x "
                  f"{row['roc_auc_chance_se']:.3f} below the 0.5 of chance)",
                  file=sys.stderr)
    n_failed = sum(record["error"] is not None for record in payload["records"])
    if n_failed:
        print(f"{n_failed} fit(s) failed; see the 'error' field in {paths[0]}",
              file=sys.stderr)
        return 1
    return 0
