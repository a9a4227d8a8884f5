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

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_moons

from sklearn_physgen import OnePlusEpsilonDetector

X_normal, _ = make_moons(1000, noise=0.05, random_state=0)
rng = np.random.RandomState(3)
X_known = np.array([0.5, 0.25]) + 0.05 * rng.normal(size=(30, 2))
X = np.vstack([X_normal, X_known])
y = np.r_[np.ones(len(X_normal), int), -np.ones(len(X_known), int)]

grid_x, grid_y = np.meshgrid(np.linspace(-1.5, 2.5, 200), np.linspace(-1.0, 1.5, 150))
grid = np.column_stack([grid_x.ravel(), grid_y.ravel()])

epsilons = [0.0, 0.5, 0.95]
fig, axes = plt.subplots(1, len(epsilons), figsize=(4 * len(epsilons), 3.4), sharey=True)
for ax, epsilon in zip(axes, epsilons):
    detector = OnePlusEpsilonDetector(epsilon=epsilon, max_epochs=60, random_state=0)
    detector.fit(X, y)
    decision = detector.decision_function(grid).reshape(grid_x.shape)
    ax.contourf(grid_x, grid_y, decision, levels=20, cmap="RdBu")
    ax.contour(grid_x, grid_y, decision, levels=[0.0], colors="k")
    ax.scatter(*X_normal.T, s=2, c="w", label="normal")
    ax.scatter(*X_known.T, s=8, c="orange", label="known anomalies")
    ax.set_title(f"epsilon = {epsilon}")
axes[0].legend(loc="lower left", fontsize=8)
fig.suptitle("decision_function (blue: normal, red: anomalous; black: predict boundary)")
fig.tight_layout()
plt.show()
