"""NormalizingFlow: exact density, sampling, latent space, conditions, API."""

import pickle

import numpy as np
import pytest
import torch
from scipy.stats import multivariate_normal
from sklearn.datasets import make_moons
from sklearn.mixture import GaussianMixture

from sklearn_physgen import NormalizingFlow
from sklearn_physgen.metrics import classifier_two_sample_test

COVARIANCE = np.array([[4.0, 1.35], [1.35, 0.5]])  # correlation 0.95


def correlated_gaussian(n_samples, seed):
    return np.random.RandomState(seed).multivariate_normal([3.0, -1.0], COVARIANCE, n_samples)


@pytest.mark.parametrize("coupling, autoregressive",
                         [("spline", False), ("affine", False), ("spline", True)])
def test_log_density_is_the_change_of_variables_formula(coupling, autoregressive):
    X = make_moons(600, noise=0.1, random_state=0)[0] * [10.0, 0.5]
    flow = NormalizingFlow(coupling=coupling, autoregressive=autoregressive, max_epochs=5,
                           random_state=0, device="cpu").fit(X)
    network, scaler = flow.net_.module_, flow.scaler_
    mean = torch.tensor(scaler.mean_, dtype=torch.float32)
    scale = torch.tensor(scaler.scale_, dtype=torch.float32)
    for x in X[:4]:
        def to_latent(x_raw):
            return network.to_base(((x_raw - mean) / scale)[None])[0]

        x = torch.tensor(x, dtype=torch.float32)
        jacobian = torch.autograd.functional.jacobian(to_latent, x)
        z = to_latent(x).detach().numpy()
        expected = (multivariate_normal(np.zeros(2)).logpdf(z)
                    + np.linalg.slogdet(jacobian.numpy())[1])
        np.testing.assert_allclose(flow.score_samples(x.numpy()[None])[0], expected,
                                   rtol=1e-4, atol=1e-4)


def test_flow_learns_a_density_close_to_the_truth():
    X, X_test = correlated_gaussian(3000, 0), correlated_gaussian(2000, 1)
    true_log_likelihood = multivariate_normal([3.0, -1.0], COVARIANCE).logpdf(X_test).mean()
    flow = NormalizingFlow(random_state=0, device="cpu").fit(X)
    assert abs(flow.score_samples(X_test).mean() - true_log_likelihood) < 0.05
    # a single small step is far from it: the test needs the training
    short = NormalizingFlow(max_epochs=1, early_stopping=False, learning_rate=1e-4,
                            batch_size=len(X), random_state=0, device="cpu").fit(X)
    assert short.score_samples(X_test).mean() < true_log_likelihood - 0.5


@pytest.mark.slow
def test_flow_samples_moons_that_a_classifier_cannot_tell_apart():
    X = make_moons(2000, noise=0.05, random_state=0)[0]
    X_test = make_moons(2000, noise=0.05, random_state=1)[0]
    flow = NormalizingFlow(random_state=0, device="cpu").fit(X)
    samples = flow.sample(2000, random_state=0)
    flow_auc = classifier_two_sample_test(X_test, samples, random_state=0).auc
    mixture = GaussianMixture(3, random_state=0).fit(X)
    mixture_auc = classifier_two_sample_test(X_test, mixture.sample(2000)[0],
                                             random_state=0).auc
    assert flow_auc < 0.65 < mixture_auc
    # held-out log-likelihood above the mixture's too
    assert flow.score_samples(X_test).mean() > mixture.score(X_test)


def test_transform_gaussianises_and_inverts():
    # skewed but not heavy-tailed: the splines act within 5 standard
    # deviations and are the identity beyond (heavy tails: TransformedGenerator)
    X = np.random.RandomState(0).gamma(4.0, size=(1500, 3))
    flow = NormalizingFlow(random_state=0, device="cpu").fit(X)
    Z = flow.transform(X)
    assert Z.shape == X.shape
    np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=0.15)
    np.testing.assert_allclose(Z.std(axis=0), 1.0, atol=0.15)
    np.testing.assert_allclose(flow.inverse_transform(Z), X, rtol=1e-3, atol=1e-3)
    assert flow.fit_transform(X).shape == X.shape


