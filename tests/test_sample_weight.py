"""Event weights: ``sample_weight`` in every estimator's ``fit``.

What the weights must do, tested on data whose answer is known: a cluster
of zero weight is ignored, integer weights act like repeated rows (mode
proportions of the generators, density ratios, offsets), equal weights are
no weights at all, bad weights are clear errors, and GridSearchCV routes
them through scikit-learn's metadata routing.
"""

import warnings

import numpy as np
import pytest
import sklearn
import torch
from _public import public_estimators
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_physgen import (
    GAN,
    Autoencoder,
    DeepSVDD,
    FitHealthWarning,
    NormalizingFlow,
    OnePlusEpsilonClassifier,
    OnePlusEpsilonDetector,
    TransformedGenerator,
    VariationalAutoencoder,
    cell_resample_weights,
)
from sklearn_physgen._base import (
    InMemoryDataset,
    TensorBatchIterator,
    weighted_percentile,
)

FAST = {"device": "cpu", "random_state": 0}


def quick(cls, **params):
    """A small, fast instance of each public estimator."""
    if cls is OnePlusEpsilonClassifier:
        return cls(sampler="uniform", epsilon=0.5, random_state=0, **params)
    if cls is TransformedGenerator:
        return cls(VariationalAutoencoder(max_epochs=2, **FAST), random_state=0, **params)
    return cls(max_epochs=2, **FAST, **params)


def two_clusters(n_per_cluster=600, seed=0, gap=5.0):
    """Two round clusters in 2-D, at x = -gap/2 (first half) and +gap/2."""
    rng = np.random.RandomState(seed)
    X = rng.normal(scale=0.5, size=(2 * n_per_cluster, 2))
    X[:n_per_cluster, 0] -= gap / 2
    X[n_per_cluster:, 0] += gap / 2
    return X.astype(np.float32)


# -- validation ----------------------------------------------------------------


BAD_WEIGHTS = [
    (lambda n: np.r_[np.nan, np.ones(n - 1)], "NaN"),
    (lambda n: np.r_[np.inf, np.ones(n - 1)], "infinity"),
    (lambda n: np.ones(n - 1), "shape"),
    (lambda n: np.zeros(n), "zero"),
]


@pytest.mark.parametrize("cls", public_estimators(), ids=lambda c: c.__name__)
@pytest.mark.parametrize("make, message", BAD_WEIGHTS, ids=["nan", "inf", "length", "zeros"])
def test_bad_weights_are_clear_errors(cls, make, message):
    X = two_clusters(20)
    with pytest.raises(ValueError, match=message):
        quick(cls).fit(X, sample_weight=make(len(X)))


@pytest.mark.parametrize("cls", public_estimators(), ids=lambda c: c.__name__)
def test_negative_weights_are_rejected_with_the_way_out(cls):
    X = two_clusters(20)
    weights = np.ones(len(X))
    weights[3] = -0.5
    with pytest.raises(ValueError, match="negative.*cell_resample_weights"):
        quick(cls).fit(X, sample_weight=weights)


@pytest.mark.parametrize("cls", public_estimators(), ids=lambda c: c.__name__)
def test_equal_weights_are_no_weights(cls):
    X = two_clusters(40)
    unweighted = quick(cls).fit(X)
    weighted = quick(cls).fit(X, sample_weight=np.full(len(X), 2.5))
    for method in ("score_samples", "transform"):
        if hasattr(unweighted, method):
            np.testing.assert_array_equal(
                getattr(weighted, method)(X), getattr(unweighted, method)(X)
            )


# -- a zero-weight cluster is ignored ------------------------------------------


DETECTORS = [
    Autoencoder(latent_dim=1, max_epochs=30, **FAST),
    VariationalAutoencoder(latent_dim=1, max_epochs=30, **FAST),
    DeepSVDD(max_epochs=30, **FAST),
    NormalizingFlow(max_epochs=30, **FAST),
    # not the GAN: its score is the discriminator's output, which is undefined
    # where neither real nor generated events ever were (a zero-weight
    # cluster, or any empty region); on seed 2 it called 83 % of it normal
    OnePlusEpsilonDetector(max_epochs=30, **FAST),
    OnePlusEpsilonDetector(sampler="hmc", max_epochs=30, **FAST),
    OnePlusEpsilonClassifier(random_state=0),
]


@pytest.mark.parametrize("detector", DETECTORS, ids=lambda d: repr(d)[:60])
def test_a_zero_weight_cluster_is_not_learned_as_normal(detector):
    # Half of the training rows sit in a second cluster of weight zero: a
    # detector that ignored the weights would call it normal.
    X = two_clusters()
    weights = np.r_[np.ones(600), np.zeros(600)]
    with warnings.catch_warnings():
        warnings.simplefilter("error", FitHealthWarning)
        detector.fit(X, sample_weight=weights)
    X_test = two_clusters(seed=1)
    predicted = detector.predict(X_test)
    assert np.mean(predicted[:600] == 1) > 0.8
    assert np.mean(predicted[600:] == -1) > 0.9  # about 0.05 if weights were ignored


