"""Small synthetic anomaly-detection problems for examples and tests."""

import numbers

import numpy as np
from sklearn.datasets import make_moons
from sklearn.utils import check_random_state

# Centre of the gap between the two moons of ``make_moons``: the point of
# symmetry of the pair, about 0.44 from the nearest noiseless moon point.
_MOONS_GAP_CENTRE = np.array([0.5, 0.25])
_ANOMALY_CLUSTER_STD = 0.05


def make_anomaly_moons(
    n_samples=1000, *, n_anomalies=50, noise=0.05, random_state=None
):
    """Two moons of normal data and a compact cluster of anomalies between them.

    A synthetic example in the spirit of Fig. 1 of the (1+eps)-class paper
    (arXiv:1906.06096): the normal class is
    :func:`sklearn.datasets.make_moons`; the anomalies form a Gaussian blob
    (standard deviation 0.05) in the gap between the moons, at (0.5, 0.25).
    That gap is inside the region a one-class method tends to call normal,
    so a few known anomalies are needed to pull the boundary around it.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of normal points (both moons together).
    n_anomalies : int, default=50
        Number of anomalies.
    noise : float, default=0.05
        Standard deviation of the Gaussian noise added to the moons. Up to
        about 0.1 the moons stay clear of the anomaly cluster.
    random_state : int, RandomState instance or None, default=None
        Controls the moons, the anomalies and the final shuffle, all drawn in
        turn from one generator.

    Returns
    -------
    X : ndarray of shape (n_samples + n_anomalies, 2), float64
        The points, shuffled.
    y : ndarray of shape (n_samples + n_anomalies,), int
        0 for normal points, 1 for anomalies (like HIGGS and SUSY, where
        1 = signal), ready for :func:`make_anomaly_split`.

    See Also
    --------
    make_anomaly_split : The (1+eps)-class train/test split.

    Examples
    --------
    >>> from sklearn_physgen.datasets import make_anomaly_moons
    >>> X, y = make_anomaly_moons(200, n_anomalies=10, random_state=0)
    >>> X.shape, int(y.sum())
    ((210, 2), 10)
    """
    for name, value, minimum in (
        ("n_samples", n_samples, 2),
        ("n_anomalies", n_anomalies, 0),
    ):
        if (
            not isinstance(value, numbers.Integral)
            or isinstance(value, bool)
            or value < minimum
        ):
            raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    if not isinstance(noise, numbers.Real) or noise < 0:
        raise ValueError(f"noise must be a non-negative number, got {noise!r}.")
    rng = check_random_state(random_state)
    X_normal, _ = make_moons(n_samples, noise=noise, random_state=rng)
    X_anomalies = _MOONS_GAP_CENTRE + _ANOMALY_CLUSTER_STD * rng.normal(
        size=(n_anomalies, 2)
    )
    X = np.vstack([X_normal, X_anomalies])
    y = np.r_[np.zeros(n_samples, dtype=int), np.ones(n_anomalies, dtype=int)]
    order = rng.permutation(len(y))
    return X[order], y[order]


def make_curved_manifold(n_samples, n_features=10, noise=0.05, random_state=None):
    """Normal data on a curved 2-D surface embedded in ``n_features`` dimensions.

    Two latent coordinates ``t`` drawn uniformly in [-1, 1]^2 are mapped to
    the five functions ``t1, t2, t1**2, t1 * t2, sin(3 * t2)``, which a fixed
    random matrix (seed 12345, independent of ``random_state``) mixes into
    ``n_features`` coordinates; isotropic Gaussian noise is then added. Points
    off the surface are natural outliers for an autoencoder with a 2-D code.

    Parameters
    ----------
    n_samples : int
        Number of points.
    n_features : int, default=10
        Dimension of the embedding space.
    noise : float, default=0.05
        Standard deviation of the Gaussian noise added to every coordinate.
    random_state : int, RandomState instance or None, default=None
        Controls the latent coordinates and the noise.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), float64
        The points.

    Examples
    --------
    >>> from sklearn_physgen.datasets import make_curved_manifold
    >>> make_curved_manifold(100, n_features=6, random_state=0).shape
    (100, 6)
    """
    rng = check_random_state(random_state)
    t = rng.uniform(-1.0, 1.0, size=(n_samples, 2))
    basis = np.column_stack(
        [t[:, 0], t[:, 1], t[:, 0] ** 2, t[:, 0] * t[:, 1], np.sin(3 * t[:, 1])]
    )
    mixing = np.random.RandomState(12345).normal(size=(basis.shape[1], n_features))
    return basis @ mixing + noise * rng.normal(size=(n_samples, n_features))
