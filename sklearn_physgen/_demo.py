"""Generated data for the autoencoder outlier examples and tests."""

import numpy as np
from sklearn.utils import check_random_state

from .datasets import make_curved_manifold


def make_demo_data(n_train=4000, n_test=2000, outlier_fraction=0.05, random_state=0):
    """Training inliers, and a test set with off-manifold outliers.

    Parameters
    ----------
    n_train : int, default=4000
        Number of training inliers, on the curved manifold of
        :func:`sklearn_physgen.datasets.make_curved_manifold`.
    n_test : int, default=2000
        Number of test samples, inliers and outliers together.
    outlier_fraction : float, default=0.05
        Fraction of the test samples that are outliers: Gaussian points with
        the scale of the training data, off the manifold.
    random_state : int, RandomState instance or None, default=0
        Seeds the draws.

    Returns
    -------
    X_train : ndarray of shape (n_train, 10)
        Training inliers.
    X_test : ndarray of shape (n_test, 10)
        Test inliers, then test outliers.
    y_test : ndarray of shape (n_test,)
        0 for inliers, 1 for outliers.
    """
    rng = check_random_state(random_state)
    X_train = make_curved_manifold(n_train, random_state=rng)
    n_outliers = round(outlier_fraction * n_test)
    inliers = make_curved_manifold(n_test - n_outliers, random_state=rng)
    # Outliers: points with the right marginal scale but off the surface.
    outliers = rng.normal(size=(n_outliers, X_train.shape[1])) * X_train.std(axis=0)
    X_test = np.vstack([inliers, outliers + X_train.mean(axis=0)])
    y_test = np.r_[np.zeros(len(inliers), int), np.ones(n_outliers, int)]
    return X_train, X_test, y_test
