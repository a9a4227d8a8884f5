"""Tests of sklearn_physgen.metrics, pinned on cases with known answers."""

import math
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.svm import LinearSVC
from threadpoolctl import threadpool_limits

from sklearn_physgen.metrics import (
    _rank_auc,
    chance_roc_auc_std,
    classifier_two_sample_test,
    correlation_difference,
    frechet_distance,
    kernel_distance,
    mean_wasserstein_distance,
    signal_efficiency,
    significance_improvement,
    wasserstein_distances,
)

N_SAMPLES, N_FEATURES = 2000, 5


@pytest.fixture(autouse=True)
def _single_thread():
    # HistGradientBoosting's OpenMP threads slow down badly on a busy small
    # machine; the results do not depend on the number of threads.
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def same_gaussians():
    """Two independent draws of the same standard normal distribution."""
    rng = np.random.RandomState(0)
    return (
        rng.normal(size=(N_SAMPLES, N_FEATURES)),
        rng.normal(size=(N_SAMPLES, N_FEATURES)),
    )


def _all_metrics(X_real, X_generated):
    """Call every metric once, with cheap settings."""
    classifier_two_sample_test(
        X_real, X_generated, classifier=LogisticRegression(), cv=2, n_bootstrap=2
    )
    wasserstein_distances(X_real, X_generated)
    mean_wasserstein_distance(X_real, X_generated)
    frechet_distance(X_real, X_generated)
    kernel_distance(X_real, X_generated, n_subsets=2)
    correlation_difference(X_real, X_generated)


# ----------------------------------------------------------------------------
# Same distribution: every metric at its "indistinguishable" value
# ----------------------------------------------------------------------------


def test_two_sample_test_same_distribution(same_gaussians):
    result = classifier_two_sample_test(*same_gaussians, random_state=0)
    assert abs(result.auc - 0.5) < 0.05
    # Null spread of the AUC for n vs n samples: sqrt((2n + 1) / (12 n^2)) ~ 0.009.
    assert 0.004 < result.auc_std < 0.02
    assert result.fold_aucs.shape == (5,)
    assert np.all(np.abs(result.fold_aucs - 0.5) < 0.1)


def test_distances_same_distribution(same_gaussians):
    X_real, X_generated = same_gaussians
    distances = wasserstein_distances(X_real, X_generated)
    assert distances.shape == (N_FEATURES,)
    assert np.all(distances < 0.1)
    assert mean_wasserstein_distance(X_real, X_generated) < 0.1

    assert 0 <= frechet_distance(X_real, X_generated) < 0.05

    kpd = kernel_distance(X_real, X_generated, random_state=0)
    assert abs(kpd.distance) < max(3 * kpd.std, 0.01)

    corr = correlation_difference(X_real, X_generated)
    assert corr.max_abs < 0.1
    assert corr.matrix.shape == (N_FEATURES, N_FEATURES)


def test_frechet_distance_of_a_sample_with_itself_is_zero(same_gaussians):
    X_real, _ = same_gaussians
    assert frechet_distance(X_real, X_real) == pytest.approx(0, abs=1e-8)
    assert frechet_distance(X_real, X_real, standardize=False) == pytest.approx(
        0, abs=1e-8
    )


# ----------------------------------------------------------------------------
# Shifted and rescaled Gaussians: closed-form answers
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("delta", [1.0, 2.0, 3.0])
def test_shifted_gaussians(delta):
    rng = np.random.RandomState(1)
    X_real = rng.normal(size=(N_SAMPLES, N_FEATURES))
    X_generated = rng.normal(loc=delta, size=(N_SAMPLES, N_FEATURES))

    # W1 of a shift is the shift.
    assert_allclose(wasserstein_distances(X_real, X_generated), delta, rtol=0.1)
    assert mean_wasserstein_distance(X_real, X_generated) == pytest.approx(
        delta, rel=0.1
    )

    # FD(N(0, I), N(delta, I)) = ||mu1 - mu2||^2 = d delta^2; the real std is
    # ~1, so standardising barely changes it.
    expected = N_FEATURES * delta**2
    assert frechet_distance(X_real, X_generated, standardize=False) == pytest.approx(
        expected, rel=0.1
    )
    assert frechet_distance(X_real, X_generated) == pytest.approx(expected, rel=0.1)

    # With a linear kernel, MMD^2 = ||mu1 - mu2||^2 / d = delta^2.
    subsets = {"n_subsets": 5, "subset_size": 500, "random_state": 0}
    linear = kernel_distance(
        X_real, X_generated, standardize=False, degree=1, **subsets
    )
    assert linear.distance == pytest.approx(delta**2, rel=0.1)
    cubic = kernel_distance(X_real, X_generated, **subsets)
    assert cubic.distance > 10 * cubic.std


