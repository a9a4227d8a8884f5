"""
(1+ε) decision surface on the moons as ε varies
===============================================

Normal data: two interleaving moons. Known anomalies: a small cluster in the
gap between them, where a one-class method sees nothing unusual. With
``epsilon=0`` the detector ignores them (one-class: the gap is scored as
normal as the moons). As ``epsilon`` grows they pull the boundary and the gap
turns anomalous; close to 1 the uniform pseudo-anomalies barely count, and the
classifier extrapolates "normal" into the empty corners — the two-class
failure that an intermediate ``epsilon`` avoids.
"""

# %%
# Data
# ----
# :func:`~sklearn_physgen.datasets.make_anomaly_moons` returns the moons and a
# cluster of 30 anomalies in the gap, with physics-style labels: 0 normal,
# 1 anomaly. ``anomaly_label=1`` tells the detector so.
import matplotlib.pyplot as plt
import numpy as np

from sklearn_physgen import OnePlusEpsilonDetector
from sklearn_physgen.datasets import make_anomaly_moons

X, y = make_anomaly_moons(1000, n_anomalies=30, random_state=0)

grid_x, grid_y = np.meshgrid(np.linspace(-1.5, 2.5, 200), np.linspace(-1.0, 1.5, 150))
grid = np.column_stack([grid_x.ravel(), grid_y.ravel()])

# %%
# One detector per ε
# ------------------
# The sampler is the default brute-force one (uniform pseudo-anomalies on a box
# 10% wider than the data). The black line is ``decision_function = 0``, the
# boundary of ``predict``.
epsilons = [0.0, 0.5, 0.95]
fig, axes = plt.subplots(1, len(epsilons), figsize=(12, 3.4), sharey=True)
for ax, epsilon in zip(axes, epsilons):
    detector = OnePlusEpsilonDetector(
        epsilon=epsilon, anomaly_label=1, max_epochs=60, random_state=0
    )
    detector.fit(X, y)
    decision = detector.decision_function(grid).reshape(grid_x.shape)
    ax.contourf(grid_x, grid_y, decision, levels=20, cmap="RdBu")
    ax.contour(grid_x, grid_y, decision, levels=[0.0], colors="k")
    ax.scatter(*X[y == 0].T, s=2, c="w", label="normal")
    ax.scatter(*X[y == 1].T, s=8, c="orange", label="known anomalies")
    ax.set_title(f"epsilon = {epsilon}")
axes[0].legend(loc="lower left", fontsize=8)
fig.suptitle("decision_function (blue: normal, red: anomalous; "
             "black: predict boundary)")
fig.tight_layout()
plt.show()
