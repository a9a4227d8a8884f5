"""Offline demo: outlier detection with an Autoencoder in a Pipeline.

Run with ``python -m sklearn_physgen`` (or the ``sklearn-physgen`` command).
"""

import argparse
import time

import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import OneClassSVM
from sklearn.utils import check_random_state

from ._autoencoders import Autoencoder, VariationalAutoencoder


def make_curved_manifold(n_samples, n_features=10, noise=0.05, random_state=None):
    """Normal data on a curved 2-D surface embedded in ``n_features`` dimensions."""
    rng = check_random_state(random_state)
    t = rng.uniform(-1.0, 1.0, size=(n_samples, 2))
    basis = np.column_stack(
        [t[:, 0], t[:, 1], t[:, 0] ** 2, t[:, 0] * t[:, 1], np.sin(3 * t[:, 1])]
    )
    mixing = np.random.RandomState(12345).normal(size=(basis.shape[1], n_features))
    return basis @ mixing + noise * rng.normal(size=(n_samples, n_features))


def make_demo_data(n_train=4000, n_test=2000, outlier_fraction=0.05, random_state=0):
    """Training inliers, and a test set with off-manifold outliers (label 1)."""
    rng = check_random_state(random_state)
    X_train = make_curved_manifold(n_train, random_state=rng)
    n_outliers = round(outlier_fraction * n_test)
    inliers = make_curved_manifold(n_test - n_outliers, random_state=rng)
    # Outliers: points with the right marginal scale but off the surface.
    outliers = rng.normal(size=(n_outliers, X_train.shape[1])) * X_train.std(axis=0)
    X_test = np.vstack([inliers, outliers + X_train.mean(axis=0)])
    y_test = np.r_[np.zeros(len(inliers), int), np.ones(n_outliers, int)]
    return X_train, X_test, y_test


def _models(max_epochs, seed):
    return {
        "Autoencoder": make_pipeline(
            StandardScaler(),
            Autoencoder(latent_dim=2, max_epochs=max_epochs, random_state=seed),
        ),
        "VariationalAutoencoder": make_pipeline(
            StandardScaler(),
            VariationalAutoencoder(
                latent_dim=2, max_epochs=max_epochs, random_state=seed
            ),
        ),
        "IsolationForest": IsolationForest(random_state=seed),
        "OneClassSVM": make_pipeline(StandardScaler(), OneClassSVM(gamma="scale", nu=0.05)),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="sklearn-physgen",
        description="Score planted outliers on a curved manifold with an "
        "Autoencoder in a scikit-learn Pipeline, beside scikit-learn's detectors.",
    )
    parser.add_argument("--max-epochs", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.max_epochs < 1:
        parser.error("--max-epochs must be at least 1")

    X_train, X_test, y_test = make_demo_data(random_state=args.seed)
    print(
        f"train: {X_train.shape[0]} inliers x {X_train.shape[1]} features; "
        f"test: {len(y_test)} samples, {y_test.sum()} planted outliers"
    )
    print(f"{'model':<24}{'ROC AUC':>9}{'recall':>8}{'false pos.':>11}{'fit s':>8}")
    for name, model in _models(args.max_epochs, args.seed).items():
        start = time.perf_counter()
        model.fit(X_train)
        seconds = time.perf_counter() - start
        auc = roc_auc_score(y_test, -model.score_samples(X_test))
        flagged = model.predict(X_test) == -1
        recall = flagged[y_test == 1].mean()
        false_positive_rate = flagged[y_test == 0].mean()
        print(
            f"{name:<24}{auc:>9.3f}{recall:>8.2f}{false_positive_rate:>11.3f}"
            f"{seconds:>8.1f}"
        )
    return 0
