"""Generators compared on real HIGGS data: GANs, autoencoders and baselines.

Eighteen ways of producing events are judged against held-out real events
with the metrics of :mod:`sklearn_physgen.metrics`:

- ``Flow``: ``NormalizingFlow()`` with the package defaults (five
  rational-quadratic spline couplings, early stopping on a 10 % validation
  split); ``Flow-quantile``: the same inside ``TransformedGenerator``;
  ``Flow-quantile-batch64``: with ``batch_size=64``, which inner splits of
  the training half preferred for small samples (docs/benchmarks.rst);
  ``Flow-autoregressive`` and ``Flow-quantile-autoregressive``:
  ``NormalizingFlow(autoregressive=True)``, bare and in quantile space,
  whose sampling inverts one feature at a time (their generation is timed
  on 10,000 rows and scaled to 100,000);
- ``GAN-bce``: ``GAN(loss='bce', max_epochs=E)``, otherwise the package
  defaults (packs of 4, moving-average generator with skip connections,
  learning rate 1e-3);
- ``WGAN-GP``: ``GAN(loss='wasserstein', max_epochs=max(1, E // 3))`` (five
  critic steps per generator step make an epoch several times as
  expensive); ``GAN-bce-quantile`` and ``WGAN-GP-quantile``: the same inside
  ``TransformedGenerator``; ``GAN-bce-quantile-long``: the setting the docs
  recommend for tabular physics data, ``TransformedGenerator(GAN(
  latent_dim=32, pac=1, gradient_penalty=10,
  generator_hidden_layer_sizes=(256, 256), max_epochs=300))``, chosen on a
  split with seed 5 (not the benchmark's; docs/benchmarks.rst lists what was
  tried there);
- ``VAE``: ``VariationalAutoencoder(latent_dim=8, hidden_layer_sizes=(128, 64),
  max_epochs=E)``, sampled from its prior with the decoder noise;
- ``AE``: ``Autoencoder`` with the same shape, decoding draws from a Gaussian
  fitted to the training codes;
- ``VAE-quantile``: ``TransformedGenerator(VariationalAutoencoder(
  latent_dim=16, hidden_layer_sizes=(512, 256), beta=0.5, max_epochs=200))``:
  the VAE fitted on features mapped to standard normals by a
  ``QuantileTransformer``, its samples mapped back. These settings were chosen
  among four (latent 8 / (256, 128) / beta 1; latent 16 / (512, 256) / beta
  1, 0.5, 0.25) by the two-sample AUC between a quarter of the *training*
  half and samples of a model fitted on the other three quarters (seed 0;
  inner AUC 0.691, 0.680, 0.664, 0.738): the reference half played no part.
  ``discrete_features='auto'``: the b-tag columns (at most 10 distinct values)
  are dequantised before the quantile map and mapped back to their values;
- ``GaussianMixture``: scikit-learn, 50 full-covariance components;
- ``GaussianMixture-quantile``: the same mixture inside ``TransformedGenerator``
  (the same preprocessing, dequantisation included, as ``VAE-quantile``, for
  a fair baseline);
- ``KDE``: scikit-learn ``KernelDensity``, Gaussian kernel of bandwidth 0.3
  in standardised units (``--kde-bandwidth``; Scott's rule, ``'scott'``,
  gives about 0.72 in 24 dimensions, which smooths far too much: two-sample
  AUC 0.998 instead of about 0.94);
- ``marginals``: every column bootstrapped independently from the training
  half (right marginals, no correlations);
- ``real``: the training half itself, as if generated: the ceiling
  (two-sample AUC about 0.5).

Protocol
--------
The rows of ``higgs.npz`` with ``significant_digits == 10`` (15,977) are
split at random (``--seed``) into a training half and a reference half. A
``StandardScaler`` is fitted on the training half and everything (training,
generation, metrics, figure) happens in that standardised space. Every
generator is fitted on the training half and draws as many samples as the
reference half has rows; the metrics compare those with the reference half:
the 5-fold cross-validated ROC AUC of a HistGradientBoosting classifier
telling them apart (the headline; 0.5 = indistinguishable, ``±`` is its
bootstrap std), the mean 1-D Wasserstein-1 distance of the marginals, the
Fréchet (FPD) and kernel (KPD) physics distances, and the largest absolute
difference of the correlation matrices. ``held-out log-lik`` is the mean
log-density of the reference half (nats per event, standardised units) for
the models whose ``score_samples`` is one. ``fit s`` is the wall-clock time of
``fit``; ``gen s / 1e5`` that of a separate call drawing 100,000 samples.

Two feature sets: ``continuous`` (the 24 features other than the four
b-tags) and ``all`` (28). Columns with at most 10 distinct training values
(the b-tags) are discrete: in ``all`` every generator's output is snapped, in
each such column, to the nearest value observed in the training half, so that
no generator loses on them merely by producing continuous values.

Examples
--------
Full run (about 5 minutes on 2 CPU cores)::

    python benchmarks/bench_generators.py \\
        --json benchmarks/results/generators.json \\
        --markdown benchmarks/results/generators.md

Quick check::

    python benchmarks/bench_generators.py --max-epochs 2 \\
        --feature-sets continuous --methods GAN-bce VAE GaussianMixture marginals real
"""

