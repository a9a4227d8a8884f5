"""Autoencoder and VariationalAutoencoder: they learn, and they drop into scikit-learn."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import adjusted_rand_score, roc_auc_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_physgen import Autoencoder, VariationalAutoencoder
from sklearn_physgen._demo import make_demo_data

ESTIMATORS = [Autoencoder, VariationalAutoencoder]


def linear_manifold(n_samples=2000, noise=0.05, seed=0):
    """Data on a 2-D linear subspace of R^10 plus isotropic noise."""
    rng = np.random.RandomState(seed)
    return rng.normal(size=(n_samples, 2)) @ rng.normal(size=(2, 10)) + noise * (
        rng.normal(size=(n_samples, 10))
    )


def reconstruction_mse(model, X):
    return np.mean((model.inverse_transform(model.transform(X)) - X) ** 2)


# -- they learn ----------------------------------------------------------------


def test_linear_autoencoder_matches_pca_on_linear_manifold():
    X = linear_manifold()
    ae = Autoencoder(
        hidden_layer_sizes=(),
        latent_dim=2,
        activation="identity",
        learning_rate=1e-2,
        max_epochs=40,
        random_state=0,
        device="cpu",
    ).fit(X)
    ae_error = reconstruction_mse(ae, X)
    pca2_error = reconstruction_mse(PCA(2).fit(X), X)
    pca1_error = reconstruction_mse(PCA(1).fit(X), X)
    assert ae_error < 1.25 * pca2_error
    assert ae_error < 0.05 * pca1_error


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_planted_outliers_are_found(Estimator):
    X_train, X_test, y_test = make_demo_data(n_train=3000, random_state=1)
    model = make_pipeline(
        StandardScaler(),
        Estimator(latent_dim=2, max_epochs=40, random_state=0, device="cpu"),
    ).fit(X_train)
    auc = roc_auc_score(y_test, -model.score_samples(X_test))
    assert auc > 0.95
    # The default threshold flags most outliers and few inliers.
    flagged = model.predict(X_test) == -1
    assert flagged[y_test == 1].mean() > 0.7
    assert flagged[y_test == 0].mean() < 0.15


def test_vae_samples_match_training_mean_and_covariance():
    # A linear manifold plus isotropic noise is probabilistic PCA, which a VAE
    # with a Gaussian decoder of learned variance can represent exactly.
    X = linear_manifold(n_samples=4000, noise=0.3)
    vae = VariationalAutoencoder(
        latent_dim=2, max_epochs=60, learning_rate=3e-3, random_state=0, device="cpu"
    ).fit(X)
    samples = vae.sample(20000, random_state=1)
    assert samples.shape == (20000, 10)
    scale = np.abs(np.cov(X.T)).max()
    np.testing.assert_allclose(samples.mean(axis=0), X.mean(axis=0), atol=0.05 * scale)
    np.testing.assert_allclose(np.cov(samples.T), np.cov(X.T), atol=0.1 * scale)


def test_autoencoder_sample_decodes_gaussian_of_codes():
    X = linear_manifold()
    ae = Autoencoder(latent_dim=2, max_epochs=30, random_state=0, device="cpu").fit(X)
    assert ae.latent_mean_.shape == (2,)
    assert ae.latent_covariance_.shape == (2, 2)
    samples = ae.sample(5000, random_state=0)
    # On a linear manifold with Gaussian codes the decoded draws reproduce the
    # first two moments of the data.
    np.testing.assert_allclose(samples.mean(axis=0), X.mean(axis=0), atol=0.15)
    np.testing.assert_allclose(np.cov(samples.T), np.cov(X.T), atol=0.3)
    np.testing.assert_array_equal(
        ae.sample(3, random_state=4), ae.sample(3, random_state=4)
    )


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_training_loss_decreases_and_parameters_change(Estimator):
    from skorch.callbacks import Callback

    class RecordInitialParameters(Callback):
        def on_train_begin(self, net, **kwargs):
            self.initial_ = [p.detach().clone() for p in net.module_.parameters()]

    X = linear_manifold(n_samples=2000)
    recorder = RecordInitialParameters()
    model = Estimator(
        max_epochs=20,
        learning_rate=3e-3, callbacks=[("record", recorder)], random_state=0, device="cpu"
    ).fit(X)
    assert model.loss_curve_.shape == (20,)
    assert model.n_iter_ == 20
    first, last = model.loss_curve_[0], model.loss_curve_[-1]
    assert last < first - 0.3 * abs(first)
    initial = dict(model.net_.callbacks_)["record"].initial_
    final = list(model.module_.parameters())
    assert any(not torch.equal(a, b) for a, b in zip(initial, final))
    # the estimator's own callbacks list was not used in place
    assert not hasattr(recorder, "initial_")


def test_denoising_autoencoder_removes_noise_that_a_plain_one_keeps():
    # With a full-rank linear code a plain autoencoder learns the identity and
    # passes input noise through; trained on corrupted inputs it learns to
    # project onto the 2-D data manifold instead.
    X = linear_manifold(n_samples=2000, noise=0.01)
    X_noisy = X + 0.5 * np.random.RandomState(5).normal(size=X.shape)
    plain = Autoencoder(
        hidden_layer_sizes=(), latent_dim=10, activation="identity",
        learning_rate=3e-3, max_epochs=80, random_state=0, device="cpu",
    )
    denoising = clone(plain).set_params(noise_std=0.5)
    errors = {}
    for name, model in [("plain", plain), ("denoising", denoising)]:
        model.fit(X)
        errors[name] = np.mean((model.inverse_transform(model.transform(X_noisy)) - X) ** 2)
    pca = PCA(2).fit(X)
    projection_error = np.mean((pca.inverse_transform(pca.transform(X_noisy)) - X) ** 2)
    assert errors["denoising"] < 1.2 * projection_error
    assert errors["denoising"] < 0.6 * errors["plain"]


def test_vae_importance_weighted_bound_is_tighter_than_elbo():
    X = linear_manifold(n_samples=1000)
    vae = VariationalAutoencoder(max_epochs=20, random_state=0, device="cpu").fit(X)
    elbo = vae.score_samples(X[:200])
    iwae = vae.set_params(n_importance_samples=256).score_samples(X[:200])
    assert np.isfinite(iwae).all()
    # Bounds on log p(x): the importance-weighted one is larger on average.
    assert iwae.mean() > elbo.mean()
    assert vae.decoder_variance_.shape == (10,)


def test_vae_fixed_decoder_variance_is_kept():
    X = linear_manifold(n_samples=500)
    vae = VariationalAutoencoder(
        decoder_variance=0.25, max_epochs=3, random_state=0, device="cpu"
    ).fit(X)
    np.testing.assert_allclose(vae.decoder_variance_, 0.25, rtol=1e-6)


def test_vae_log_variances_are_clipped():
    X = linear_manifold(n_samples=500, noise=0.0)  # exactly 2-D: variance -> 0
    vae = VariationalAutoencoder(
        latent_dim=2, max_epochs=50, learning_rate=1e-2, random_state=0, device="cpu"
    ).fit(X)
    assert np.all(vae.decoder_variance_ >= np.exp(-10.0) * (1 - 1e-6))
    assert np.isfinite(vae.score_samples(X)).all()


# -- drop-in for scikit-learn ----------------------------------------------------


def plane_with_noise(n_samples, seed):
    """A 2-D plane of R^10 with isotropic noise; the label is the sign of z1 * z2.

    Predicting the label needs both in-plane coordinates, so one latent
    dimension is not enough, and a random (untrained) encoder mixes the noise
    dimensions into its codes.
    """
    rng = np.random.RandomState(seed)
    basis, _ = np.linalg.qr(rng.normal(size=(10, 2)))
    z = 3.0 * rng.normal(size=(n_samples, 2))
    X = z @ basis.T + 0.7 * rng.normal(size=(n_samples, 10))
    return X, (z[:, 0] * z[:, 1] > 0).astype(int)


def test_pipeline_grid_search_over_latent_dim():
    X, y = plane_with_noise(900, seed=0)
    X_train, X_test, y_train, y_test = X[:600], X[600:], y[:600], y[600:]
    pipe = Pipeline(
        [
            ("scaler", StandardScaler()),
            ("autoencoder", Autoencoder(max_epochs=40, random_state=0, device="cpu")),
            ("forest", RandomForestClassifier(n_estimators=50, random_state=0)),
        ]
    )
    search = GridSearchCV(pipe, {"autoencoder__latent_dim": [1, 2]}, cv=3)
    search.fit(X_train, y_train)
    one, two = search.cv_results_["mean_test_score"]
    # measured: 0.48 / 0.74 and 0.77 on held-out rows; an untrained encoder
    # (learning_rate=1e-12) gives 0.52 / 0.53 and 0.55
    assert search.best_params_ == {"autoencoder__latent_dim": 2}
    assert two - one > 0.1
    assert search.score(X_test, y_test) > 0.7


def test_grid_search_in_parallel_processes_matches_the_serial_search():
    X = linear_manifold(n_samples=300)
    grid = {"latent_dim": [1, 2]}
    model = Autoencoder(max_epochs=3, random_state=0, device="cpu")
    serial = GridSearchCV(model, grid, cv=2).fit(X)
    parallel = GridSearchCV(model, grid, cv=2, n_jobs=2).fit(X)
    # Unsupervised scoring: mean normality (minus reconstruction error).
    np.testing.assert_array_equal(
        parallel.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"]
    )
    np.testing.assert_array_equal(
        parallel.best_estimator_.score_samples(X), serial.best_estimator_.score_samples(X)
    )


def test_kmeans_on_latent_codes_separates_clusters():
    rng = np.random.RandomState(0)
    centres = rng.normal(scale=6.0, size=(3, 12))
    labels = rng.randint(3, size=900)
    X = centres[labels] + rng.normal(size=(900, 12))
    codes = Autoencoder(latent_dim=2, max_epochs=30, random_state=0, device="cpu"
                        ).fit_transform(X)
    predicted = KMeans(n_clusters=3, n_init=10, random_state=0).fit_predict(codes)
    assert adjusted_rand_score(labels, predicted) > 0.9


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_clone_and_pickle_round_trip(Estimator):
    X = linear_manifold(n_samples=400)
    model = Estimator(max_epochs=5, random_state=0, device="cpu").fit(X)
    unfitted = clone(model)
    assert not hasattr(unfitted, "net_")
    assert unfitted.get_params() == model.get_params()
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.score_samples(X), model.score_samples(X))
    np.testing.assert_array_equal(restored.transform(X), model.transform(X))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))
    np.testing.assert_array_equal(
        restored.sample(5, random_state=0), model.sample(5, random_state=0)
    )


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_random_state_makes_fits_identical(Estimator):
    X = linear_manifold(n_samples=400)
    first = Estimator(max_epochs=5, random_state=3, device="cpu").fit(X)
    second = Estimator(max_epochs=5, random_state=3, device="cpu").fit(X)
    other = Estimator(max_epochs=5, random_state=4, device="cpu").fit(X)
    np.testing.assert_array_equal(first.loss_curve_, second.loss_curve_)
    np.testing.assert_array_equal(first.score_samples(X), second.score_samples(X))
    assert not np.array_equal(first.score_samples(X), other.score_samples(X))


def test_transform_shapes_dtypes_and_feature_names():
    X = linear_manifold(n_samples=300).astype(np.float32)
    ae = Autoencoder(latent_dim=3, max_epochs=2, random_state=0, device="cpu").fit(X)
    Z = ae.transform(X)
    assert Z.shape == (300, 3) and Z.dtype == np.float32
    assert ae.transform(X.astype(np.float64)).dtype == np.float64
    assert ae.inverse_transform(Z).shape == X.shape
    assert list(ae.get_feature_names_out()) == [
        "autoencoder0", "autoencoder1", "autoencoder2"
    ]


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_outlier_api_follows_scikit_learn(Estimator):
    X = linear_manifold(n_samples=1000)
    model = Estimator(max_epochs=5, contamination=0.1, random_state=0, device="cpu")
    labels = model.fit_predict(X)
    assert set(np.unique(labels)) == {-1, 1}
    assert np.mean(labels == -1) == pytest.approx(0.1, abs=0.002)
    np.testing.assert_allclose(
        model.decision_function(X), model.score_samples(X) - model.offset_
    )
    assert model.score(X) == pytest.approx(model.score_samples(X).mean())


# -- user modules ----------------------------------------------------------------


class ImageEncoder(torch.nn.Module):
    """A small CNN on flattened 8x8 images."""

    def __init__(self, latent_dim=2):
        super().__init__()
        self.net = torch.nn.Sequential(
            torch.nn.Unflatten(1, (1, 8, 8)),
            torch.nn.Conv2d(1, 4, kernel_size=3, padding=1),
            torch.nn.ReLU(),
            torch.nn.Flatten(),
            torch.nn.Linear(4 * 64, latent_dim),
        )

    def forward(self, x):
        return self.net(x)


def blob_images(n_samples=400, seed=0):
    """8x8 images with one bright Gaussian blob at a random position."""
    rng = np.random.RandomState(seed)
    grid = np.arange(8)
    rows, cols = rng.uniform(1, 6, size=(2, n_samples))
    images = np.exp(
        -((grid[None, :, None] - rows[:, None, None]) ** 2
          + (grid[None, None, :] - cols[:, None, None]) ** 2) / 2.0
    )
    return images.reshape(n_samples, 64)


def test_user_cnn_encoder_and_decoder_train_and_keep_the_api():
    X = blob_images()
    decoder = torch.nn.Sequential(
        torch.nn.Linear(2, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64)
    )
    ae = Autoencoder(
        latent_dim=2, encoder=ImageEncoder, decoder=decoder, max_epochs=60,
        learning_rate=3e-3, random_state=0, device="cpu",
    ).fit(X)
    assert ae.loss_curve_[-1] < 0.3 * ae.loss_curve_[0]
    assert ae.transform(X).shape == (400, 2)
    assert ae.sample(4, random_state=0).shape == (4, 64)
    # the decoder instance passed in was copied, never trained in place
    assert ae.module_.decoder is not decoder
    restored = pickle.loads(pickle.dumps(ae))
    np.testing.assert_array_equal(restored.score_samples(X), ae.score_samples(X))
    # a callable module factory is re-initialised under random_state
    again = clone(ae).fit(X)
    np.testing.assert_array_equal(again.loss_curve_, ae.loss_curve_)


def test_user_vae_encoder_must_output_mean_and_log_variance():
    X = linear_manifold(n_samples=100)
    wrong = torch.nn.Linear(10, 2)  # latent_dim=2 needs 4 outputs
    with pytest.raises(ValueError, match=r"encoder must map .* \(batch, 4\)"):
        VariationalAutoencoder(latent_dim=2, encoder=wrong, device="cpu").fit(X)
    right = torch.nn.Linear(10, 4)
    vae = VariationalAutoencoder(
        latent_dim=2, encoder=right, max_epochs=2, device="cpu"
    ).fit(X)
    assert vae.transform(X).shape == (100, 2)


def test_user_module_factory_returning_garbage_is_rejected():
    with pytest.raises(TypeError, match="encoder must be a torch.nn.Module"):
        Autoencoder(encoder=lambda: "not a module", device="cpu").fit(
            linear_manifold(n_samples=50)
        )


def _condition_dependent_gaussian(n_samples, seed):
    """2-D x given y: mean (2y, -y), spread 0.2 + 0.1 (y + 2); y uniform on
    [-2, 2] without (-1.5, -1.25) and (0.75, 1), so those are never seen."""
    rng = np.random.RandomState(seed)
    y = rng.uniform(-2, 2, size=3 * n_samples)
    y = y[((y < -1.5) | (y > -1.25)) & ((y < 0.75) | (y > 1.0))][:n_samples]
    spread = (0.2 + 0.1 * (y + 2))[:, None]
    X = np.column_stack([2.0 * y, -y]) + spread * rng.normal(size=(len(y), 2))
    return X, y


def test_conditional_vae_reproduces_mean_and_spread_at_held_out_conditions():
    X, y = _condition_dependent_gaussian(4000, 0)
    # A small fixed decoder variance makes the latent code carry the spread
    # (a learned one is a single variance per feature, the same for every y).
    vae = VariationalAutoencoder(
        latent_dim=2, hidden_layer_sizes=(64, 64), decoder_variance=0.01,
        conditional=True, max_epochs=100, random_state=0, device="cpu",
    ).fit(X, y)
    assert vae.n_conditions_ == 1
    for condition in (-1.375, 0.875, 1.75):  # the first two are held out
        samples = vae.sample(3000, y=[condition], random_state=1)
        np.testing.assert_allclose(
            samples.mean(axis=0), [2.0 * condition, -condition], atol=0.2
        )
        expected_std = 0.2 + 0.1 * (condition + 2)
        assert np.all(samples.std(axis=0) > 0.7 * expected_std)
        assert np.all(samples.std(axis=0) < 1.4 * expected_std)
    # The conditions are part of the score: a sample is typical only at its own y.
    x_at_one = np.array([[2.0, -1.0]])
    assert vae.score_samples(x_at_one, y=[1.0]) > vae.score_samples(x_at_one, y=[-1.0])
    assert vae.transform(X[:7], y[:7]).shape == (7, 2)
    assert vae.inverse_transform(np.zeros((3, 2)), y=[0.75]).shape == (3, 2)


def test_conditional_vae_with_categorical_conditions_and_pickle():
    rng = np.random.RandomState(0)
    labels = rng.choice(["electron", "photon"], size=1500)
    X = np.where(labels == "electron", -2.0, 2.0)[:, None] + 0.3 * rng.normal(size=(1500, 2))
    vae = VariationalAutoencoder(
        latent_dim=1, conditional=True, max_epochs=30, random_state=0, device="cpu"
    ).fit(X, labels)
    assert vae.n_conditions_ == 2
    assert vae.sample(500, y=["electron"], random_state=0).mean() < -1.0
    assert vae.sample(500, y=["photon"], random_state=0).mean() > 1.0
    restored = pickle.loads(pickle.dumps(vae))
    np.testing.assert_array_equal(
        restored.sample(5, y=["photon"], random_state=2),
        vae.sample(5, y=["photon"], random_state=2),
    )
    with pytest.raises(ValueError, match="unknown categor"):
        vae.sample(5, y=["muon"])


def test_vae_conditions_are_opt_in_and_checked():
    X, y = _condition_dependent_gaussian(300, 1)
    params = {"max_epochs": 2, "random_state": 0, "device": "cpu"}
    plain = VariationalAutoencoder(**params)
    # Unconditional by default: y is ignored, as in a labelled Pipeline.
    np.testing.assert_array_equal(
        plain.fit(X, y).score_samples(X), clone(plain).fit(X).score_samples(X)
    )
    with pytest.raises(ValueError, match="without conditions"):
        plain.sample(3, y=[0.0])
    with pytest.raises(ValueError, match="needs the conditions"):
        VariationalAutoencoder(conditional=True, **params).fit(X)
    conditional = VariationalAutoencoder(conditional=True, **params).fit(X, y)
    with pytest.raises(ValueError, match="pass the conditions"):
        conditional.score_samples(X)
    with pytest.raises(ValueError, match="condition columns"):
        conditional.sample(3, y=np.zeros((3, 2)))
