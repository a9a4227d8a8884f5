"""Training on a GPU, and loading a GPU-trained model on a machine without one.

Skipped without CUDA (CI has none). Loading is checked in a separate Python
process started with ``CUDA_VISIBLE_DEVICES=""``, so the restored model really
sees no GPU, rather than a monkeypatched ``torch.cuda.is_available``.
"""

import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from sklearn_physgen import (
    GAN,
    Autoencoder,
    DeepSVDD,
    NormalizingFlow,
    OnePlusEpsilonDetector,
    TransformedGenerator,
    VariationalAutoencoder,
)

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def training_data(n_samples=600, n_features=6, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, n_features))
    y = np.ones(n_samples, dtype=int)
    y[:20] = -1
    X[:20] += 4.0
    return X, y


COMMON = {"max_epochs": 4, "device": "cuda", "random_state": 0}

CASES = {
    "autoencoder": (lambda: Autoencoder(**COMMON), False),
    "autoencoder-early-stopping": (lambda: Autoencoder(early_stopping=True, **COMMON), False),
    "vae": (lambda: VariationalAutoencoder(**COMMON), False),
    "gan": (lambda: GAN(**COMMON), False),
    "wgan": (lambda: GAN(loss="wasserstein", **COMMON), False),
    "flow": (lambda: NormalizingFlow(**COMMON), False),
    "transformed-gan": (
        lambda: TransformedGenerator(GAN(**COMMON), random_state=0),
        False,
    ),
    "deep-svdd": (lambda: DeepSVDD(**COMMON), False),
    **{
        f"ope-{sampler}-{'labels' if labelled else 'one-class'}": (
            lambda sampler=sampler: OnePlusEpsilonDetector(sampler=sampler, **COMMON),
            labelled,
        )
        for sampler in ("uniform", "hmc", "rmsprop", "deep")
        for labelled in (False, True)
    },
    "ope-early-stopping-labels": (
        lambda: OnePlusEpsilonDetector(early_stopping=True, **COMMON),
        True,
    ),
}

OUTPUT_METHODS = ("score_samples", "transform", "predict_proba", "decision_function")

LOAD_ON_CPU = textwrap.dedent(
    """
    import pickle, sys
    import numpy as np
    import torch
    assert not torch.cuda.is_available()
    with open(sys.argv[1], "rb") as f:
        model = pickle.load(f)
    X = np.load(sys.argv[2])
    methods = sys.argv[4].split(",")
    out = {name: getattr(model, name)(X) for name in methods}
    if hasattr(model, "sample"):
        out["sample"] = model.sample(50, random_state=0)
    module = getattr(model, "module_", None)
    if module is not None:
        out["on_cpu"] = np.array([all(not p.is_cuda for p in module.parameters())])
    np.savez(sys.argv[3], **out)
    """
)


def outputs(model, X):
    methods = [name for name in OUTPUT_METHODS if hasattr(model, name)]
    out = {name: getattr(model, name)(X) for name in methods}
    if hasattr(model, "sample"):
        out["sample"] = model.sample(50, random_state=0)
    return methods, out


@pytest.mark.parametrize("case", sorted(CASES))
def test_trains_on_cuda_and_loads_back_on_a_machine_without_one(case, tmp_path):
    make, labelled = CASES[case]
    X, y = training_data()
    model = make().fit(X, y if labelled else None)

    fitted = model.generator_ if isinstance(model, TransformedGenerator) else model
    assert fitted.device_.startswith("cuda")
    assert all(p.is_cuda for p in fitted.module_.parameters())

    methods, expected = outputs(model, X)
    for name, values in expected.items():
        assert np.all(np.isfinite(values)), name

    model_path, data_path, result_path = (
        tmp_path / "model.pkl",
        tmp_path / "X.npy",
        tmp_path / "out.npz",
    )
    model_path.write_bytes(pickle.dumps(model))
    np.save(data_path, X)
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    subprocess.run(
        [sys.executable, "-c", LOAD_ON_CPU, model_path, data_path, result_path, ",".join(methods)],
        check=True,
        env=env,
    )
    restored = np.load(result_path)
    if "on_cpu" in restored:
        assert restored["on_cpu"].all()
    for name, values in expected.items():
        np.testing.assert_allclose(restored[name], values, rtol=1e-4, atol=1e-4, err_msg=name)
