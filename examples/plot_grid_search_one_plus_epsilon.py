"""
Choosing ε and the sampler with GridSearchCV
============================================

``epsilon`` and ``sampler`` of :class:`~sklearn_physgen.OnePlusEpsilonDetector`
are ordinary hyperparameters: put the detector in a
:class:`~sklearn.pipeline.Pipeline` and search them with
:class:`~sklearn.model_selection.GridSearchCV`, scoring the held-out folds by
ROC AUC. With only a handful of labelled anomalies, stratified *repeated*
folds make sure that every test fold holds some of them and average out the
luck of the draw.

The data are the moons with a cluster of anomalies in the gap
(:func:`~sklearn_physgen.datasets.make_anomaly_moons`), with 24 of them
labelled for training.
"""

# %%
# Data
# ----
# :func:`~sklearn_physgen.datasets.make_anomaly_split` returns labels in
# scikit-learn's outlier convention, +1 normal and -1 anomaly. With those,
# ``scoring="roc_auc"`` ranks ``decision_function`` (higher = more normal)
# against the positive label +1, which is the right direction: no custom
# scorer is needed.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, RepeatedStratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_physgen import OnePlusEpsilonDetector
from sklearn_physgen.datasets import make_anomaly_moons, make_anomaly_split

X, y = make_anomaly_moons(600, n_anomalies=60, random_state=0)
split = make_anomaly_split(X, y, n_known_anomalies=24, random_state=0)
print(f"training set: {np.sum(split.y_train == 1)} normal, "
      f"{np.sum(split.y_train == -1)} known anomalies")

# %%
# The search
# ----------
# Three values of ε, two samplers (brute force and RMSProp EOPE), three
# stratified folds repeated twice: 36 short fits.
pipe = Pipeline([
    ("scaler", StandardScaler()),
    ("detector", OnePlusEpsilonDetector(max_epochs=30, random_state=0)),
])
search = GridSearchCV(
    pipe,
    {
        "detector__epsilon": [0.0, 0.5, 0.95],
        "detector__sampler": ["uniform", "rmsprop"],
    },
    scoring="roc_auc",
    cv=RepeatedStratifiedKFold(n_splits=3, n_repeats=2, random_state=1),
)
search.fit(split.X_train, split.y_train)

results = pd.DataFrame(search.cv_results_)
table = results.pivot(
    index="param_detector__epsilon",
    columns="param_detector__sampler",
    values="mean_test_score",
)
print(table.round(3))
print("best:", search.best_params_)

# %%
# Mean held-out ROC AUC per combination, with its spread over the six folds.
fig, ax = plt.subplots(figsize=(5.5, 3.5))
for sampler, group in results.groupby("param_detector__sampler"):
    ax.errorbar(
        group["param_detector__epsilon"].astype(float),
        group["mean_test_score"],
        yerr=group["std_test_score"],
        marker="o",
        capsize=3,
        label=f"sampler={sampler!r}",
    )
ax.set_xlabel("epsilon")
ax.set_ylabel("held-out ROC AUC")
ax.legend()
fig.tight_layout()

# %%
# With ``epsilon=0`` the known anomalies are ignored, and the one-class
# boundary encloses the gap between the moons: the held-out anomalies score
# *more* normal than the normal points, an AUC far below 0.5. Any ``epsilon``
# above 0 lets the labelled anomalies carve the gap out.
#
# The held-out folds only contain anomalies of the kind already labelled, so
# the search cannot see what a large ``epsilon`` costs where no anomaly was
# ever seen (the empty corners of
# :ref:`sphx_glr_auto_examples_plot_one_plus_epsilon_moons.py`). When several
# values score within the spread of the best, prefer the smallest.

# %%
# The refitted best pipeline on the untouched test set
# ----------------------------------------------------
# ``GridSearchCV`` refits the best combination on the whole training set.
# ``score_samples`` is the normality score, and ``y_test`` is +1 for normal
# points, so the AUC needs no sign flip.
best = search.best_estimator_
test_auc = roc_auc_score(split.y_test, best.score_samples(split.X_test))
print(f"test ROC AUC of the best pipeline: {test_auc:.3f}")
plt.show()