def test_autoregressive_flow_inverts_one_feature_at_a_time_exactly():
    # sampling inverts the layers feature by feature; it must undo transform
    X = np.random.RandomState(0).gamma(4.0, size=(400, 5))
    flow = NormalizingFlow(autoregressive=True, max_epochs=3, random_state=0,
                           device="cpu").fit(X)
    np.testing.assert_allclose(flow.inverse_transform(flow.transform(X)), X,
                               rtol=1e-3, atol=1e-3)
    Z = np.random.RandomState(1).standard_normal((50, 5))
    np.testing.assert_allclose(flow.transform(flow.inverse_transform(Z)), Z,
                               rtol=1e-3, atol=1e-3)


def test_conditional_flow_with_categorical_conditions():
    rng = np.random.RandomState(0)
    labels = rng.choice(["electron", "photon"], size=3000)
    X = np.where(labels == "electron", -2.0, 2.0)[:, None] + 0.3 * rng.normal(size=(3000, 2))
    flow = NormalizingFlow(conditional=True, random_state=0, device="cpu").fit(X, labels)
    assert flow.n_conditions_ == 2
    assert flow.sample(500, y=["electron"], random_state=0).mean() < -1.5
    assert flow.sample(500, y=["photon"], random_state=0).mean() > 1.5
    # the density at the conditions: electrons are likely near -2, not near +2
    point = np.array([[-2.0, -2.0]])
    assert flow.score_samples(point, y=["electron"]) > flow.score_samples(point, y=["photon"]) + 5
    with pytest.raises(ValueError, match="unknown categor"):
        flow.sample(5, y=["muon"])


def test_conditioning_is_opt_in_and_bad_conditions_get_clear_errors():
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(200, 2)), rng.normal(size=200)
    ignored = NormalizingFlow(max_epochs=2, random_state=0, device="cpu").fit(X, y)
    assert ignored.n_conditions_ == 0
    with pytest.raises(ValueError, match="without conditions"):
        ignored.sample(5, y=[1.0])
    conditional = NormalizingFlow(conditional=True, max_epochs=2, random_state=0,
                                  device="cpu").fit(X, y)
    with pytest.raises(ValueError, match="fitted with conditions"):
        conditional.sample(5)
    with pytest.raises(ValueError, match="condition columns"):
        conditional.transform(X, y=np.zeros((200, 2)))
    with pytest.raises(ValueError, match="needs the conditions"):
        NormalizingFlow(conditional=True).fit(X)
    with pytest.raises(ValueError, match="NaN"):
        NormalizingFlow(conditional=True).fit(X, np.r_[np.nan, y[1:]])
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        NormalizingFlow(hidden_layer_sizes=(16, 0)).fit(X)
    with pytest.raises(ValueError, match="expecting 2 features"):
        conditional.inverse_transform(np.zeros((3, 5)), y=np.zeros(3))


def test_reproducible_and_pickle_round_trip():
    X = correlated_gaussian(400, 0)
    first = NormalizingFlow(max_epochs=3, random_state=0, device="cpu").fit(X)
    second = NormalizingFlow(max_epochs=3, random_state=0, device="cpu").fit(X)
    np.testing.assert_array_equal(first.sample(10, random_state=0),
                                  second.sample(10, random_state=0))
    restored = pickle.loads(pickle.dumps(first))
    np.testing.assert_array_equal(restored.sample(10, random_state=0),
                                  first.sample(10, random_state=0))
    np.testing.assert_array_equal(restored.score_samples(X), first.score_samples(X))
    assert restored.validation_loss_curve_.shape == (restored.n_iter_,)


def test_moving_average_of_the_weights_is_what_the_fitted_flow_uses():
    X = correlated_gaussian(600, 0)
    averaged = NormalizingFlow(max_epochs=3, random_state=0, device="cpu").fit(X)
    network = averaged.net_.module_
    assert network.n_average_updates == averaged.n_iter_ * 5  # 540 training rows, batches of 128
    # evaluation mode: the averaged weights, which differ from the trained ones
    rows = torch.tensor(averaged.scaler_.transform(X[:5]), dtype=torch.float32)
    with torch.no_grad():
        trained = network.flow().log_prob(rows).numpy()
        average = network.average().log_prob(rows).numpy()
    assert not np.allclose(trained, average)
    np.testing.assert_allclose(
        averaged.score_samples(X[:5]),
        average - np.log(averaged.scaler_.scale_).sum(), rtol=1e-5,
    )
    plain = NormalizingFlow(average_decay=0.0, max_epochs=3, random_state=0,
                            device="cpu").fit(X)
    assert plain.net_.module_.average is None