import argparse
import datetime
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import sklearn
import torch
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import KernelDensity
from sklearn.preprocessing import StandardScaler

import sklearn_physgen
from sklearn_physgen import (
    GAN,
    Autoencoder,
    NormalizingFlow,
    TransformedGenerator,
    VariationalAutoencoder,
)
from sklearn_physgen.metrics import (
    classifier_two_sample_test,
    correlation_difference,
    frechet_distance,
    kernel_distance,
    mean_wasserstein_distance,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = REPO_ROOT / ".." / "shared" / "data"
RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"
METHODS = ["Flow", "Flow-quantile", "Flow-quantile-batch64", "Flow-autoregressive",
           "Flow-quantile-autoregressive",
           "GAN-bce", "GAN-bce-quantile",
           "GAN-bce-quantile-long", "WGAN-GP",
           "WGAN-GP-quantile", "VAE", "AE", "VAE-quantile", "GaussianMixture",
           "GaussianMixture-quantile", "KDE", "marginals", "real"]
#: Models whose ``score_samples`` (``score_samples`` of sklearn's) is a
#: log-density of the standardised features, compared on the reference half.
DENSITY_MODELS = {"Flow", "Flow-autoregressive", "GaussianMixture", "KDE"}
N_TIMING = 100_000
#: Methods whose generation is timed on fewer rows (scaled to N_TIMING):
#: the autoregressive flow inverts one feature at a time.
TIMING_ROWS = {"Flow-autoregressive": 10_000, "Flow-quantile-autoregressive": 10_000}
MAX_DISCRETE_VALUES = 10
PLOT_FEATURES = ["lepton_pT", "missing_energy_magnitude", "jet_1_pt",
                 "jet_1_eta", "jet_1_b-tag", "m_jj", "m_bb", "m_wwbb"]


def log(message):
    print(message, flush=True)


def load_data(data_dir, seed):
    """Rows with 10 significant digits, split at random into two halves."""
    path = (Path(data_dir) / "higgs.npz").resolve()
    data = np.load(path)
    keep = data["significant_digits"] == 10
    X = data["X"][keep].astype(np.float64)
    names = [str(name) for name in data["feature_names"]]
    order = np.random.default_rng(seed).permutation(len(X))
    half = len(X) // 2
    return path, X[order[:half]], X[order[half:]], names


def is_btag(name):
    return "b-tag" in name or "btag" in name


class Marginals:
    """Independent bootstrap of every column of the training data."""

    def __init__(self, random_state):
        self.random_state = random_state

    def fit(self, X):
        self.X_ = X
        return self

    def sample(self, n_samples):
        rng = np.random.default_rng(self.random_state)
        columns = [rng.choice(column, size=n_samples) for column in self.X_.T]
        return np.column_stack(columns)


def make_generator(name, epochs, seed, kde_bandwidth, quantile_vae_epochs):
    """The unfitted model and a function ``draw(model, n)`` returning samples."""
    autoencoder = {"latent_dim": 8, "hidden_layer_sizes": (128, 64),
                   "max_epochs": epochs, "random_state": seed, "device": "cpu"}

    def seeded(model, n):
        return model.sample(n, random_state=seed)

    def quantile(model):
        return TransformedGenerator(model, discrete_features="auto", random_state=seed)

    if name == "Flow-quantile-batch64":
        # batches of 64, which the inner splits of the training half chose
        # for small samples (docs/benchmarks.rst), inside the quantile map
        flow = NormalizingFlow(batch_size=64, random_state=seed, device="cpu")
        return quantile(flow), seeded
    if name.endswith("autoregressive"):
        flow = NormalizingFlow(autoregressive=True, random_state=seed, device="cpu")
        return (quantile(flow) if "quantile" in name else flow), seeded
    if name.startswith("Flow"):
        flow = NormalizingFlow(random_state=seed, device="cpu")
        return (quantile(flow) if name.endswith("quantile") else flow), seeded
    if name == "GAN-bce-quantile-long":
        # the longer setting the docs recommend for tabular physics data
        # (chosen on a split with another seed than the benchmark's)
        gan = GAN(latent_dim=32, pac=1, gradient_penalty=10.0,
                  generator_hidden_layer_sizes=(256, 256), max_epochs=300,
                  random_state=seed, device="cpu")
        return quantile(gan), seeded
    if name.startswith(("GAN-bce", "WGAN-GP")):
        # package defaults; WGAN-GP takes five critic steps per generator step
        if name.startswith("GAN-bce"):
            gan = GAN(loss="bce", max_epochs=epochs, random_state=seed, device="cpu")
        else:
            gan = GAN(loss="wasserstein", max_epochs=max(1, epochs // 3),
                      random_state=seed, device="cpu")
        return (quantile(gan) if name.endswith("quantile") else gan), seeded
    if name == "VAE":
        return VariationalAutoencoder(**autoencoder), seeded
    if name == "AE":
        return Autoencoder(**autoencoder), seeded
    if name == "VAE-quantile":
        vae = VariationalAutoencoder(
            latent_dim=16, hidden_layer_sizes=(512, 256), beta=0.5,
            max_epochs=quantile_vae_epochs, random_state=seed, device="cpu")
        return quantile(vae), seeded
    mixture = GaussianMixture(n_components=50, covariance_type="full",
                              random_state=seed)
    if name == "GaussianMixture":
        return mixture, lambda model, n: model.sample(n)[0]
    if name == "GaussianMixture-quantile":
        return (TransformedGenerator(mixture, discrete_features="auto", random_state=seed),
                lambda model, n: model.sample(n))
    if name == "KDE":
        return KernelDensity(bandwidth=kde_bandwidth), seeded
    if name == "marginals":
        return Marginals(seed), lambda model, n: model.sample(n)
    raise ValueError(f"Unknown method {name!r}.")


def snap(X, discrete_values):
    """Move every discrete column to the nearest of its training values."""
    X = X.copy()
    for column, values in discrete_values.items():
        index = np.abs(X[:, [column]] - values[None, :]).argmin(axis=1)
        X[:, column] = values[index]
    return X


def evaluate(X_ref, X_gen, seed):
    """All metrics of ``X_gen`` against the reference half."""
    test = classifier_two_sample_test(X_ref, X_gen, cv=5, random_state=seed)
    return {
        "auc": test.auc, "auc_std": test.auc_std,
        "w1": mean_wasserstein_distance(X_ref, X_gen, standardize=True),
        "fpd": frechet_distance(X_ref, X_gen),
        "kpd": kernel_distance(X_ref, X_gen, random_state=seed).distance,
        "max_abs_dcorr": correlation_difference(X_ref, X_gen).max_abs,
    }


def run_method(name, X_train, X_ref, discrete_values, args):
    """Fit, time and evaluate one generator; return its row and samples."""
    n = len(X_ref)
    if name == "real":
        X_gen, fit_s, gen_s = X_train, 0.0, float("nan")
        log_likelihood = float("nan")
    else:
        model, draw = make_generator(name, args.max_epochs, args.seed,
                                     args.kde_bandwidth, args.quantile_vae_epochs)
        start = time.perf_counter()
        model.fit(X_train)
        fit_s = time.perf_counter() - start
        log_likelihood = (float(np.mean(model.score_samples(X_ref)))
                          if name in DENSITY_MODELS else float("nan"))
        X_gen = np.asarray(draw(model, n), dtype=np.float64)
        n_timing = TIMING_ROWS.get(name, N_TIMING)
        start = time.perf_counter()
        draw(model, n_timing)
        gen_s = (time.perf_counter() - start) * N_TIMING / n_timing
    n_bad = int(np.sum(~np.all(np.isfinite(X_gen), axis=1)))
    if n_bad:
        raise FloatingPointError(f"{n_bad} generated rows are not finite")
    X_gen = snap(X_gen, discrete_values)
    row = {"method": name, **evaluate(X_ref, X_gen, args.seed),
           "log_likelihood": log_likelihood, "fit_s": fit_s, "gen_s_per_1e5": gen_s}
    return row, X_gen


def markdown_table(rows):
    lines = [("| method | two-sample AUC | mean W1 | FPD | KPD | max abs dcorr "
              "| held-out log-lik | fit s | gen s / 1e5 |"), "|" + "---|" * 9]
    for row in rows:
        if "error" in row:
            lines.append(f"| {row['method']} | failed: {row['error']} |"
                         + " |" * 7)
            continue
        gen = "-" if np.isnan(row["gen_s_per_1e5"]) else f"{row['gen_s_per_1e5']:.2f}"
        loglik = ("-" if np.isnan(row["log_likelihood"])
                  else f"{row['log_likelihood']:.2f}")
        lines.append(
            f"| {row['method']} | {row['auc']:.3f} ± {row['auc_std']:.3f} "
            f"| {row['w1']:.4f} | {row['fpd']:.4f} | {row['kpd']:.2e} "
            f"| {row['max_abs_dcorr']:.3f} | {loglik} | {row['fit_s']:.1f} | {gen} |")
    return "\n".join(lines)


def plot_marginals(path, feature_set, names, X_ref, samples, rows):
    """Histograms of selected features: reference vs best two and the GMM."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ranked = sorted((row for row in rows if "error" not in row
                     and row["method"] not in ("real", "GaussianMixture")),
                    key=lambda row: row["auc"])
    shown = [row["method"] for row in ranked[:2]]
    if "GaussianMixture" in samples:
        shown.append("GaussianMixture")
    auc = {row["method"]: row["auc"] for row in rows if "error" not in row}
    features = [f for f in PLOT_FEATURES if f in names]
    fig, axes = plt.subplots(2, 4, figsize=(16, 7))
    for ax, feature in zip(axes.flat, features):
        j = names.index(feature)
        values = np.unique(X_ref[:, j])
        if len(values) <= MAX_DISCRETE_VALUES:
            gaps = np.diff(values).min() / 2 if len(values) > 1 else 0.5
            bins = np.concatenate([values - gaps, [values[-1] + gaps]])
        else:
            bins = np.linspace(*np.percentile(X_ref[:, j], [0.5, 99.5]), 50)
        ax.hist(X_ref[:, j], bins=bins, density=True, color="0.8",
                label="reference half")
        for method in shown:
            ax.hist(np.clip(samples[method][:, j], bins[0], bins[-1]), bins=bins,
                    density=True, histtype="step", linewidth=1.5,
                    label=f"{method} (AUC {auc[method]:.3f})")
        ax.set_xlabel(f"{feature} (standardised)")
        ax.set_yticks([])
    for ax in axes.flat[len(features):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=8)
    fig.suptitle(f"HIGGS marginals, feature set '{feature_set}' "
                 "(values outside the axis range are piled into the edge bins)")
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def environment():
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "platform": platform.platform(), "processor": platform.processor(),
        "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(), "numpy": np.__version__,
        "scikit-learn": sklearn.__version__, "torch": torch.__version__,
        "sklearn_physgen": sklearn_physgen.__version__,
    }


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default=DEFAULT_DATA_DIR,
                        help="folder holding higgs.npz")
    parser.add_argument("--max-epochs", type=int, default=60,
                        help="epochs E of GAN-bce, VAE and AE (WGAN-GP: E // 3)")
    parser.add_argument("--quantile-vae-epochs", type=int, default=200,
                        help="epochs of VAE-quantile")
    parser.add_argument("--feature-sets", nargs="+", default=["continuous", "all"],
                        choices=["continuous", "all"])
    parser.add_argument("--methods", nargs="+", default=METHODS, choices=METHODS)
    parser.add_argument("--kde-bandwidth", default="0.3",
                        help="'scott', 'silverman' or a number (standardised units)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="write config, environment and results here")
    parser.add_argument("--markdown", help="write the tables here")
    parser.add_argument("--plot", default=RESULTS_DIR / "generators_marginals.png",
                        help="figure of marginal histograms")
    args = parser.parse_args()
    if args.kde_bandwidth not in ("scott", "silverman"):
        args.kde_bandwidth = float(args.kde_bandwidth)
    return args


def main():
    args = parse_args()
    env = environment()
    path, train_raw, ref_raw, all_names = load_data(args.data_dir, args.seed)
    header = [f"# Generators on HIGGS ({env['date']})", "",
              (f"- machine: {env['platform']}, {env['cpu_count']} CPUs, "
               f"{env['torch_threads']} torch threads"),
              "- versions: " + ", ".join(
                  f"{k} {env[k]}" for k in ("python", "numpy", "scikit-learn",
                                            "torch", "sklearn_physgen")),
              (f"- data: {path}, rows with significant_digits == 10: "
               f"{len(train_raw)} train / {len(ref_raw)} reference (seed {args.seed})"),
              (f"- epochs: E = {args.max_epochs} (WGAN-GP: "
               f"{max(1, args.max_epochs // 3)}; VAE-quantile: {args.quantile_vae_epochs}); "
               f"KDE bandwidth: {args.kde_bandwidth}"),
              ("- all fitting and all metrics in the space standardised by a "
               "StandardScaler fitted on the training half"), ""]
    log("\n".join(header))
    report, results, plot_data = list(header), {}, None
    for feature_set in args.feature_sets:
        columns = [j for j, name in enumerate(all_names)
                   if feature_set == "all" or not is_btag(name)]
        names = [all_names[j] for j in columns]
        scaler = StandardScaler().fit(train_raw[:, columns])
        X_train = scaler.transform(train_raw[:, columns])
        X_ref = scaler.transform(ref_raw[:, columns])
        discrete = {j: np.unique(X_train[:, j]) for j in range(len(columns))
                    if len(np.unique(X_train[:, j])) <= MAX_DISCRETE_VALUES}
        note = ("discrete columns, snapped after generation to the nearest "
                "training value: " + ", ".join(
                    f"{names[j]} ({len(v)} values)" for j, v in discrete.items())
                if discrete else "no discrete columns")
        log(f"## Feature set '{feature_set}': {len(columns)} features; {note}")
        rows, samples = [], {}
        for name in args.methods:
            log(f"  {name} ...")
            start = time.perf_counter()
            try:
                row, samples[name] = run_method(name, X_train, X_ref, discrete, args)
            except Exception as exc:  # noqa: BLE001  (report it in the table)
                row = {"method": name, "error": f"{type(exc).__name__}: {exc}"}
                log(f"  {name} failed: {row['error']}")
            else:
                log(f"  {name}: AUC {row['auc']:.3f} ± {row['auc_std']:.3f}, "
                    f"fit {row['fit_s']:.1f} s, total "
                    f"{time.perf_counter() - start:.1f} s")
            rows.append(row)
        table = markdown_table(rows)
        section = [f"## Feature set '{feature_set}' ({len(columns)} features)", "",
                   note + ".", "", table, ""]
        log("\n" + "\n".join(section))
        report += section
        results[feature_set] = {"features": names, "discrete_snapped":
                                [names[j] for j in discrete], "rows": rows}
        if plot_data is None or feature_set == "all":
            plot_data = (feature_set, names, X_ref, samples, rows)
    if args.plot and plot_data is not None and plot_data[3]:
        plot_marginals(args.plot, *plot_data)
        log(f"figure written to {args.plot}")
    if args.markdown:
        Path(args.markdown).parent.mkdir(parents=True, exist_ok=True)
        Path(args.markdown).write_text("\n".join(report) + "\n")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        config = {k: (str(v) if isinstance(v, Path) else v)
                  for k, v in vars(args).items()}
        Path(args.json).write_text(json.dumps(
            {"config": config, "environment": env, "data": str(path),
             "n_train": len(train_raw), "n_reference": len(ref_raw),
             "results": results}, indent=2, default=float).replace("NaN", "null"))


if __name__ == "__main__":
    main()