@pytest.mark.parametrize("sigma", [0.5, 2.0])
def test_rescaled_gaussians(sigma):
    rng = np.random.RandomState(2)
    X_real = rng.normal(size=(N_SAMPLES, N_FEATURES))
    X_generated = rng.normal(scale=sigma, size=(N_SAMPLES, N_FEATURES))

    # W1(N(0, 1), N(0, sigma^2)) = |sigma - 1| E|Z| = |sigma - 1| sqrt(2 / pi).
    expected_w1 = abs(sigma - 1) * math.sqrt(2 / math.pi)
    distances = wasserstein_distances(X_real, X_generated)
    assert np.mean(distances) == pytest.approx(expected_w1, rel=0.1)
    assert_allclose(distances, expected_w1, rtol=0.15)

    # FD(N(0, I), N(0, sigma^2 I)) = d (1 + sigma^2 - 2 sigma) = d (sigma - 1)^2.
    expected_fd = N_FEATURES * (sigma - 1) ** 2
    assert frechet_distance(X_real, X_generated, standardize=False) == pytest.approx(
        expected_fd, rel=0.1
    )


def test_frechet_distance_exact_on_shifted_copy():
    # Equal covariances: only the mean term remains, exactly.
    X_real = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0], [3.0, 1.0]])
    shift = np.array([2.0, -1.0])
    assert frechet_distance(X_real, X_real + shift, standardize=False) == pytest.approx(
        5.0, rel=1e-6
    )
    # Standardised: the shift in units of the real (ddof=0) std.
    expected = np.sum((shift / X_real.std(axis=0)) ** 2)
    assert frechet_distance(X_real, X_real + shift) == pytest.approx(expected, rel=1e-6)


# ----------------------------------------------------------------------------
# Disjoint supports
# ----------------------------------------------------------------------------


def test_disjoint_supports():
    rng = np.random.RandomState(3)
    X_real = rng.uniform(0, 1, size=(500, 3))
    X_generated = rng.uniform(2, 3, size=(500, 3))

    result = classifier_two_sample_test(X_real, X_generated, random_state=0)
    assert result.auc > 0.99
    assert np.all(result.fold_aucs > 0.99)

    assert_allclose(wasserstein_distances(X_real, X_generated), 2.0, rtol=0.05)
    assert mean_wasserstein_distance(X_real, X_generated) == pytest.approx(
        2.0, rel=0.05
    )


def test_two_sample_test_decision_function_classifier():
    # LinearSVC has no predict_proba: its decision_function is used.
    rng = np.random.RandomState(4)
    X_real = rng.uniform(0, 1, size=(200, 2))
    X_generated = rng.uniform(2, 3, size=(200, 2))
    result = classifier_two_sample_test(
        X_real, X_generated, classifier=LinearSVC(), random_state=0
    )
    assert result.auc > 0.99


def test_two_sample_test_unbalanced_sizes():
    rng = np.random.RandomState(5)
    X_real = rng.normal(size=(300, 2))
    X_generated = rng.normal(loc=3.0, size=(900, 2))
    result = classifier_two_sample_test(
        X_real, X_generated, classifier=LogisticRegression(), random_state=0
    )
    assert result.auc > 0.95
    assert result.fold_aucs.shape == (5,)


