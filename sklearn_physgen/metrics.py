"""Metrics that judge generated samples against real ones, and anomaly detectors.

Every function takes two samples of the same features, ``X_real`` and
``X_generated``, each of shape ``(n_samples, n_features)``; the two may have
different numbers of rows.  They return a number (or a
:class:`~sklearn.utils.Bunch` of numbers) that is zero, or 0.5 for the
classifier test, when the generated sample is drawn from the same distribution
as the real one.

- :func:`classifier_two_sample_test`: cross-validated ROC AUC of a classifier
  trained to tell the two samples apart (sensitive to any difference, including
  in the joint distribution);
- :func:`wasserstein_distances` and :func:`mean_wasserstein_distance`: 1-D
  Wasserstein-1 distances of the marginals;
- :func:`frechet_distance`: Fréchet distance between Gaussians fitted to the
  two samples (the Fréchet physics distance, FPD);
- :func:`kernel_distance`: unbiased squared maximum mean discrepancy with a
  polynomial kernel (the kernel physics distance, KPD);
- :func:`correlation_difference`: difference of the Pearson correlation
  matrices.

Two more judge an anomaly detector's normality scores the way a physicist
reads a trigger or a selection (anomalies are the signal, normal data the
background):

- :func:`signal_efficiency`: fraction of anomalies flagged at a fixed
  background efficiency (e.g. 1e-2, 1e-3);
- :func:`significance_improvement`: the maximum significance improvement
  characteristic, ``max eps_S / sqrt(eps_B)``.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from scipy import linalg, stats
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, check_cv, cross_val_predict
from sklearn.utils import Bunch, check_array, check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, validate_params
from sklearn.utils.validation import _check_sample_weight

from ._base import weighted_percentile

__all__ = [
    "chance_roc_auc_std",
    "classifier_two_sample_test",
    "correlation_difference",
    "frechet_distance",
    "kernel_distance",
    "mean_wasserstein_distance",
    "signal_efficiency",
    "significance_improvement",
    "wasserstein_distances",
]

# Diagonal offset added to both covariance matrices when the matrix square root
# of their product is not finite (singular covariances).
_SQRTM_OFFSET = 1e-6

# Relative accuracy expected of the matrix square root: a larger residual
# triggers the diagonal offset; a larger imaginary part (relative to the largest
# real entry), or a residual still too large, a warning.
_SQRTM_TOL = 1e-3


# ----------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------


def _check_samples(X_real, X_generated, *, min_samples, caller):
    """Validate both samples: 2-D, finite, numeric, same number of features."""
    X_real = check_array(
        X_real,
        dtype=np.float64,
        ensure_min_samples=min_samples,
        estimator=caller,
        input_name="X_real",
    )
    X_generated = check_array(
        X_generated,
        dtype=np.float64,
        ensure_min_samples=min_samples,
        estimator=caller,
        input_name="X_generated",
    )
    if X_real.shape[1] != X_generated.shape[1]:
        raise ValueError(
            f"X_real and X_generated must have the same number of features, got "
            f"X_real with {X_real.shape[1]} features and X_generated with "
            f"{X_generated.shape[1]} features."
        )
    return X_real, X_generated


def _safe_scale(scale):
    """Replace zero (constant-feature) scales by 1, as scikit-learn's scalers do."""
    scale = scale.copy()
    scale[scale < 10 * np.finfo(scale.dtype).eps] = 1.0
    return scale


def _standardize(X_real, X_generated):
    """Standardise both samples with the mean and std of the real sample."""
    mean = X_real.mean(axis=0)
    scale = _safe_scale(X_real.std(axis=0))
    return (X_real - mean) / scale, (X_generated - mean) / scale


def _std_or_nan(values):
    """Sample standard deviation (ddof=1); NaN for fewer than two values."""
    if len(values) < 2:
        return np.nan
    return float(np.std(values, ddof=1))


def _rank_auc(scores, n_negative):
    """ROC AUC from ranks; the first ``n_negative`` scores are the negatives.

    The Mann-Whitney form of the AUC, with tied scores counting one half, as in
    :func:`~sklearn.metrics.roc_auc_score`, but without its input checks: used
    in the bootstrap loop.
    """
    n_positive = len(scores) - n_negative
    rank_sum = stats.rankdata(scores)[n_negative:].sum()
    return (rank_sum - n_positive * (n_positive + 1) / 2) / (n_positive * n_negative)


