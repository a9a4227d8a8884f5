"""
Outliers off a curved manifold: Autoencoder vs VAE vs IsolationForest
=====================================================================

Normal data lie near a curved 2-D surface in 10 dimensions; planted outliers
have the right scale but lie off the surface. An autoencoder with a 2-D code
reconstructs the surface and not the outliers, so minus its reconstruction
error separates them; a VAE's ELBO does the same as a density bound.
IsolationForest, which only sees marginal isolation, does worse.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_physgen import Autoencoder, VariationalAutoencoder
from sklearn_physgen._demo import make_demo_data

X_train, X_test, y_test = make_demo_data(n_train=4000, random_state=0)

models = {
    "Autoencoder": make_pipeline(
        StandardScaler(), Autoencoder(latent_dim=2, max_epochs=40, random_state=0)
    ),
    "VariationalAutoencoder": make_pipeline(
        StandardScaler(),
        VariationalAutoencoder(latent_dim=2, max_epochs=40, random_state=0),
    ),
    "IsolationForest": IsolationForest(random_state=0),
}

fig, (ax_roc, ax_hist) = plt.subplots(1, 2, figsize=(10, 4))
for name, model in models.items():
    model.fit(X_train)
    anomaly_score = -model.score_samples(X_test)
    fpr, tpr, _ = roc_curve(y_test, anomaly_score)
    auc = roc_auc_score(y_test, anomaly_score)
    ax_roc.plot(fpr, tpr, label=f"{name} (AUC {auc:.3f})")

ae_scores = models["Autoencoder"].score_samples(X_test)
bins = np.linspace(ae_scores.min(), ae_scores.max(), 60)
ax_hist.hist(ae_scores[y_test == 0], bins=bins, alpha=0.6, label="normal", density=True)
ax_hist.hist(ae_scores[y_test == 1], bins=bins, alpha=0.6, label="outlier", density=True)
ax_hist.axvline(models["Autoencoder"][-1].offset_, color="k", ls="--", label="offset_")
ax_hist.set_yscale("log")
ax_hist.set_xlabel("Autoencoder score_samples (minus reconstruction MSE)")
ax_hist.legend()
ax_roc.plot([0, 1], [0, 1], color="grey", lw=0.5)
ax_roc.set_xlabel("false positive rate")
ax_roc.set_ylabel("true positive rate")
ax_roc.legend(loc="lower right")
fig.tight_layout()
plt.show()
