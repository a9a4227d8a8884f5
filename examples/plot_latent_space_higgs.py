"""
Latent space of HIGGS events: Autoencoder vs VAE
================================================

Both models compress the 28 features of a HIGGS event into two numbers. The
autoencoder's code is whatever helps the decoder; the VAE's code is pulled
toward its ``N(0, I)`` prior by the KL term of the ELBO, so it fills a round,
centred blob that :meth:`~sklearn_physgen.VariationalAutoencoder.sample` can
draw from. Colouring the codes by class shows why unsupervised anomaly
detection is hard on HIGGS: neither model was shown the labels, and signal and
background land in the same places.
"""

# %%
# Data
# ----
# A few thousand real HIGGS events. The project's checkout sits next to a
# ``shared/data`` folder with a subset of the UCI file (the full-precision rows
# are used); without it, the first rows of the full file are read with
# :func:`~sklearn_physgen.datasets.fetch_higgs` (a 2.8 GB download the first
# time).
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_physgen import Autoencoder, VariationalAutoencoder
from sklearn_physgen.datasets import fetch_higgs


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


X, y, feature_names = load_higgs(4000)
print(f"{X.shape[0]} events x {X.shape[1]} features, {y.mean():.0%} signal")

# %%
# Two models, two-dimensional codes
# ---------------------------------
# Standardise first: both losses are sums over features. ``transform`` returns
# the code (for the VAE, the posterior mean).
models = {
    "Autoencoder": make_pipeline(
        StandardScaler(), Autoencoder(latent_dim=2, max_epochs=30, random_state=0)
    ),
    "VariationalAutoencoder": make_pipeline(
        StandardScaler(),
        VariationalAutoencoder(latent_dim=2, max_epochs=30, random_state=0),
    ),
}
codes = {name: model.fit(X).transform(X) for name, model in models.items()}

# %%
# Codes coloured by class
# -----------------------
# Top: the codes of 1,500 events. Bottom: the distribution of the first code
# coordinate for each class.
fig, axes = plt.subplots(2, 2, figsize=(9, 7), height_ratios=[2, 1])
shown = slice(0, 1500)
for column, (name, Z) in enumerate(codes.items()):
    ax = axes[0, column]
    for label, colour in ((0, "tab:blue"), (1, "tab:red")):
        selected = y[shown] == label
        ax.scatter(*Z[shown][selected].T, s=3, alpha=0.5, c=colour,
                   label=("background", "signal")[label])
    ax.set_title(name)
    ax.set_xlabel("z1")
    ax.set_ylabel("z2")
    ax.legend(markerscale=4, loc="upper right")
    bins = np.linspace(*np.percentile(Z[:, 0], [0.5, 99.5]), 50)
    for label, colour in ((0, "tab:blue"), (1, "tab:red")):
        axes[1, column].hist(Z[y == label, 0], bins=bins, density=True, alpha=0.5,
                             color=colour)
    axes[1, column].set_xlabel("z1")
fig.tight_layout()

# %%
# The VAE's codes are close to its prior (mean 0, standard deviation 1 per
# coordinate); the autoencoder's are not constrained at all.
for name, Z in codes.items():
    print(f"{name:<24} code mean {np.round(Z.mean(axis=0), 2)}, "
          f"std {np.round(Z.std(axis=0), 2)}")
plt.show()
