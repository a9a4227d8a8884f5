"""
ROC curves on HIGGS: a few known anomalies against one-class detectors
======================================================================

The protocol of the (1+ε)-class paper on real HIGGS events: background is
normal, signal is the anomaly. One-class detectors (IsolationForest,
OneClassSVM, and :class:`~sklearn_physgen.OnePlusEpsilonDetector` with no
labelled anomaly) see only the background, and on HIGGS they are close to
chance: signal events look like background events feature by feature. Giving
the (1+ε) detector ``k`` known signal events moves it off the diagonal, and
more so as ``k`` grows.

This is a small, quick version (a few thousand events, one split, short
training); :doc:`/benchmarks` has the full measurement with three seeds.
"""

# %%
# Data and split
# --------------
# :func:`~sklearn_physgen.datasets.make_anomaly_split` makes a stratified
# train/test split, keeps all training background and only ``k`` training
# signal events, and returns labels in scikit-learn's outlier convention
# (+1 normal, -1 anomaly).
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import OneClassSVM

from sklearn_physgen import OnePlusEpsilonDetector
from sklearn_physgen.datasets import fetch_higgs, make_anomaly_split


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


X, y, _ = load_higgs(8000)
known_anomaly_counts = [0, 100, 1000]
splits = {
    k: make_anomaly_split(X, y, n_known_anomalies=k, anomaly_label=1, random_state=0)
    for k in known_anomaly_counts
}
X_test, y_test = splits[0].X_test, splits[0].y_test  # the same for every k
is_signal = y_test == -1
print(f"training background: {np.sum(splits[0].y_train == 1)} events; "
      f"test: {len(y_test)} events, {is_signal.mean():.0%} signal")

# %%
# Detectors
# ---------
# The one-class peers are fitted on the training background. The (1+ε)
# detector uses the benchmark's settings (``epsilon=0.5``, ``margin=0``),
# with fewer epochs. Every model standardises its input in a pipeline.
results = {}
for name, detector in {
    "IsolationForest": IsolationForest(random_state=0),
    "OneClassSVM": OneClassSVM(gamma="scale", nu=0.1),
}.items():
    model = make_pipeline(StandardScaler(), detector)
    model.fit(splits[0].X_train)
    results[name] = model.score_samples(X_test)

for k in known_anomaly_counts:
    split = splits[k]
    model = make_pipeline(
        StandardScaler(),
        OnePlusEpsilonDetector(epsilon=0.5, margin=0.0, max_epochs=25, random_state=0),
    )
    model.fit(split.X_train, split.y_train)
    label = "(1+ε), one-class" if k == 0 else f"(1+ε), k = {k} known"
    results[label] = model.score_samples(X_test)

# %%
# ROC curves, signal as the positive class
# ----------------------------------------
# ``score_samples`` is a normality score, so the anomaly score is its negative.
fig, ax = plt.subplots(figsize=(5.5, 5))
for name, normality in results.items():
    fpr, tpr, _ = roc_curve(is_signal, -normality)
    auc = roc_auc_score(is_signal, -normality)
    print(f"{name:<24} ROC AUC {auc:.3f}")
    ax.plot(fpr, tpr, label=f"{name} ({auc:.3f})")
ax.plot([0, 1], [0, 1], color="grey", lw=0.5, ls="--")
ax.set_xlabel("background efficiency (false positive rate)")
ax.set_ylabel("signal efficiency (true positive rate)")
ax.set_title("HIGGS, background = normal")
ax.legend(loc="lower right", fontsize=8)
fig.tight_layout()
plt.show()
