"""Negative event weights made non-negative by cell resampling."""

import warnings
from numbers import Integral

import numpy as np
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import Interval, validate_params
from sklearn.utils.validation import _check_sample_weight, check_array


@validate_params(
    {
        "X": ["array-like"],
        "sample_weight": ["array-like"],
        "max_cell_size": [Interval(Integral, 2, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def cell_resample_weights(X, sample_weight, *, max_cell_size=100):
    """Make event weights non-negative while keeping their local sums.

    NLO Monte Carlo generators give some events negative weights; the
    weighted distribution is non-negative, but no network loss in this
    package is bounded below with negative weights (see the event-weights
    page of the docs). Cell resampling (Andersen and Maier, 2022) removes
    them without biasing the distribution at scales above a cell's size:
    each negative-weight event, most negative first, is the seed of a cell
    grown over its nearest neighbours until the cell's summed weight is
    non-negative; every weight in the cell is then replaced by
    ``|w_i| / sum_cell |w_j| * sum_cell w_j``. The cell's total weight, and
    so every weighted histogram whose bins are wider than the cells, is
    unchanged, and all its weights share one sign.

    Distances are Euclidean on standardised features: standardise, select or
    weight the features first to use a physics metric.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Events (the features the cells are built in).
    sample_weight : array-like of shape (n_samples,)
        Event weights, some negative. Their sum must be positive.
    max_cell_size : int, default=100
        Most events in one cell. A seed whose ``max_cell_size`` nearest
        events still sum to a negative weight lies in a region of negative
        cross section (statistics too low there); that cell's weights are
        set to zero, with a warning saying how much weight that removed.

    Returns
    -------
    weights : ndarray of shape (n_samples,)
        Non-negative weights with the same total over every cell (exactly
        the same total, unless a warning says otherwise).

    References
    ----------
    J. R. Andersen and A. Maier, "Unbiased elimination of negative weights in
    Monte Carlo samples", Eur. Phys. J. C 82 (2022) 433, arXiv:2109.07851.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_physgen import cell_resample_weights
    >>> X = np.array([[0.0], [0.1], [0.2], [5.0]])
    >>> w = np.array([1.0, -0.5, 1.0, 2.0])
    >>> new = cell_resample_weights(X, w)
    >>> bool((new >= 0).all()), float(new.sum())
    (True, 3.5)
    """
    X = check_array(X, dtype=np.float64)
    weights = _check_sample_weight(sample_weight, X, dtype=np.float64, copy=True)
    if not weights.sum() > 0:
        raise ValueError(
            f"sample_weight sums to {weights.sum():.6g}; cell resampling needs a "
            "positive total weight."
        )
    absolute = np.abs(weights).sum()
    seeds = np.flatnonzero(weights < 0)
    if len(seeds) == 0:
        return weights
    seeds = seeds[np.argsort(weights[seeds], kind="stable")]  # most negative first
    k = min(max_cell_size, X.shape[0])
    scaled = StandardScaler().fit_transform(X)
    neighbours = NearestNeighbors(n_neighbors=k).fit(scaled)
    cells = neighbours.kneighbors(scaled[seeds], return_distance=False)
    removed = 0.0
    for seed, cell in zip(seeds, cells):
        if weights[seed] >= 0:  # already resampled in an earlier cell
            continue
        # the seed is its own nearest neighbour unless duplicated: put it first
        cell = np.r_[seed, cell[cell != seed]][:k]
        running = np.cumsum(weights[cell])
        size = int(np.argmax(running >= 0)) + 1 if running[-1] >= 0 else k
        members = cell[:size]
        total = running[size - 1]
        if total < 0:
            removed += -total
            weights[members] = 0.0
            continue
        magnitude = np.abs(weights[members])
        weights[members] = magnitude / magnitude.sum() * total
    if removed > 0:
        warnings.warn(
            f"Cell resampling set to zero cells whose {max_cell_size} nearest events "
            f"sum to a negative weight: the total weight rose by {removed:.4g} "
            f"({removed / absolute:.2%} of the absolute weight). "
            "Raise max_cell_size or use more events.",
            UserWarning, stacklevel=2,
        )
    return weights