def test_two_sample_test_cv_splitter_and_no_bootstrap():
    from sklearn.model_selection import StratifiedKFold

    rng = np.random.RandomState(6)
    X_real = rng.normal(size=(100, 2))
    X_generated = rng.normal(loc=3.0, size=(100, 2))
    result = classifier_two_sample_test(
        X_real,
        X_generated,
        classifier=LogisticRegression(),
        cv=StratifiedKFold(3),
        n_bootstrap=0,
    )
    assert result.fold_aucs.shape == (3,)
    assert np.isnan(result.auc_std)


@pytest.mark.parametrize("seed", range(3))
def test_rank_auc_matches_roc_auc_score(seed):
    rng = np.random.RandomState(seed)
    # Rounded scores, so that there are ties.
    scores = np.round(rng.normal(size=60), 1)
    y = np.repeat([0, 1], [25, 35])
    scores[25:] += 0.5
    assert _rank_auc(scores, n_negative=25) == pytest.approx(roc_auc_score(y, scores))


# ----------------------------------------------------------------------------
# Correlations
# ----------------------------------------------------------------------------


def test_correlation_difference_detects_lost_correlation():
    rng = np.random.RandomState(7)
    rho = 0.8
    cov = np.array([[1.0, rho, 0.0], [rho, 1.0, 0.0], [0.0, 0.0, 1.0]])
    X_real = rng.multivariate_normal(np.zeros(3), cov, size=N_SAMPLES)
    X_generated = rng.normal(size=(N_SAMPLES, 3))

    result = correlation_difference(X_real, X_generated)
    assert result.max_abs == pytest.approx(rho, abs=0.07)
    # Generated minus real: the lost correlation is negative.
    assert result.matrix[0, 1] == pytest.approx(-rho, abs=0.07)
    assert_allclose(result.matrix, result.matrix.T)
    assert_array_equal(np.diag(result.matrix), 0.0)
    assert result.frobenius == pytest.approx(rho * math.sqrt(2), abs=0.1)


def test_correlation_difference_constant_feature():
    X_real = np.array([[0.0, 1.0], [1.0, 1.0], [2.0, 1.0]])
    X_generated = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = correlation_difference(X_real, X_generated)
    assert_allclose(result.matrix, [[0.0, 1.0], [1.0, 0.0]])
    assert result.max_abs == pytest.approx(1.0)


# ----------------------------------------------------------------------------
# Options and robustness
# ----------------------------------------------------------------------------


def test_wasserstein_standardize_is_scale_free():
    rng = np.random.RandomState(8)
    X_real = rng.normal(size=(500, 2))
    X_generated = rng.normal(loc=0.5, size=(500, 2))
    raw = wasserstein_distances(X_real, X_generated)
    assert_allclose(wasserstein_distances(10 * X_real, 10 * X_generated), 10 * raw)
    assert_allclose(
        wasserstein_distances(10 * X_real, 10 * X_generated, standardize=True),
        wasserstein_distances(X_real, X_generated, standardize=True),
    )
    assert_allclose(
        wasserstein_distances(X_real, X_generated, standardize=True),
        raw / X_real.std(axis=0),
    )


def test_frechet_distance_singular_covariances():
    # A duplicated feature and a constant one make both covariances singular.
    rng = np.random.RandomState(9)
    base_real = rng.normal(size=(300, 2))
    base_generated = rng.normal(loc=1.0, size=(300, 2))
    X_real = np.column_stack([base_real, base_real[:, 0], np.ones(300)])
    X_generated = np.column_stack([base_generated, base_generated[:, 0], np.ones(300)])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        for standardize in (True, False):
            distance = frechet_distance(X_real, X_generated, standardize=standardize)
            assert np.isfinite(distance)
            # Three non-constant features shifted by about 1 each.
            assert distance == pytest.approx(3.0, rel=0.25)


def test_frechet_distance_single_feature():
    X_real = np.array([[0.0], [1.0], [2.0]])
    assert frechet_distance(X_real, X_real + 1, standardize=False) == pytest.approx(1.0)