GENERATORS = [
    # latent_dim=2: with one latent dimension the VAE's own mode proportions
    # wandered by up to 0.09 across seeds, weights or not
    VariationalAutoencoder(latent_dim=2, max_epochs=40, **FAST),
    NormalizingFlow(max_epochs=30, **FAST),
    GAN(max_epochs=60, **FAST),
    GAN(loss="wasserstein", max_epochs=40, **FAST),
    TransformedGenerator(GaussianMixture(2, random_state=0), random_state=0),
]


def _draw(generator, n_samples):
    return generator.sample(n_samples, random_state=0)


@pytest.mark.parametrize("generator", GENERATORS, ids=lambda g: repr(g)[:60])
def test_generators_sample_the_weighted_distribution(generator):
    # Weights 3 on the left cluster, 1 on the right: three quarters of the
    # samples belong on the left (one half if the weights were ignored).
    X = two_clusters()
    generator.fit(X, sample_weight=np.r_[np.full(600, 3.0), np.ones(600)])
    samples = _draw(generator, 4000)
    assert abs(np.mean(samples[:, 0] < 0) - 0.75) < 0.1
    # and a zero-weight cluster gets no samples
    generator.fit(X, sample_weight=np.r_[np.ones(600), np.zeros(600)])
    assert np.mean(_draw(generator, 4000)[:, 0] > 1.0) < 0.03


def test_the_autoencoders_latent_gaussian_is_weighted():
    # Autoencoder.sample draws codes from a Gaussian fitted to the training
    # codes: a zero-weight cluster must not enter it.
    X = two_clusters()
    model = Autoencoder(latent_dim=1, max_epochs=30, **FAST)
    model.fit(X, sample_weight=np.r_[np.ones(600), np.zeros(600)])
    codes = model.transform(X[:600]).astype(np.float64)
    np.testing.assert_allclose(model.latent_mean_, codes.mean(axis=0), rtol=1e-5)
    assert np.mean(_draw(model, 4000)[:, 0] > 1.0) < 0.03


# -- integer weights act like repeated rows ------------------------------------


@pytest.mark.slow
def test_integer_weights_give_the_density_of_repeated_rows():
    # The flow's score is an exact log-density (the VAE's is a noisy bound:
    # its ratio between the clusters varied by 1 across seeds).
    X = two_clusters()
    weights = np.r_[np.full(600, 3), np.ones(600, int)]

    def make():
        return NormalizingFlow(max_epochs=40, **FAST)

    repeated = make().fit(np.repeat(X, weights, axis=0))
    weighted = make().fit(X, sample_weight=weights)
    centres = np.array([[-2.5, 0.0], [2.5, 0.0]], dtype=np.float32)

    def log_ratio(model):  # log p(left) - log p(right): log 3 for the weighted law
        scores = model.score_samples(centres)
        return scores[0] - scores[1]

    assert abs(log_ratio(weighted) - log_ratio(repeated)) < 0.4
    # the clusters mirror each other: ignoring the weights gives a ratio near
    # 0 (-0.16 to 0.10 on seeds 1-3), more than 0.5 away from log 3
    assert abs(log_ratio(weighted) - np.log(3)) < 0.5


def test_weighted_percentile_is_that_of_repeated_rows():
    rng = np.random.RandomState(0)
    values = rng.normal(size=50)
    weights = rng.randint(0, 4, size=50)
    for q in (0.0, 3.0, 10.0, 25.0, 50.0, 75.0, 99.0, 100.0):
        expected = np.percentile(np.repeat(values, weights), q, method="inverted_cdf")
        assert weighted_percentile(values, q, weights) == expected


@pytest.mark.parametrize("cls", [Autoencoder, DeepSVDD, NormalizingFlow],
                         ids=lambda c: c.__name__)
def test_contamination_is_a_fraction_of_the_training_weight(cls):
    X = two_clusters()
    rng = np.random.RandomState(0)
    weights = rng.exponential(size=len(X))
    model = quick(cls, contamination=0.2).fit(X, sample_weight=weights)
    flagged = model.predict(X) == -1
    assert abs(weights[flagged].sum() / weights.sum() - 0.2) < 0.01
    # the unweighted fraction differs: the quantile is the weighted one
    unweighted = quick(cls, contamination=0.2).fit(X)
    assert model.offset_ != unweighted.offset_


def test_weighted_score_is_the_weighted_mean():
    X = two_clusters(50)
    model = quick(Autoencoder).fit(X)
    weights = np.arange(len(X), dtype=float)
    assert model.score(X, sample_weight=weights) == pytest.approx(
        np.average(model.score_samples(X), weights=weights), rel=1e-6
    )


def test_validation_loss_is_the_weighted_mean_of_the_rows_losses():
    X = two_clusters(100)
    model = quick(Autoencoder).fit(X)
    weights = np.random.RandomState(0).exponential(size=len(X))
    net = model.net_
    dataset = InMemoryDataset(torch.from_numpy(X),
                              weight=torch.as_tensor(weights, dtype=torch.float32))
    net.run_single_epoch(TensorBatchIterator(dataset, 64), training=False,
                         prefix="weighted", step_fn=net.validation_step)
    errors = np.mean((model.inverse_transform(model.transform(X)) - X) ** 2, axis=1)
    expected = np.average(errors, weights=weights)
    assert net.history[-1, "weighted_loss"] == pytest.approx(expected, rel=1e-4)


