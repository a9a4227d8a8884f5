"""GAN: mode coverage, disjoint supports, conditional generation, API."""

import pickle

import numpy as np
import pytest

from sklearn_physgen import GAN

SUMMER_MEANS = {"Alice Springs": 36.0, "South Pole": -28.0}


def summer_temperatures(n_samples=3000, warm_fraction=0.7, seed=0):
    """The lectures' two-mode example: two well-separated 1-D modes."""
    rng = np.random.RandomState(seed)
    n_warm = int(warm_fraction * n_samples)
    return np.r_[
        rng.normal(SUMMER_MEANS["Alice Springs"], 3.0, n_warm),
        rng.normal(SUMMER_MEANS["South Pole"], 3.0, n_samples - n_warm),
    ][:, None]


@pytest.mark.parametrize(
    "params",
    [
        {"loss": "bce", "latent_dim": 2, "learning_rate": 1e-3, "batch_size": 64,
         "max_epochs": 50},
        {"loss": "wasserstein", "n_critic": 5, "learning_rate": 1e-3, "batch_size": 64,
         "latent_dim": 2, "max_epochs": 25},
    ],
    ids=["bce", "wasserstein"],
)
def test_both_modes_are_generated_in_the_training_proportions(params):
    X = summer_temperatures()
    mean, std = X.mean(), X.std()
    gan = GAN(random_state=0, device="cpu", **params).fit((X - mean) / std)
    samples = gan.sample(5000, random_state=1)[:, 0] * std + mean
    warm = samples > 4.0
    assert 0.6 < warm.mean() < 0.8
    assert abs(samples[warm].mean() - SUMMER_MEANS["Alice Springs"]) < 6.0
    assert abs(samples[~warm].mean() - SUMMER_MEANS["South Pole"]) < 6.0


def test_wasserstein_gan_learns_a_disjoint_support():
    # The lectures' example: real data far from where the generator starts;
    # the Wasserstein critic still gives the generator a useful gradient.
    X = np.random.RandomState(0).normal(4.0, 0.05, size=(1024, 1))
    gan = GAN(loss="wasserstein", n_critic=5, max_epochs=40, random_state=0,
              device="cpu").fit(X)
    samples = gan.sample(2000, random_state=0)
    assert abs(samples.mean() - 4.0) < 0.5
    assert gan.wasserstein_curve_.shape == (40,)
    # the critic's distance estimate is positive: it ranks real above generated
    assert np.mean(gan.wasserstein_curve_ > 0) > 0.5


def test_conditional_gan_reproduces_mean_and_spread_at_held_out_conditions():
    rng = np.random.RandomState(0)
    y = rng.uniform(-2, 2, size=4000)
    X = (2.0 * y + (0.2 + 0.2 * np.abs(y)) * rng.normal(size=4000))[:, None]
    gan = GAN(latent_dim=4, learning_rate=3e-4, batch_size=64, max_epochs=30,
              random_state=0, device="cpu").fit(X, y)
    assert gan.n_conditions_ == 1
    for condition in (-1.5, 0.25, 1.75):  # values not in the training set
        samples = gan.sample(3000, y=[condition], random_state=1)[:, 0]
        assert abs(samples.mean() - 2.0 * condition) < 0.3
        expected_std = 0.2 + 0.2 * abs(condition)
        assert 0.5 * expected_std < samples.std() < 1.6 * expected_std


def test_categorical_conditions_select_the_class():
    rng = np.random.RandomState(0)
    labels = rng.choice(["electron", "photon"], size=2000)
    X = np.where(labels == "electron", -2.0, 2.0)[:, None] + 0.3 * rng.normal(size=(2000, 1))
    gan = GAN(latent_dim=2, learning_rate=1e-3, batch_size=64, max_epochs=20,
              random_state=0, device="cpu").fit(X, labels)
    assert gan.n_conditions_ == 2
    assert gan.sample(500, y=["electron"], random_state=0).mean() < -1.0
    assert gan.sample(500, y=["photon"], random_state=0).mean() > 1.0
    with pytest.raises(ValueError, match="unknown categor"):
        gan.sample(5, y=["muon"])


def test_history_of_both_losses_and_outlier_api():
    X = np.random.RandomState(0).normal(size=(512, 3))
    gan = GAN(max_epochs=4, random_state=0, device="cpu").fit(X)
    assert gan.loss_curve_.shape == gan.discriminator_loss_curve_.shape == (4,)
    assert gan.wasserstein_curve_ is None
    assert "discriminator_loss" in gan.history_[-1]
    np.testing.assert_allclose(
        gan.decision_function(X), gan.score_samples(X) - gan.offset_
    )
    assert set(np.unique(gan.predict(X))) <= {-1, 1}
    assert not hasattr(gan, "transform")


@pytest.mark.parametrize("loss", ["bce", "wasserstein"])
def test_reproducible_and_pickle_round_trip(loss):
    X = np.random.RandomState(0).normal(size=(300, 2))
    first = GAN(loss=loss, max_epochs=3, random_state=0, device="cpu").fit(X)
    second = GAN(loss=loss, max_epochs=3, random_state=0, device="cpu").fit(X)
    np.testing.assert_array_equal(first.sample(10, random_state=0),
                                  second.sample(10, random_state=0))
    restored = pickle.loads(pickle.dumps(first))
    np.testing.assert_array_equal(restored.sample(10, random_state=0),
                                  first.sample(10, random_state=0))
    np.testing.assert_array_equal(restored.score_samples(X), first.score_samples(X))


def test_bad_conditions_get_clear_errors():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 2))
    y = rng.normal(size=200)
    conditional = GAN(max_epochs=1, random_state=0, device="cpu").fit(X, y)
    with pytest.raises(ValueError, match="fitted with conditions"):
        conditional.sample(5)
    with pytest.raises(ValueError, match="condition columns"):
        conditional.sample(5, y=np.zeros((5, 2)))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        conditional.sample(5, y=np.zeros(3))
    unconditional = GAN(max_epochs=1, random_state=0, device="cpu").fit(X)
    with pytest.raises(ValueError, match="without conditions"):
        unconditional.sample(5, y=[1.0])
    with pytest.raises(ValueError, match="NaN"):
        GAN(max_epochs=1, device="cpu").fit(X, np.r_[np.nan, y[1:]])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        GAN(max_epochs=1, device="cpu").fit(X, y[:10])
    with pytest.raises(ValueError, match="adam_betas"):
        GAN(max_epochs=1, adam_betas=(0.5, 1.5), device="cpu").fit(X)