def test_kernel_distance_subsets():
    rng = np.random.RandomState(10)
    X_real = rng.normal(size=(50, 2))
    X_generated = rng.normal(size=(40, 2))
    # Subsets as large as the samples are the whole samples: no spread.
    result = kernel_distance(X_real, X_generated, subset_size=100, n_subsets=3)
    assert result.std == pytest.approx(0.0, abs=1e-12)
    assert np.isnan(kernel_distance(X_real, X_generated, n_subsets=1).std)


def test_random_state_reproducibility(same_gaussians):
    X_real, X_generated = same_gaussians
    X_generated = X_generated[:1000]  # unbalanced: the subsampling is random too
    kwargs = {"classifier": LogisticRegression(), "n_bootstrap": 20}
    first = classifier_two_sample_test(X_real, X_generated, random_state=0, **kwargs)
    second = classifier_two_sample_test(X_real, X_generated, random_state=0, **kwargs)
    assert first.auc == second.auc
    assert first.auc_std == second.auc_std
    assert_array_equal(first.fold_aucs, second.fold_aucs)
    other = classifier_two_sample_test(X_real, X_generated, random_state=1, **kwargs)
    assert other.auc != first.auc

    kwargs = {"subset_size": 200, "n_subsets": 3}
    first = kernel_distance(X_real, X_generated, random_state=0, **kwargs)
    second = kernel_distance(
        X_real, X_generated, random_state=np.random.RandomState(0), **kwargs
    )
    assert first == second
    other = kernel_distance(X_real, X_generated, random_state=1, **kwargs)
    assert other.distance != first.distance


# ----------------------------------------------------------------------------
# Input validation
# ----------------------------------------------------------------------------


def test_different_number_of_features_raises():
    X_real, X_generated = np.zeros((10, 3)), np.ones((10, 4))
    for metric in (
        classifier_two_sample_test,
        wasserstein_distances,
        mean_wasserstein_distance,
        frechet_distance,
        kernel_distance,
        correlation_difference,
    ):
        msg = "same number of features.*X_real with 3 .*X_generated with 4"
        with pytest.raises(ValueError, match=msg):
            metric(X_real, X_generated)


def test_nan_raises():
    X = np.random.RandomState(0).normal(size=(20, 2))
    X_nan = X.copy()
    X_nan[3, 1] = np.nan
    with pytest.raises(ValueError, match="X_generated contains NaN"):
        _all_metrics(X, X_nan)
    with pytest.raises(ValueError, match="X_real contains NaN"):
        frechet_distance(X_nan, X)
    with pytest.raises(ValueError, match="X_real contains infinity"):
        wasserstein_distances(np.where(np.isnan(X_nan), np.inf, X_nan), X)


def test_one_dimensional_input_raises():
    x = np.arange(10.0)
    with pytest.raises(ValueError, match="Expected 2D array"):
        wasserstein_distances(x, x)
    with pytest.raises(ValueError, match="Expected 2D array"):
        frechet_distance(x.reshape(-1, 1), x)


def test_too_few_samples_raises():
    X_one = np.zeros((1, 2))
    X = np.random.RandomState(0).normal(size=(10, 2))
    for metric in (frechet_distance, kernel_distance, correlation_difference):
        with pytest.raises(ValueError, match="minimum of 2 is required"):
            metric(X_one, X)
    with pytest.raises(ValueError, match="minimum of 5 is required"):
        classifier_two_sample_test(X[:4], X)


def test_non_numeric_input_raises():
    with pytest.raises(ValueError):
        wasserstein_distances([["a", "b"]], [["c", "d"]])


@pytest.mark.parametrize(
    "metric, params",
    [
        (classifier_two_sample_test, {"n_bootstrap": -1}),
        (classifier_two_sample_test, {"cv": 1}),
        (classifier_two_sample_test, {"classifier": "logistic"}),
        (kernel_distance, {"degree": 0}),
        (kernel_distance, {"subset_size": 1}),
        (frechet_distance, {"standardize": "yes"}),
    ],
)
def test_invalid_parameters_raise(metric, params):
    X = np.random.RandomState(0).normal(size=(20, 2))
    with pytest.raises(ValueError):
        metric(X, X, **params)


