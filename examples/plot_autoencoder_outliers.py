"""
Outliers off a curved manifold: Autoencoder vs VAE vs IsolationForest
=====================================================================

Normal data lie near a curved 2-D surface in 10 dimensions; planted outliers
have the right scale but lie off the surface. An autoencoder with a 2-D code
reconstructs the surface and not the outliers, so minus its reconstruction
error separates them; a VAE's ELBO does the same as a bound on the density.
IsolationForest, which isolates points with axis-aligned cuts and never
learns the surface, does worse.
"""

# %%
# Data
# ----
# :func:`~sklearn_physgen.datasets.make_curved_manifold` draws points near a
# curved 2-D surface. The outliers are Gaussian points with the scale of the
# data: inside the range of every feature, but off the surface.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_physgen import Autoencoder, VariationalAutoencoder
from sklearn_physgen.datasets import make_curved_manifold

rng = np.random.RandomState(0)
X_train = make_curved_manifold(3000, random_state=rng)
X_test_normal = make_curved_manifold(1000, random_state=rng)
X_outliers = X_train.mean(axis=0) + X_train.std(axis=0) * rng.normal(size=(50, 10))
X_test = np.vstack([X_test_normal, X_outliers])
y_test = np.r_[np.zeros(len(X_test_normal), int), np.ones(len(X_outliers), int)]

# %%
# Fit on normal data only
# -----------------------
# Every model is fitted on ``X_train`` alone. Anomalies are the positive class
# of the ROC curve, so the anomaly score is ``-score_samples``: scikit-learn's
# ``score_samples`` is higher for more normal points (see :doc:`/conventions`).
models = {
    "Autoencoder": make_pipeline(
        StandardScaler(), Autoencoder(latent_dim=2, max_epochs=30, random_state=0)
    ),
    "VariationalAutoencoder": make_pipeline(
        StandardScaler(),
        VariationalAutoencoder(latent_dim=2, max_epochs=30, random_state=0),
    ),
    "IsolationForest": IsolationForest(random_state=0),
}

fig, ax_roc = plt.subplots(figsize=(5.5, 4.5))
for name, model in models.items():
    model.fit(X_train)
    anomaly_score = -model.score_samples(X_test)
    fpr, tpr, _ = roc_curve(y_test, anomaly_score)
    auc = roc_auc_score(y_test, anomaly_score)
    print(f"{name:<24} ROC AUC {auc:.3f}")
    ax_roc.plot(fpr, tpr, label=f"{name} (AUC {auc:.3f})")
ax_roc.plot([0, 1], [0, 1], color="grey", lw=0.5)
ax_roc.set_xlabel("false positive rate")
ax_roc.set_ylabel("true positive rate")
ax_roc.legend(loc="lower right")
fig.tight_layout()

# %%
# The autoencoder's scores and its threshold
# ------------------------------------------
# ``offset_`` is set in ``fit`` from the training scores (``contamination``);
# ``predict`` returns -1 below it.
autoencoder = models["Autoencoder"]
ae_scores = autoencoder.score_samples(X_test)
bins = np.linspace(ae_scores.min(), ae_scores.max(), 60)
fig, ax_hist = plt.subplots(figsize=(6, 4))
for label, name in ((0, "normal"), (1, "outlier")):
    ax_hist.hist(ae_scores[y_test == label], bins=bins, alpha=0.6, label=name,
                 density=True)
ax_hist.axvline(autoencoder[-1].offset_, color="k", ls="--", label="offset_")
ax_hist.set_yscale("log")
ax_hist.set_xlabel("Autoencoder score_samples (minus reconstruction MSE)")
ax_hist.legend()
fig.tight_layout()
flagged = autoencoder.predict(X_test) == -1
print(f"flagged: {flagged[y_test == 1].mean():.0%} of the outliers, "
      f"{flagged[y_test == 0].mean():.1%} of the normal test points")
plt.show()
