"""
Generated HIGGS events: VAE and GAN marginals against real data
===============================================================

A :class:`~sklearn_physgen.VariationalAutoencoder` and a
:class:`~sklearn_physgen.GAN` are trained on the continuous features of a few
thousand HIGGS events and asked for new ones. Histograms of a few features
compare the generated marginals with held-out real events, and
:mod:`sklearn_physgen.metrics` puts numbers on the comparison. Both models are
trained briefly here; see :doc:`/benchmarks` for longer runs and how far the
generators still are from the real distribution.
"""

# %%
# Data
# ----
# A few thousand real HIGGS events (see :doc:`/datasets`). The four b-tag
# columns take only three values each; a continuous generator cannot produce
# them, so they are left out, as in the generator benchmark.
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sklearn_physgen import GAN, VariationalAutoencoder
from sklearn_physgen.datasets import fetch_higgs
from sklearn_physgen.metrics import frechet_distance, wasserstein_distances


def load_higgs(n_samples, random_state=0):
    """``X, y, feature_names`` of ``n_samples`` HIGGS events (y: 1 = signal)."""
    try:
        here = Path(__file__).resolve().parent
    except NameError:  # sphinx-gallery runs examples in their folder, without __file__
        here = Path.cwd()
    for path in (here.parent / "shared", here.parent.parent / "shared"):
        path = path / "data" / "higgs.npz"
        if path.exists():
            with np.load(path) as data:
                keep = data["significant_digits"] == 10
                X, y = data["X"][keep], data["y"][keep]
                names = [str(name) for name in data["feature_names"]]
            rows = np.random.RandomState(random_state).permutation(len(y))[:n_samples]
            return X[rows], y[rows], names
    higgs = fetch_higgs(n_samples=n_samples)
    return higgs.data, higgs.target, higgs.feature_names


X, _, feature_names = load_higgs(6000)
continuous = [i for i, name in enumerate(feature_names) if not name.endswith("b-tag")]
X = X[:, continuous]
feature_names = [feature_names[i] for i in continuous]
X_train, X_real = train_test_split(X, test_size=0.5, random_state=0)
print(f"train on {X_train.shape}, compare with {X_real.shape[0]} held-out events")

# %%
# Train and sample
# ----------------
# Both models work on standardised features; samples are mapped back with the
# scaler's ``inverse_transform``.
scaler = StandardScaler().fit(X_train)
Z_train = scaler.transform(X_train)
generators = {
    "VAE": VariationalAutoencoder(
        latent_dim=8, hidden_layer_sizes=(128, 64), max_epochs=40, random_state=0
    ),
    "GAN (wasserstein)": GAN(
        loss="wasserstein", n_critic=5, adam_betas=(0.5, 0.9), max_epochs=20,
        random_state=0,
    ),
}
samples = {}
for name, model in generators.items():
    model.fit(Z_train)
    samples[name] = scaler.inverse_transform(
        model.sample(len(X_real), random_state=1)
    )

# %%
# Marginals
# ---------
shown = ["lepton_pT", "missing_energy_magnitude", "jet_1_eta", "m_bb"]
fig, axes = plt.subplots(1, len(shown), figsize=(13, 3.2))
for ax, feature in zip(axes, shown):
    column = feature_names.index(feature)
    bins = np.linspace(*np.percentile(X_real[:, column], [0.5, 99.5]), 40)
    ax.hist(X_real[:, column], bins=bins, density=True, color="grey", alpha=0.5,
            label="real (held out)")
    for name, X_generated in samples.items():
        ax.hist(X_generated[:, column], bins=bins, density=True, histtype="step",
                lw=1.5, label=name)
    ax.set_xlabel(feature)
axes[0].legend(fontsize=8)
fig.tight_layout()

# %%
# Numbers
# -------
# Wasserstein-1 distances of the marginals and the Fréchet distance, on
# features standardised with the real sample's statistics (0 for identical
# distributions). The training half against the held-out half gives the floor
# set by the finite sample size.
rows = {"real (training half)": X_train, **samples}
for name, X_generated in rows.items():
    w1 = wasserstein_distances(X_real, X_generated, standardize=True)
    fpd = frechet_distance(X_real, X_generated)
    print(f"{name:<22} mean W1 {w1.mean():.3f}   max W1 {w1.max():.3f}   FPD {fpd:.2f}")
plt.show()