def test_accepts_lists_and_integers():
    X_real = [[0, 0], [1, 2], [2, 4]]
    X_generated = [[1, 0], [2, 2], [3, 4]]
    assert_allclose(wasserstein_distances(X_real, X_generated), [1.0, 0.0])
    assert np.isfinite(frechet_distance(X_real, X_generated))


def test_frechet_distance_sqrtm_fallback(monkeypatch):
    from sklearn_physgen import metrics

    real_sqrtm = metrics._sqrtm
    calls = []

    def failing_once(A):
        calls.append(A)
        return np.full_like(A, np.nan) if len(calls) == 1 else real_sqrtm(A)

    monkeypatch.setattr(metrics, "_sqrtm", failing_once)
    # The first root is not finite: retried with 1e-6 added to the diagonals.
    covmean = metrics._sqrtm_product(np.eye(2), np.eye(2))
    assert len(calls) == 2
    assert_allclose(covmean, (1 + 1e-6) * np.eye(2))

    monkeypatch.setattr(metrics, "_sqrtm", lambda A: np.full_like(A, np.nan))
    X = np.random.RandomState(0).normal(size=(20, 2))
    with pytest.warns(RuntimeWarning, match="square root .* is inaccurate"):
        assert np.isnan(frechet_distance(X, X))


# -- anomaly-detection metrics -------------------------------------------------


def _shifted_scores(n_normal=100_000, n_anomalous=20_000, shift=2.0, seed=0):
    rng = np.random.RandomState(seed)
    y_true = np.r_[np.ones(n_normal), -np.ones(n_anomalous)]
    scores = np.r_[rng.normal(size=n_normal), rng.normal(-shift, 1, size=n_anomalous)]
    return y_true, scores


@pytest.mark.parametrize("background_efficiency", [1e-2, 1e-3, 0.1])
def test_signal_efficiency_matches_the_gaussian_law(background_efficiency):
    from scipy.stats import norm

    from sklearn_physgen.metrics import signal_efficiency

    y_true, scores = _shifted_scores()
    expected = norm.cdf(norm.ppf(background_efficiency) + 2.0)
    got = signal_efficiency(y_true, scores, background_efficiency=background_efficiency)
    assert got == pytest.approx(expected, abs=0.02)


def test_significance_improvement_matches_the_gaussian_law():
    from scipy.stats import norm

    from sklearn_physgen.metrics import significance_improvement

    y_true, scores = _shifted_scores()
    t = np.linspace(-4, 4, 100_001)
    keep = norm.cdf(t) >= 1e-3
    expected = np.max(norm.cdf(t + 2.0)[keep] / np.sqrt(norm.cdf(t)[keep]))
    assert significance_improvement(y_true, scores) == pytest.approx(expected, rel=0.05)
    # a score that ranks at random improves nothing: its best is at eps_B = 1
    random = np.random.RandomState(1).normal(size=scores.size)
    assert significance_improvement(y_true, random) == pytest.approx(1.0, abs=0.05)
    # tied scores are cut together: a constant score separates nothing
    assert significance_improvement(y_true, np.zeros(scores.size)) == 1.0
    tied = np.where(scores < -1.0, -1.0, scores)  # many normals and anomalies tied
    assert significance_improvement(y_true, tied) <= significance_improvement(
        y_true, scores) + 1e-12