def _sqrtm(A):
    """:func:`scipy.linalg.sqrtm` without its warning about singular input.

    Covariance products are often singular (constant or duplicated features);
    the square root is usually still accurate, and :func:`_sqrtm_product`
    checks that itself.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        return linalg.sqrtm(A)


def _sqrtm_is_accurate(root, A):
    """Whether ``root`` is finite and ``root @ root`` matches ``A``."""
    if not np.all(np.isfinite(root)):
        return False
    residual = np.linalg.norm(root @ root - A)
    return residual <= _SQRTM_TOL * max(np.linalg.norm(A), np.finfo(float).tiny)


def _sqrtm_product(cov1, cov2):
    """Real matrix square root of ``cov1 @ cov2``, robust to singular inputs."""
    product = cov1 @ cov2
    covmean = _sqrtm(product)
    if not _sqrtm_is_accurate(covmean, product):
        # Regularise both covariances with a small diagonal offset and retry.
        offset = _SQRTM_OFFSET * np.eye(cov1.shape[0])
        product = (cov1 + offset) @ (cov2 + offset)
        covmean = _sqrtm(product)
    # cov1 @ cov2 has real non-negative eigenvalues: imaginary parts are
    # round-off from eigenvalues that came out slightly negative.
    imag = np.max(np.abs(covmean.imag)) if np.iscomplexobj(covmean) else 0.0
    covmean = covmean.real
    scale = max(1.0, np.max(np.abs(covmean))) if np.all(np.isfinite(covmean)) else 1.0
    if imag > _SQRTM_TOL * scale or not _sqrtm_is_accurate(covmean, product):
        warnings.warn(
            "The matrix square root in the Fréchet distance is inaccurate (large "
            "residual, non-finite entries or an imaginary part of magnitude "
            f"{imag:.3g}); the covariance matrices may be ill-conditioned and the "
            "distance unreliable.",
            RuntimeWarning,
            stacklevel=3,
        )
    return covmean


def _polynomial_kernel(X, Y, degree):
    """``(x . y / n_features + 1) ** degree`` for every pair of rows."""
    return (X @ Y.T / X.shape[1] + 1.0) ** degree


def _mmd2_unbiased(X, Y, degree):
    """Unbiased estimate of the squared MMD with the polynomial kernel."""
    m, n = X.shape[0], Y.shape[0]
    k_xx = _polynomial_kernel(X, X, degree)
    k_yy = _polynomial_kernel(Y, Y, degree)
    k_xy = _polynomial_kernel(X, Y, degree)
    # Drop the diagonals (k(x_i, x_i)) to make the within-sample terms unbiased.
    term_xx = (k_xx.sum() - np.trace(k_xx)) / (m * (m - 1))
    term_yy = (k_yy.sum() - np.trace(k_yy)) / (n * (n - 1))
    return term_xx + term_yy - 2.0 * k_xy.mean()


def _pearson_correlation(X):
    """Pearson correlation matrix; a constant feature is uncorrelated with all."""
    centered = X - X.mean(axis=0)
    norms = _safe_scale(np.sqrt(np.sum(centered**2, axis=0)))
    corr = (centered.T @ centered) / np.outer(norms, norms)
    np.clip(corr, -1.0, 1.0, out=corr)
    np.fill_diagonal(corr, 1.0)
    return corr


# ----------------------------------------------------------------------------
# Public metrics
# ----------------------------------------------------------------------------


@validate_params(
    {
        "X_real": ["array-like"],
        "X_generated": ["array-like"],
        "classifier": [
            HasMethods(["fit", "predict_proba"]),
            HasMethods(["fit", "decision_function"]),
            None,
        ],
        "cv": ["cv_object"],
        "n_bootstrap": [Interval(Integral, 0, None, closed="left")],
        "random_state": ["random_state"],
    },
    # The classifier is user-supplied: let its own parameters be validated.
    prefer_skip_nested_validation=False,
)
def classifier_two_sample_test(
    X_real, X_generated, *, classifier=None, cv=5, n_bootstrap=200, random_state=None
):
    """Classifier two-sample test: how well can real and generated be told apart?

    A classifier is trained to separate the real sample (label 0) from the
    generated one (label 1).  Its out-of-fold scores, collected by stratified
    cross-validation, give a ROC AUC of 0.5 when the two samples come from the
    same distribution and up to 1 when they are perfectly separable.

    Parameters
    ----------
    X_real : array-like of shape (n_samples_real, n_features)
        Sample from the real (reference) distribution.

    X_generated : array-like of shape (n_samples_generated, n_features)
        Sample from the generative model.

    classifier : estimator, default=None
        Unfitted classifier with ``predict_proba`` or, failing that,
        ``decision_function``; it is cloned before use.  ``None`` means
        ``HistGradientBoostingClassifier(max_iter=100)`` seeded from
        ``random_state``.

    cv : int, cross-validation generator or iterable, default=5
        Cross-validation strategy.  An int (or ``None``, meaning 5) is the
        number of folds of a shuffled :class:`~sklearn.model_selection.StratifiedKFold`
        seeded from ``random_state``.  A generator or an iterable of
        ``(train, test)`` index pairs is used as given; the indices refer to
        the balanced samples stacked real first, then generated, and the test
        folds must partition them.

    n_bootstrap : int, default=200
        Number of bootstrap resamples of the out-of-fold (label, score) pairs
        used to estimate the standard deviation of the AUC.  ``0`` skips the
        bootstrap and gives ``auc_std = nan``.

    random_state : int, RandomState instance or None, default=None
        Controls the subsampling that balances the two samples, the folds, the
        default classifier and the bootstrap.  Pass an int for reproducible
        results.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes:

        auc : float
            ROC AUC of all out-of-fold scores; 0.5 means indistinguishable.
        auc_std : float
            Bootstrap standard deviation of ``auc``.
        fold_aucs : ndarray of shape (n_splits,)
            ROC AUC on each test fold.

    Notes
    -----
    The test is run on balanced classes: when the two samples differ in size,
    the larger one is subsampled, without replacement, to the size of the
    smaller one (controlled by ``random_state``), so that the classifier cannot
    gain from the class prior.

    The bootstrap resamples the (label, score) pairs within each class, so that
    every replicate keeps both classes at their sizes.  It measures the
    statistical spread of the AUC for the given out-of-fold scores; it does not
    refit the classifier.

    Under the null hypothesis the AUC of ``n`` versus ``n`` samples fluctuates
    by about ``sqrt((2n + 1) / (12 n**2))``, and flexible classifiers tend to
    give cross-validated AUCs slightly below 0.5 (they fit noise that does not
    carry over to the held-out fold).  An AUC below 0.5 is therefore no sign of
    quality beyond indistinguishability.

    References
    ----------
    .. [1] D. Lopez-Paz and M. Oquab, "Revisiting Classifier Two-Sample Tests",
       ICLR 2017, arXiv:1610.06545.

    .. [2] C. Krause and D. Shih, "CaloFlow: Fast and Accurate Generation of
       Calorimeter Showers with Normalizing Flows", Phys. Rev. D 107, 113003
       (2023), arXiv:2106.05285.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_physgen.metrics import classifier_two_sample_test
    >>> rng = np.random.RandomState(0)
    >>> X_real = rng.normal(size=(300, 2))
    >>> X_generated = rng.normal(loc=2.0, size=(300, 2))
    >>> result = classifier_two_sample_test(
    ...     X_real, X_generated, classifier=LogisticRegression(), random_state=0
    ... )
    >>> bool(result.auc > 0.9), result.fold_aucs.shape
    (True, (5,))
    """
    rng = check_random_state(random_state)
    if cv is None:
        cv = 5
    min_samples = cv if isinstance(cv, Integral) else 2
    X_real, X_generated = _check_samples(
        X_real,
        X_generated,
        min_samples=min_samples,
        caller="classifier_two_sample_test",
    )

    # Balance the classes by subsampling the larger sample.
    n = min(X_real.shape[0], X_generated.shape[0])
    if X_real.shape[0] > n:
        X_real = X_real[rng.choice(X_real.shape[0], size=n, replace=False)]
    if X_generated.shape[0] > n:
        X_generated = X_generated[
            rng.choice(X_generated.shape[0], size=n, replace=False)
        ]
    X = np.vstack([X_real, X_generated])
    y = np.repeat([0, 1], n)

    seed = rng.randint(np.iinfo(np.int32).max)
    if isinstance(cv, Integral):
        cv = StratifiedKFold(n_splits=cv, shuffle=True, random_state=seed)
    else:
        cv = check_cv(cv, y, classifier=True)
    splits = list(cv.split(X, y))

    if classifier is None:
        classifier = HistGradientBoostingClassifier(max_iter=100, random_state=seed)
    else:
        classifier = clone(classifier)
    method = (
        "predict_proba" if hasattr(classifier, "predict_proba") else "decision_function"
    )
    scores = cross_val_predict(classifier, X, y, cv=splits, method=method)
    if method == "predict_proba":
        scores = scores[:, 1]  # columns follow classifier.classes_ = [0, 1]

    auc = roc_auc_score(y, scores)
    fold_aucs = np.array([roc_auc_score(y[test], scores[test]) for _, test in splits])

    # Stratified bootstrap of the out-of-fold (label, score) pairs.
    scores_real, scores_generated = scores[:n], scores[n:]
    boot_aucs = np.empty(n_bootstrap)
    for b in range(n_bootstrap):
        resampled = np.concatenate(
            [
                scores_real[rng.randint(n, size=n)],
                scores_generated[rng.randint(n, size=n)],
            ]
        )
        boot_aucs[b] = _rank_auc(resampled, n_negative=n)

    return Bunch(auc=float(auc), auc_std=_std_or_nan(boot_aucs), fold_aucs=fold_aucs)


@validate_params(
    {
        "X_real": ["array-like"],
        "X_generated": ["array-like"],
        "standardize": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def wasserstein_distances(X_real, X_generated, *, standardize=False):
    """Wasserstein-1 distance between the real and generated marginals.

    For each feature, the 1-D Wasserstein-1 (earth mover's) distance between
    the empirical distributions of the two samples, computed with
    :func:`scipy.stats.wasserstein_distance`.

    Parameters
    ----------
    X_real : array-like of shape (n_samples_real, n_features)
        Sample from the real (reference) distribution.

    X_generated : array-like of shape (n_samples_generated, n_features)
        Sample from the generative model.

    standardize : bool, default=False
        If True, divide both samples by the per-feature standard deviation of
        the real sample first, so that the distances are in units of the real
        spread and comparable across features.  A constant real feature is
        left unscaled.

    Returns
    -------
    distances : ndarray of shape (n_features,)
        Wasserstein-1 distance of each feature, in the units of that feature
        (or of its real standard deviation if ``standardize=True``).

    See Also
    --------
    mean_wasserstein_distance : Mean of these distances over the features.

    Notes
    -----
    In one dimension the Wasserstein-1 distance is the area between the two
    cumulative distribution functions, :math:`W_1 = \\int |F(x) - G(x)| dx`.
    A shift of a distribution by :math:`\\delta` gives :math:`|\\delta|`;
    between :math:`N(0, 1)` and :math:`N(0, \\sigma^2)` it is
    :math:`|\\sigma - 1| \\sqrt{2 / \\pi}`.  The finite-sample estimate is biased
    upwards by an amount that shrinks like :math:`n^{-1/2}`.

    References
    ----------
    .. [1] R. Kansal et al., "Particle Cloud Generation with Message Passing
       Generative Adversarial Networks", NeurIPS 2021, arXiv:2106.11535.

    Examples
    --------
    >>> from sklearn_physgen.metrics import wasserstein_distances
    >>> X_real = [[0.0, 0.0], [1.0, 2.0], [2.0, 4.0]]
    >>> X_generated = [[1.0, 0.0], [2.0, 2.0], [3.0, 4.0]]
    >>> wasserstein_distances(X_real, X_generated)
    array([1., 0.])
    """
    X_real, X_generated = _check_samples(
        X_real, X_generated, min_samples=1, caller="wasserstein_distances"
    )
    if standardize:
        scale = _safe_scale(X_real.std(axis=0))
        X_real, X_generated = X_real / scale, X_generated / scale
    return np.array(
        [
            stats.wasserstein_distance(X_real[:, j], X_generated[:, j])
            for j in range(X_real.shape[1])
        ]
    )


@validate_params(
    {
        "X_real": ["array-like"],
        "X_generated": ["array-like"],
        "standardize": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def mean_wasserstein_distance(X_real, X_generated, *, standardize=False):
    """Mean over the features of the 1-D Wasserstein-1 distances.

    Parameters
    ----------
    X_real : array-like of shape (n_samples_real, n_features)
        Sample from the real (reference) distribution.

    X_generated : array-like of shape (n_samples_generated, n_features)
        Sample from the generative model.

    standardize : bool, default=False
        If True, divide both samples by the per-feature standard deviation of
        the real sample first.  Recommended when the features have different
        units or scales, which otherwise dominate the mean.

    Returns
    -------
    distance : float
        Mean of :func:`wasserstein_distances` over the features.

    See Also
    --------
    wasserstein_distances : The per-feature distances.

    Examples
    --------
    >>> from sklearn_physgen.metrics import mean_wasserstein_distance
    >>> X_real = [[0.0, 0.0], [1.0, 2.0], [2.0, 4.0]]
    >>> X_generated = [[1.0, 0.0], [2.0, 2.0], [3.0, 4.0]]
    >>> mean_wasserstein_distance(X_real, X_generated)
    0.5
    """
    return float(
        np.mean(wasserstein_distances(X_real, X_generated, standardize=standardize))
    )


@validate_params(
    {
        "X_real": ["array-like"],
        "X_generated": ["array-like"],
        "standardize": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def frechet_distance(X_real, X_generated, *, standardize=True):
    """Fréchet distance between Gaussians fitted to the two samples.

    The squared Wasserstein-2 distance between the normal distributions with
    the means and covariances of the two samples; on standardised features it
    is the Fréchet physics distance (FPD) of Kansal et al.

    Parameters
    ----------
    X_real : array-like of shape (n_samples_real, n_features)
        Sample from the real (reference) distribution.  At least 2 samples.

    X_generated : array-like of shape (n_samples_generated, n_features)
        Sample from the generative model.  At least 2 samples.

    standardize : bool, default=True
        If True, standardise both samples with the per-feature mean and
        standard deviation of the real sample first, so that every feature
        counts in units of its real spread.  A constant real feature is only
        centred.

    Returns
    -------
    distance : float
        The Fréchet distance, >= 0; 0 for identical means and covariances.

    See Also
    --------
    kernel_distance : Kernel physics distance, unbiased and sensitive to
        higher moments.

    Notes
    -----
    With means :math:`\\mu_1, \\mu_2` and covariances :math:`\\Sigma_1,
    \\Sigma_2` (unbiased, ``ddof=1``)

    .. math::

        d^2 = \\lVert \\mu_1 - \\mu_2 \\rVert^2
            + \\mathrm{Tr}\\left(\\Sigma_1 + \\Sigma_2
            - 2 (\\Sigma_1 \\Sigma_2)^{1/2}\\right).

    For :math:`N(0, I_d)` against :math:`N(\\delta, \\sigma^2 I_d)` it is
    :math:`d \\, (\\delta^2 + (\\sigma - 1)^2)`.

    The matrix square root is computed with :func:`scipy.linalg.sqrtm`.  If it
    is not finite or not accurate (singular covariances, from constant or
    duplicated features, for instance) it is recomputed after adding ``1e-6``
    to the diagonal of both covariances.  Its imaginary part, which comes from
    round-off, is discarded; a :class:`RuntimeWarning` is issued if that part
    is not negligible or the root is still inaccurate.  The result is clipped
    at 0.

    Only the first two moments are compared, and the finite-sample estimate is
    biased upwards: for two samples of size :math:`n` from the same standard
    normal distribution in :math:`d` dimensions it is about
    :math:`d (d + 5) / (2 n)`.  Compare models on samples of equal size.

    References
    ----------
    .. [1] M. Heusel et al., "GANs Trained by a Two Time-Scale Update Rule
       Converge to a Local Nash Equilibrium", NeurIPS 2017, arXiv:1706.08500.

    .. [2] R. Kansal et al., "Evaluating generative models in high energy
       physics", Phys. Rev. D 107, 076017 (2023), arXiv:2211.10295.

    Examples
    --------
    >>> from sklearn_physgen.metrics import frechet_distance
    >>> X_real = [[0.0, 0.0], [1.0, 1.0], [2.0, 0.0], [3.0, 1.0]]
    >>> X_generated = [[2.0, 2.0], [3.0, 3.0], [4.0, 2.0], [5.0, 3.0]]
    >>> print(f"{frechet_distance(X_real, X_generated, standardize=False):.4f}")
    8.0000
    """
    X_real, X_generated = _check_samples(
        X_real, X_generated, min_samples=2, caller="frechet_distance"
    )
    if standardize:
        X_real, X_generated = _standardize(X_real, X_generated)

    mean_diff = X_real.mean(axis=0) - X_generated.mean(axis=0)
    cov_real = np.atleast_2d(np.cov(X_real, rowvar=False))
    cov_generated = np.atleast_2d(np.cov(X_generated, rowvar=False))
    covmean = _sqrtm_product(cov_real, cov_generated)

    distance = (
        mean_diff @ mean_diff
        + np.trace(cov_real)
        + np.trace(cov_generated)
        - 2.0 * np.trace(covmean)
    )
    return float(max(distance, 0.0))


@validate_params(
    {
        "X_real": ["array-like"],
        "X_generated": ["array-like"],
        "standardize": ["boolean"],
        "degree": [Interval(Integral, 1, None, closed="left")],
        "n_subsets": [Interval(Integral, 1, None, closed="left")],
        "subset_size": [Interval(Integral, 2, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def kernel_distance(
    X_real,
    X_generated,
    *,
    standardize=True,
    degree=3,
    n_subsets=10,
    subset_size=1000,
    random_state=None,
):
    """Kernel physics distance: unbiased squared MMD with a polynomial kernel.

    The squared maximum mean discrepancy (MMD) between the two samples with
    the kernel :math:`k(x, y) = (x \\cdot y / d + 1)^{\\text{degree}}`, where
    :math:`d` is the number of features, estimated without bias on random
    subsets; on standardised features it is the kernel physics distance (KPD)
    of Kansal et al.

    Parameters
    ----------
    X_real : array-like of shape (n_samples_real, n_features)
        Sample from the real (reference) distribution.  At least 2 samples.

    X_generated : array-like of shape (n_samples_generated, n_features)
        Sample from the generative model.  At least 2 samples.

    standardize : bool, default=True
        If True, standardise both samples with the per-feature mean and
        standard deviation of the real sample first.  A constant real feature
        is only centred.

    degree : int, default=3
        Degree of the polynomial kernel; the MMD compares the moments of the
        two distributions up to this order.

    n_subsets : int, default=10
        Number of random subsets on which the MMD is estimated.

    subset_size : int, default=1000
        Rows drawn without replacement from each sample for each subset,
        capped at the size of that sample.  The cost of each subset grows
        like ``subset_size ** 2``.

    random_state : int, RandomState instance or None, default=None
        Controls the random subsets.  Pass an int for reproducible results.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes:

        distance : float
            Mean of the MMD estimates over the subsets.
        std : float
            Standard deviation (``ddof=1``) of the estimates over the subsets;
            NaN if ``n_subsets=1``.

    See Also
    --------
    frechet_distance : Fréchet physics distance, on the first two moments.

    Notes
    -----
    For subsets :math:`\\{x_i\\}_{i=1}^m` and :math:`\\{y_j\\}_{j=1}^n` the
    unbiased estimate is

    .. math::

        \\frac{1}{m(m-1)} \\sum_{i \\neq i'} k(x_i, x_{i'})
        + \\frac{1}{n(n-1)} \\sum_{j \\neq j'} k(y_j, y_{j'})
        - \\frac{2}{mn} \\sum_{i, j} k(x_i, y_j).

    Being unbiased, it fluctuates around 0 (and can be negative) when the two
    samples come from the same distribution; compare ``distance`` with
    ``std``.  If both samples have at most ``subset_size`` rows, every subset
    is the whole of both samples and ``std`` is 0.

    References
    ----------
    .. [1] A. Gretton et al., "A Kernel Two-Sample Test", JMLR 13, 723 (2012).

    .. [2] M. Bińkowski et al., "Demystifying MMD GANs", ICLR 2018,
       arXiv:1801.01401.

    .. [3] R. Kansal et al., "Evaluating generative models in high energy
       physics", Phys. Rev. D 107, 076017 (2023), arXiv:2211.10295.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_physgen.metrics import kernel_distance
    >>> rng = np.random.RandomState(0)
    >>> X_real = rng.normal(size=(500, 3))
    >>> X_generated = rng.normal(loc=1.0, size=(500, 3))
    >>> result = kernel_distance(X_real, X_generated, subset_size=200, random_state=0)
    >>> bool(result.distance > 3 * result.std)
    True
    >>> X_same = rng.normal(size=(500, 3))
    >>> result = kernel_distance(X_real, X_same, subset_size=200, random_state=0)
    >>> bool(abs(result.distance) < 3 * result.std)
    True
    """
    rng = check_random_state(random_state)
    X_real, X_generated = _check_samples(
        X_real, X_generated, min_samples=2, caller="kernel_distance"
    )
    if standardize:
        X_real, X_generated = _standardize(X_real, X_generated)

    n_real, n_generated = X_real.shape[0], X_generated.shape[0]
    size_real, size_generated = min(subset_size, n_real), min(subset_size, n_generated)
    values = np.empty(n_subsets)
    for i in range(n_subsets):
        subset_real = X_real[rng.choice(n_real, size=size_real, replace=False)]
        subset_generated = X_generated[
            rng.choice(n_generated, size=size_generated, replace=False)
        ]
        values[i] = _mmd2_unbiased(subset_real, subset_generated, degree)

    return Bunch(distance=float(np.mean(values)), std=_std_or_nan(values))


@validate_params(
    {"X_real": ["array-like"], "X_generated": ["array-like"]},
    prefer_skip_nested_validation=True,
)
def correlation_difference(X_real, X_generated):
    """Difference between the Pearson correlation matrices of the two samples.

    Parameters
    ----------
    X_real : array-like of shape (n_samples_real, n_features)
        Sample from the real (reference) distribution.  At least 2 samples.

    X_generated : array-like of shape (n_samples_generated, n_features)
        Sample from the generative model.  At least 2 samples.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes:

        max_abs : float
            Largest absolute entry of ``matrix``.
        frobenius : float
            Frobenius norm of ``matrix`` (every off-diagonal pair counts
            twice, the diagonal is 0).
        matrix : ndarray of shape (n_features, n_features)
            Correlation matrix of ``X_generated`` minus that of ``X_real``.

    Notes
    -----
    The correlation of a constant feature is undefined; here a constant
    feature is taken to be uncorrelated with every other feature (and to have
    correlation 1 with itself), so that it contributes ``-corr_real`` or
    ``corr_generated`` to the difference instead of NaN.

    Examples
    --------
    >>> from sklearn_physgen.metrics import correlation_difference
    >>> X_real = [[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]
    >>> X_generated = [[0.0, 0.0], [1.0, 1.0], [2.0, 1.0], [3.0, 0.0]]
    >>> result = correlation_difference(X_real, X_generated)
    >>> result.matrix
    array([[ 0., -1.],
           [-1.,  0.]])
    >>> round(result.max_abs, 6)
    1.0
    """
    X_real, X_generated = _check_samples(
        X_real, X_generated, min_samples=2, caller="correlation_difference"
    )
    matrix = _pearson_correlation(X_generated) - _pearson_correlation(X_real)
    return Bunch(
        max_abs=float(np.max(np.abs(matrix))),
        frobenius=float(np.linalg.norm(matrix)),
        matrix=matrix,
    )


# ----------------------------------------------------------------------------
# Anomaly detection: the physicist's numbers
# ----------------------------------------------------------------------------


def _split_scores(y_true, y_score, anomaly_label, sample_weight=None):
    """``(normal, anomalous, normal_weights, anomalous_weights)`` scores and
    event weights (ones without ``sample_weight``), with clear errors."""
    y_true = np.asarray(y_true).ravel()
    y_score = np.asarray(y_score, dtype=np.float64).ravel()
    if y_true.shape != y_score.shape:
        raise ValueError(
            f"y_true and y_score differ in length: {y_true.shape[0]} and "
            f"{y_score.shape[0]}."
        )
    if not np.all(np.isfinite(y_score)):
        raise ValueError("y_score contains NaN or infinity.")
    weights = _check_sample_weight(sample_weight, y_score, dtype=np.float64,
                                   ensure_non_negative=True)
    is_anomaly = y_true == anomaly_label
    if not (weights[is_anomaly].sum() > 0 and weights[~is_anomaly].sum() > 0):
        raise ValueError(
            f"y_true needs both anomalies (label {anomaly_label!r}) and normal "
            "samples, of non-zero weight."
        )
    return (y_score[~is_anomaly], y_score[is_anomaly],
            weights[~is_anomaly], weights[is_anomaly])


def _effective_count(weights):
    """Kish's effective number of events, ``(sum w)^2 / sum w^2`` (``n`` for
    equal weights)."""
    return float(np.sum(weights) ** 2 / np.sum(weights**2))


def _cumulative_fraction(scores, weights, thresholds):
    """Weighted fraction of ``scores`` at or below each threshold."""
    order = np.argsort(scores, kind="stable")
    cumulative = np.r_[0.0, np.cumsum(weights[order])]
    at_or_below = np.searchsorted(scores[order], thresholds, side="right")
    return cumulative[at_or_below] / cumulative[-1]


@validate_params(
    {
        "y_true": ["array-like"],
        "y_score": ["array-like"],
        "background_efficiency": [Interval(Real, 0, 1, closed="neither")],
        "anomaly_label": "no_validation",
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def signal_efficiency(y_true, y_score, *, background_efficiency=1e-2, anomaly_label=-1,
                      sample_weight=None):
    """Fraction of anomalies flagged when a given fraction of normal data is.

    The threshold on ``y_score`` is the ``background_efficiency`` quantile of
    the normal samples' scores; the signal efficiency is the fraction of
    anomalies scored below it. A trigger that keeps 1 % of the background
    (``background_efficiency=1e-2``) keeps this fraction of the signal.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Labels; ``anomaly_label`` marks anomalies (signal), any other value
        normal data (background).
    y_score : array-like of shape (n_samples,)
        Normality scores, higher for more normal (``score_samples``).
    background_efficiency : float in (0, 1), default=1e-2
        Fraction of normal samples flagged.
    anomaly_label : int or str, default=-1
        The label of anomalies (-1 in scikit-learn's outlier convention; use
        1 for 0/1 labels with 1 = signal).
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative event weights: efficiencies are fractions of the summed
        weight, and the threshold is the weighted quantile of the normal
        scores (the inverted empirical CDF; equal weights give the
        unweighted result).

    Returns
    -------
    efficiency : float
        Fraction of anomalies (of their weight) flagged, in [0, 1].

    Notes
    -----
    With ``n`` normal samples the estimate is meaningful only for
    ``background_efficiency`` well above ``1 / n`` (at 1e-3, tens of
    thousands of background events).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_physgen.metrics import signal_efficiency
    >>> rng = np.random.RandomState(0)
    >>> y_true = np.r_[np.ones(10000), -np.ones(1000)]
    >>> scores = np.r_[rng.normal(size=10000), rng.normal(-2, 1, size=1000)]
    >>> round(signal_efficiency(y_true, scores, background_efficiency=1e-2), 2)  # 0.372 in theory
    0.37
    """
    normal, anomalous, w_normal, w_anomalous = _split_scores(
        y_true, y_score, anomaly_label, sample_weight)
    # (equal weights, the ones standing in for None included, interpolate
    # like np.percentile)
    threshold = weighted_percentile(normal, 100.0 * background_efficiency, w_normal)
    return float(np.average(anomalous < threshold, weights=w_anomalous))


@validate_params(
    {
        "y_true": ["array-like"],
        "y_score": ["array-like"],
        "min_background_efficiency": [Interval(Real, 0, 1, closed="neither")],
        "anomaly_label": "no_validation",
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def significance_improvement(y_true, y_score, *, min_background_efficiency=1e-3,
                             anomaly_label=-1, sample_weight=None):
    """Maximum significance improvement, ``max eps_S / sqrt(eps_B)``.

    The significance improvement characteristic (SIC) of a selection is its
    signal efficiency over the square root of its background efficiency: by
    how much a cut on the score multiplies the significance ``S / sqrt(B)``
    of a signal over a background. This returns its maximum over thresholds
    with a background efficiency of at least ``min_background_efficiency``
    (below it the few background events left make the ratio noise).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Labels; ``anomaly_label`` marks anomalies (signal).
    y_score : array-like of shape (n_samples,)
        Normality scores, higher for more normal (``score_samples``).
    min_background_efficiency : float in (0, 1), default=1e-3
        Smallest background efficiency considered. It is raised to
        ``10 / n_normal`` when that is larger, so at least ten background
        events pass every cut considered (with weights, ``n_normal`` is the
        effective number ``(sum w)^2 / sum w^2`` of the normal events).
    anomaly_label : int or str, default=-1
        The label of anomalies.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative event weights: ``eps_S`` and ``eps_B`` are fractions of
        the summed weights.

    Returns
    -------
    sic : float
        The maximum of ``eps_S / sqrt(eps_B)``; 1 at best for a score that
        ranks at random (at ``eps_B = 1``), larger for a useful one.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_physgen.metrics import significance_improvement
    >>> rng = np.random.RandomState(0)
    >>> y_true = np.r_[np.ones(10000), -np.ones(1000)]
    >>> scores = np.r_[rng.normal(size=10000), rng.normal(-2, 1, size=1000)]
    >>> round(significance_improvement(y_true, scores), 1)  # 4.36 in theory
    4.5
    """
    normal, anomalous, w_normal, w_anomalous = _split_scores(
        y_true, y_score, anomaly_label, sample_weight)
    floor = max(min_background_efficiency, 10.0 / _effective_count(w_normal))
    # a cut at each distinct normal score t flags everything scored <= t
    # (ties flagged together: a tied score cannot separate them)
    thresholds = np.unique(normal[w_normal > 0])
    eps_b = _cumulative_fraction(normal, w_normal, thresholds)
    eps_s = _cumulative_fraction(anomalous, w_anomalous, thresholds)
    keep = eps_b >= floor
    return float(np.max(eps_s[keep] / np.sqrt(eps_b[keep])))


@validate_params(
    {
        "y_true": ["array-like"],
        "anomaly_label": "no_validation",
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def chance_roc_auc_std(y_true, *, anomaly_label=-1, sample_weight=None):
    """Standard deviation of the ROC AUC of a score that ignores the labels.

    A score unrelated to the labels has a ROC AUC of 0.5 on average, spread
    by the Mann-Whitney null standard deviation
    ``sqrt((n1 + n2 + 1) / (12 n1 n2))`` for ``n1`` normal samples and ``n2``
    anomalies (with weights, Kish's effective counts ``(sum w)^2 / sum
    w^2``). A ROC AUC within two of these of 0.5 is what chance gives on
    these labels; one more than two below 0.5 ranks the anomalies as *more*
    normal than the normal samples: the detector is inverted on them.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Labels; ``anomaly_label`` marks anomalies, any other value normal data.
    anomaly_label : int or str, default=-1
        The label of anomalies.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative event weights.

    Returns
    -------
    std : float
        The standard deviation of the ROC AUC under the null hypothesis.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_physgen.metrics import chance_roc_auc_std
    >>> y_true = np.r_[np.ones(900), -np.ones(100)]
    >>> round(chance_roc_auc_std(y_true), 3)
    0.03
    """
    y_true = np.asarray(y_true)
    _, _, w_normal, w_anomalous = _split_scores(
        y_true, np.zeros(y_true.size), anomaly_label, sample_weight)
    n_normal, n_anomaly = _effective_count(w_normal), _effective_count(w_anomalous)
    return float(np.sqrt((n_normal + n_anomaly + 1) / (12 * n_normal * n_anomaly)))


def _versus_chance(roc_auc, std):
    """``'inverted'`` more than two ``std`` below 0.5, ``'chance'`` within two
    of it, else ``'above'``."""
    if roc_auc < 0.5 - 2 * std:
        return "inverted"
    return "chance" if roc_auc <= 0.5 + 2 * std else "above"
