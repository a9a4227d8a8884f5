import pickle

import numpy as np
import pytest
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import KernelDensity
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_physgen import GAN, TransformedGenerator, VariationalAutoencoder
from sklearn_physgen.metrics import classifier_two_sample_test, wasserstein_distances


def correlated_lognormal(n_samples, random_state):
    rng = np.random.RandomState(random_state)
    covariance = np.array([[1.0, 0.8], [0.8, 1.0]])
    return np.exp(rng.multivariate_normal([0.0, 0.0], covariance, size=n_samples))


def expected_failed_checks(estimator):
    if isinstance(estimator.generator, GaussianMixture):
        return {}
    # see MINI_BATCH_TRAINING in test_common.py
    return {"check_sample_weight_equivalence_on_dense_data": (
        "the VAE is trained by mini-batch SGD: weights equal repetition in "
        "expectation, not bit for bit"
    )}


@parametrize_with_checks(
    [
        TransformedGenerator(GaussianMixture(2, random_state=0)),
        TransformedGenerator(
            VariationalAutoencoder(latent_dim=2, max_epochs=3, random_state=0, device="cpu")
        ),
    ],
    expected_failed_checks=expected_failed_checks,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_gaussianising_makes_a_gaussian_model_exact_on_lognormal_data():
    X_train, X_test = correlated_lognormal(1500, 0), correlated_lognormal(1500, 1)
    raw = GaussianMixture(1, random_state=0).fit(X_train).sample(1500)[0]
    transformed = TransformedGenerator(GaussianMixture(1, random_state=0)).fit(X_train)
    generated = transformed.sample(1500, random_state=0)

    scaler = StandardScaler().fit(X_train)
    auc_raw = classifier_two_sample_test(
        scaler.transform(X_test), scaler.transform(raw), random_state=0
    ).auc
    auc_transformed = classifier_two_sample_test(
        scaler.transform(X_test), scaler.transform(generated), random_state=0
    ).auc
    assert auc_raw > 0.75  # a Gaussian cannot make positive, long-tailed data
    assert auc_transformed < 0.57
    assert generated.min() > 0
    correlation = np.corrcoef(np.log(generated), rowvar=False)[0, 1]
    assert correlation == pytest.approx(0.8, abs=0.05)


def test_vae_marginals_improve_in_the_gaussianised_space():
    X_train, X_test = correlated_lognormal(2000, 2), correlated_lognormal(2000, 3)
    params = {"latent_dim": 2, "max_epochs": 60, "random_state": 0, "device": "cpu"}
    raw = VariationalAutoencoder(**params).fit(X_train).sample(2000, random_state=0)
    transformed = (
        TransformedGenerator(VariationalAutoencoder(**params))
        .fit(X_train)
        .sample(2000, random_state=0)
    )
    assert np.mean(wasserstein_distances(X_test, transformed)) < 0.6 * np.mean(
        wasserstein_distances(X_test, raw)
    )


def test_conditions_and_random_state_reach_the_generator():
    rng = np.random.RandomState(0)
    y = rng.uniform(1.0, 2.0, size=600)
    X = np.column_stack([y * rng.lognormal(size=600), rng.lognormal(size=600)])
    gan = GAN(conditional=True, latent_dim=2, max_epochs=2, random_state=0, device="cpu")
    model = TransformedGenerator(gan).fit(X, y)
    assert model.generator_.n_conditions_ == 1
    first = model.sample(50, y=np.full(50, 1.5), random_state=3)
    again = model.sample(50, y=np.full(50, 1.5), random_state=3)
    np.testing.assert_array_equal(first, again)
    assert first.shape == (50, 2)


def test_latent_round_trip_and_pickle():
    X = correlated_lognormal(500, 4)
    model = TransformedGenerator(
        VariationalAutoencoder(latent_dim=2, max_epochs=5, random_state=0, device="cpu")
    ).fit(X)
    codes = model.transform(X[:10])
    assert codes.shape == (10, 2)
    assert model.inverse_transform(codes).shape == (10, 2)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.score_samples(X), model.score_samples(X))


def test_methods_the_generator_lacks_are_absent():
    model = TransformedGenerator(KernelDensity()).fit(correlated_lognormal(100, 5))
    assert not hasattr(model, "transform")
    assert model.sample(5, random_state=0).shape == (5, 2)


def test_bad_generator_and_feature_mismatch():
    with pytest.raises(ValueError, match="generator"):
        TransformedGenerator(StandardScaler()).fit(correlated_lognormal(100, 6))
    model = TransformedGenerator(KernelDensity()).fit(correlated_lognormal(100, 6))
    with pytest.raises(ValueError, match="features"):
        model.score_samples(np.ones((3, 5)))


def btag_like(n_samples, random_state):
    """A 3-valued column (0, 1, 4) and a lognormal column whose scale depends on it."""
    rng = np.random.RandomState(random_state)
    tag = rng.choice([0.0, 1.0, 4.0], p=[0.6, 0.1, 0.3], size=n_samples)
    return np.column_stack([tag, (1.0 + tag) * rng.lognormal(size=n_samples)])


@pytest.mark.parametrize("discrete_features", ["auto", [0], [True, False]])
def test_discrete_columns_are_dequantised_and_come_back_discrete(discrete_features):
    X = btag_like(3000, 0)
    model = TransformedGenerator(
        GaussianMixture(3, random_state=0),
        discrete_features=discrete_features,
        random_state=0,
    ).fit(X)
    assert list(model.discrete_levels_) == [0]
    generated = model.sample(6000, random_state=1)
    assert set(np.unique(generated[:, 0])) <= {0.0, 1.0, 4.0}
    frequencies = [np.mean(generated[:, 0] == level) for level in (0.0, 1.0, 4.0)]
    np.testing.assert_allclose(frequencies, [0.6, 0.1, 0.3], atol=0.03)
    # The dependence survives: the continuous column grows with the tag.
    assert np.median(generated[generated[:, 0] == 4.0, 1]) > 3 * np.median(
        generated[generated[:, 0] == 0.0, 1]
    )
    np.testing.assert_array_equal(model.score_samples(X[:5]), model.score_samples(X[:5]))


def test_bad_discrete_features():
    X = btag_like(100, 1)
    with pytest.raises(ValueError, match="mask"):
        TransformedGenerator(KernelDensity(), discrete_features=[True]).fit(X)
    with pytest.raises(ValueError, match="outside"):
        TransformedGenerator(KernelDensity(), discrete_features=[5]).fit(X)