def test_chance_roc_auc_std_is_the_spread_of_a_random_score():
    from scipy.stats import rankdata

    y_true = np.r_[np.ones(200), -np.ones(50)]
    scores = np.random.RandomState(0).normal(size=(4000, 250))
    # the ROC AUC of each row of scores, in its Mann-Whitney form
    aucs = (rankdata(scores, axis=1)[:, :200].sum(axis=1) - 200 * 201 / 2) / (200 * 50)
    assert aucs[0] == pytest.approx(roc_auc_score(y_true, scores[0]))
    std = chance_roc_auc_std(y_true)
    assert abs(np.std(aucs) / std - 1) < 0.05, (np.std(aucs), std)
    assert chance_roc_auc_std((y_true == -1).astype(int), anomaly_label=1) == std
    # equal weights change nothing; weights count through their effective number
    assert chance_roc_auc_std(y_true, sample_weight=np.full(250, 3.0)) == pytest.approx(std)
    uneven = np.r_[np.ones(200), np.full(25, 1e-9), np.ones(25)]
    assert chance_roc_auc_std(y_true, sample_weight=uneven) == pytest.approx(
        chance_roc_auc_std(np.r_[np.ones(200), -np.ones(25)]), rel=1e-6)
    with pytest.raises(ValueError, match="both anomalies"):
        chance_roc_auc_std(np.ones(10))


def test_anomaly_metrics_label_conventions_and_errors():
    from sklearn_physgen.metrics import signal_efficiency, significance_improvement

    y_true, scores = _shifted_scores(n_normal=5000, n_anomalous=500)
    zero_one = (y_true == -1).astype(int)
    for metric in (signal_efficiency, significance_improvement):
        assert metric(y_true, scores) == metric(zero_one, scores, anomaly_label=1)
        with pytest.raises(ValueError, match="both anomalies"):
            metric(np.ones(10), np.arange(10.0))
        with pytest.raises(ValueError, match="differ in length"):
            metric(y_true[:-1], scores)
        with pytest.raises(ValueError, match="NaN"):
            metric(y_true, np.r_[scores[:-1], np.nan])
    with pytest.raises(ValueError, match="background_efficiency"):
        signal_efficiency(y_true, scores, background_efficiency=0.0)


# -- event weights in the physicist's metrics -----------------------------------


def _scores_with_weights(seed=0):
    rng = np.random.RandomState(seed)
    y = np.r_[np.ones(10000), -np.ones(1000)]
    scores = np.r_[rng.normal(size=10000), rng.normal(-2, 1, size=1000)]
    return y, scores, rng.randint(0, 4, size=len(y))


def test_weighted_efficiencies_are_those_of_repeated_events():
    y, scores, weights = _scores_with_weights()
    repeated_y, repeated_scores = np.repeat(y, weights), np.repeat(scores, weights)
    # SIC: exactly, where the ten-event floor does not bind (it counts
    # effective events with weights, repeated copies without)
    assert significance_improvement(
        y, scores, sample_weight=weights, min_background_efficiency=0.01
    ) == significance_improvement(repeated_y, repeated_scores, min_background_efficiency=0.01)
    # efficiency at a fixed background efficiency: the weighted threshold is
    # the inverted-CDF quantile, the unweighted one interpolates
    assert signal_efficiency(y, scores, sample_weight=weights) == pytest.approx(
        signal_efficiency(repeated_y, repeated_scores), abs=0.005)
    # and the weights matter: the unweighted answers differ
    assert significance_improvement(y, scores, min_background_efficiency=0.01) != (
        significance_improvement(y, scores, sample_weight=weights,
                                 min_background_efficiency=0.01))


def test_equal_weights_leave_the_efficiencies_unchanged_and_bad_weights_are_errors():
    y, scores, _ = _scores_with_weights(1)
    equal = np.full(len(y), 2.5)
    assert signal_efficiency(y, scores, sample_weight=equal) == signal_efficiency(y, scores)
    assert significance_improvement(y, scores, sample_weight=equal) == (
        significance_improvement(y, scores))
    with pytest.raises(ValueError, match="Negative"):
        signal_efficiency(y, scores, sample_weight=np.r_[-1.0, np.ones(len(y) - 1)])
    only_normal = np.r_[np.ones(10000), np.zeros(1000)]
    with pytest.raises(ValueError, match="non-zero weight"):
        significance_improvement(y, scores, sample_weight=only_normal)
