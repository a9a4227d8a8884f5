"""
Event weights: negative weights, cell resampling and a weighted flow
=====================================================================

Simulated events come with weights, and NLO generators give some of them
negative weights. Every estimator takes ``sample_weight`` in ``fit``
(:doc:`/weights`); negative weights are refused, because no network loss is
bounded below with them. This example makes the weights of 4,000 real HIGGS
events (shipped with the package) look like a reweighted NLO sample, removes
the negative weights with :func:`~sklearn_physgen.cell_resample_weights`,
and checks that a weighted :class:`~sklearn_physgen.NormalizingFlow`
generates the *weighted* lepton spectrum, where the unweighted fit
generates the unweighted one.
"""

# %%
# Weighted events
# ---------------
# Three features of the background events: the lepton's pT and η and the
# missing transverse energy. The weights soften the lepton spectrum
# (``w ∝ 1 / pT``, a reweighting to a different generator tune, say): four
# events in five weigh ``3 / pT`` and one in five ``-2 / pT``, as an NLO
# generator's counter-events would. The signed weights sum to ``1 / pT`` per
# event on average: they describe the softened spectrum.
import matplotlib.pyplot as plt
import numpy as np

from sklearn_physgen import NormalizingFlow, cell_resample_weights
from sklearn_physgen.datasets import load_higgs_sample

higgs = load_higgs_sample()
names = list(higgs.feature_names)
columns = [names.index(name) for name in ("lepton_pT", "lepton_eta", "missing_energy_magnitude")]
X = higgs.data[higgs.target == 0][:, columns]
rng = np.random.RandomState(0)
pt = X[:, 0]
weights = 1.0 / pt
negative = rng.rand(len(X)) < 0.2
weights = np.where(negative, -2.0 * weights, 3.0 * weights)
print(f"{len(X)} events, {negative.mean():.0%} with negative weights, "
      f"summed weight {weights.sum():.1f}")

# %%
# Negative weights are refused, with the way out
# ----------------------------------------------
try:
    NormalizingFlow(max_epochs=1).fit(X, sample_weight=weights)
except ValueError as error:
    print(error)

# %%
# Cell resampling
# ---------------
# Each negative-weight event seeds a cell of its nearest neighbours (on
# standardised features), grown until the cell's weights sum to a
# non-negative number; the cell's weights are then shared out in proportion
# to their sizes. Every cell keeps its total weight, so the weighted
# histograms keep their shape, and no weight is negative.
positive = cell_resample_weights(X, weights)
print(f"negative weights left: {np.sum(positive < 0)}; summed weight "
      f"{positive.sum():.1f} (was {weights.sum():.1f}); "
      f"events at weight 0: {np.mean(positive == 0):.0%}")

bins = np.linspace(0.2, 3.0, 29)
fig, ax = plt.subplots(figsize=(7, 5))
ax.hist(pt, bins, weights=weights, histtype="step", linewidth=2, label="signed weights")
ax.hist(pt, bins, weights=positive, histtype="step", linestyle="--", linewidth=2,
        label="after cell resampling")
ax.set_xlabel("lepton pT (standardised units of the UCI set)")
ax.set_ylabel("summed weight per bin")
ax.legend()
fig.tight_layout()

# %%
# A weighted flow generates the weighted spectrum
# -----------------------------------------------
# Two flows on the same events, one with the resampled weights and one
# without. Their samples are compared with the weighted and the unweighted
# data, normalised to unit area.
weighted = NormalizingFlow(max_epochs=15, random_state=0).fit(X, sample_weight=positive)
unweighted = NormalizingFlow(max_epochs=15, random_state=0).fit(X)
n_samples = 5_000
from_weighted = weighted.sample(n_samples, random_state=1)[:, 0]
from_unweighted = unweighted.sample(n_samples, random_state=1)[:, 0]

fig, ax = plt.subplots(figsize=(7, 5))
ax.hist(pt, bins, weights=positive, density=True, histtype="stepfilled", alpha=0.3,
        label="data, weighted")
ax.hist(pt, bins, density=True, histtype="stepfilled", alpha=0.3, label="data, unweighted")
ax.hist(from_weighted, bins, density=True, histtype="step", linewidth=2,
        label="flow fitted with weights")
ax.hist(from_unweighted, bins, density=True, histtype="step", linewidth=2,
        label="flow fitted without")
ax.set_xlabel("lepton pT (standardised units of the UCI set)")
ax.set_ylabel("density")
ax.legend()
fig.tight_layout()


def weighted_mean(values, w=None):
    return float(np.average(values, weights=w))


print(f"mean lepton pT: weighted data {weighted_mean(pt, positive):.3f}, "
      f"weighted flow {weighted_mean(from_weighted):.3f}; "
      f"unweighted data {weighted_mean(pt):.3f}, unweighted flow "
      f"{weighted_mean(from_unweighted):.3f}")
plt.show()
