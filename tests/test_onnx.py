"""ONNX export: each exported graph, run by ONNX Runtime, gives the estimator's output."""

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from sklearn_physgen import (
    GAN,
    Autoencoder,
    DeepSVDD,
    NormalizingFlow,
    OnePlusEpsilonDetector,
    VariationalAutoencoder,
    export_onnx,
)

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnxscript")

QUICK = {"max_epochs": 3, "random_state": 0, "device": "cpu"}


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 4)).astype(np.float32)
    # raw units, for the pipelines: the scaler has work to do
    raw = (50.0 + 20.0 * rng.normal(size=(300, 4))).astype(np.float32)
    far = np.r_[X[:20], 8.0 + X[:5]]  # a few rows outside the (1+eps) box
    return X, raw, far


def run(path, array):
    session = ort.InferenceSession(str(path))
    (name,) = [node.name for node in session.get_inputs()]
    return session.run(None, {name: np.asarray(array, dtype=np.float32)})[0]


def assert_matches(got, expected):
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5 * np.abs(expected).max())


@pytest.mark.parametrize(
    "Estimator", [Autoencoder, DeepSVDD, OnePlusEpsilonDetector, NormalizingFlow]
)
@pytest.mark.parametrize("method", ["score_samples", "decision_function"])
def test_scores_match(tmp_path, data, Estimator, method):
    X, _, far = data
    model = Estimator(**QUICK).fit(X)
    path = export_onnx(model, tmp_path / "model.onnx", method=method)
    assert_matches(run(path, far), getattr(model, method)(far))
    # any number of rows, one included
    assert_matches(run(path, far[:1]), getattr(model, method)(far[:1]))


def test_a_pipelines_scaling_goes_into_the_graph(tmp_path, data):
    _, raw, _ = data
    pipeline = make_pipeline(StandardScaler(), OnePlusEpsilonDetector(**QUICK)).fit(raw)
    path = export_onnx(pipeline, tmp_path / "pipeline.onnx")
    assert_matches(run(path, raw), pipeline.score_samples(raw))


@pytest.mark.parametrize("Estimator", [Autoencoder, VariationalAutoencoder])
def test_transform_matches(tmp_path, data, Estimator):
    X, _, _ = data
    model = Estimator(**QUICK).fit(X)
    path = export_onnx(model, tmp_path / "encoder.onnx", method="transform")
    assert_matches(run(path, X), model.transform(X))


def test_gan_sampling_path_noise_in_events_out(tmp_path, data):
    _, raw, _ = data
    gan = GAN(**QUICK).fit(raw)
    path = export_onnx(gan, tmp_path / "generator.onnx")
    noise = np.random.RandomState(1).standard_normal((50, gan.latent_dim))
    assert_matches(run(path, noise), gan.sample(50, random_state=1))


@pytest.mark.parametrize("kind", ["continuous", "categorical"])
def test_conditional_gan_noise_and_conditions_in_events_out(tmp_path, data, kind):
    # fast simulation: events generated at given conditions
    _, raw, _ = data
    rng = np.random.RandomState(2)
    y = rng.uniform(1.0, 5.0, len(raw)) if kind == "continuous" else rng.randint(0, 3, len(raw))
    gan = GAN(conditional=True, **QUICK).fit(raw, y)
    path = export_onnx(gan, tmp_path / "conditional.onnx")
    conditions = (np.linspace(1.0, 5.0, 40) if kind == "continuous"
                  else np.arange(40) % 3)
    noise = np.random.RandomState(1).standard_normal((40, gan.latent_dim))
    session = ort.InferenceSession(str(path))
    assert [node.name for node in session.get_inputs()] == ["Z", "C"]
    got = session.run(None, {"Z": noise.astype(np.float32),
                             "C": conditions[:, None].astype(np.float32)})[0]
    assert_matches(got, gan.sample(40, y=conditions, random_state=1))


def test_what_cannot_be_exported_says_why(tmp_path, data):
    X, raw, _ = data
    with pytest.raises(NotImplementedError, match="Monte Carlo"):
        export_onnx(VariationalAutoencoder(**QUICK).fit(X), tmp_path / "v.onnx",
                    method="score_samples")
    with pytest.raises(ValueError, match="Exporting sample is supported for GAN"):
        export_onnx(NormalizingFlow(**QUICK).fit(X), tmp_path / "f.onnx", method="sample")
    with pytest.raises(NotImplementedError, match="conditional"):
        export_onnx(GAN(conditional=True, **QUICK).fit(X, X[:, 0]), tmp_path / "g.onnx",
                    method="score_samples")
    with pytest.raises(NotImplementedError, match="non-numeric categories"):
        export_onnx(GAN(conditional=True, **QUICK).fit(X, np.array(["a", "b"] * 150)),
                    tmp_path / "g.onnx")
    with pytest.raises(TypeError, match="MinMaxScaler"):
        export_onnx(make_pipeline(MinMaxScaler(), Autoencoder(**QUICK)).fit(raw),
                    tmp_path / "p.onnx")
    with pytest.raises(ValueError, match="transform is supported for Autoencoder"):
        export_onnx(DeepSVDD(**QUICK).fit(X), tmp_path / "d.onnx", method="transform")
    assert not list(tmp_path.iterdir())  # nothing half-written