# -- the (1+eps) detector's known anomalies --------------------------------------


def test_zero_weight_known_anomalies_are_not_used():
    X = two_clusters(200)
    y = np.r_[np.ones(200, int), -np.ones(200, int)]
    weights = np.ones(400)
    weights[300:] = 0.0
    model = OnePlusEpsilonDetector(max_epochs=2, **FAST).fit(X, y, sample_weight=weights)
    assert model.n_known_anomalies_ == 100


# -- metadata routing ----------------------------------------------------------


def test_grid_search_routes_weights_to_fit_and_score():
    X = two_clusters()
    weights = np.r_[np.ones(600), np.zeros(600)]
    order = np.random.RandomState(0).permutation(len(X))
    X, weights = X[order], weights[order]
    with sklearn.config_context(enable_metadata_routing=True):
        detector = (
            DeepSVDD(max_epochs=20, **FAST)
            .set_fit_request(sample_weight=True)
            .set_score_request(sample_weight=True)
        )
        search = GridSearchCV(detector, {"representation_dim": [2, 4]}, cv=2)
        search.fit(X, sample_weight=weights)
        pipeline = make_pipeline(
            StandardScaler().set_fit_request(sample_weight=True),
            Autoencoder(latent_dim=1, max_epochs=20, **FAST).set_fit_request(sample_weight=True),
        ).fit(X, sample_weight=weights)
    for model in (search.best_estimator_, pipeline):
        right = X[:, 0] > 1.0
        assert np.mean(model.predict(X[right]) == -1) > 0.95
        assert np.mean(model.predict(X[~right]) == 1) > 0.8


# -- negative weights ----------------------------------------------------------


def test_cell_resampling_keeps_the_weighted_distribution():
    # An NLO-like sample: a Gaussian with 20 % of the events at weight -1
    rng = np.random.RandomState(0)
    X = rng.normal(size=(20000, 2))
    weights = np.where(rng.rand(len(X)) < 0.8, 1.0, -1.0)
    resampled = cell_resample_weights(X, weights)
    assert (resampled >= 0).all()
    assert resampled.sum() == pytest.approx(weights.sum())
    bins = np.linspace(-2.5, 2.5, 11)
    before = np.histogram(X[:, 0], bins, weights=weights)[0]
    after = np.histogram(X[:, 0], bins, weights=resampled)[0]
    np.testing.assert_allclose(after, before, rtol=0.03)
    # an estimator takes the result
    NormalizingFlow(max_epochs=1, **FAST).fit(X.astype(np.float32), sample_weight=resampled)


def test_cell_resampling_leaves_non_negative_weights_alone_and_warns_on_negative_regions():
    rng = np.random.RandomState(1)
    X = rng.normal(size=(300, 2))
    weights = rng.exponential(size=300)
    np.testing.assert_array_equal(cell_resample_weights(X, weights), weights)
    # a far group of net-negative events cannot be balanced within the cell size
    X = np.r_[X, rng.normal(size=(5, 2)) + 50.0]
    weights = np.r_[weights, -np.ones(5)]
    with pytest.warns(UserWarning, match="negative weight"):
        resampled = cell_resample_weights(X, weights, max_cell_size=5)
    assert (resampled >= 0).all() and (resampled[-5:] == 0).all()
    with pytest.raises(ValueError, match="positive total"):
        cell_resample_weights(X[:3], -np.ones(3))


def test_auto_epsilon_counts_only_weighted_known_anomalies():
    # 30 labelled anomalies, 15 of them at weight 0: below the 20 that
    # epsilon='auto' needs for its search, so it falls back to its default
    X = two_clusters(100)
    y = np.r_[np.ones(170, int), -np.ones(30, int)]
    weights = np.r_[np.ones(185), np.zeros(15)]
    model = OnePlusEpsilonDetector(epsilon="auto", max_epochs=2, **FAST)
    model.fit(X, y, sample_weight=weights)
    assert model.epsilon_scores_ is None and model.n_known_anomalies_ == 15
    with pytest.raises(ValueError, match="negative"):
        model.fit(X, y, sample_weight=np.r_[-np.ones(1), np.ones(199)])


def test_chunked_scaler_skips_chunks_of_zero_weight():
    # the GAN and the flow fit their scaler chunk by chunk (memory-mapped data);
    # a whole chunk of zero weights must not count, nor stop the fit
    from sklearn_physgen._base import fit_standard_scaler

    rng = np.random.RandomState(0)
    X = rng.normal(size=(3000, 3))
    X[:1500] += 5.0
    weights = np.r_[np.zeros(1500), rng.exponential(size=1500)]
    chunked = fit_standard_scaler(X, chunk_size=500, sample_weight=weights)
    whole = StandardScaler().fit(X, sample_weight=weights)
    np.testing.assert_allclose(chunked.mean_, whole.mean_, rtol=1e-10)
    np.testing.assert_allclose(chunked.scale_, whole.scale_, rtol=1e-10)
