"""The ``sklearn-physgen`` command (``python -m sklearn_physgen``), end to end."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sklearn_physgen._cli import (
    build_parser,
    check_arguments,
    format_tables,
    main,
)

REPOSITORY_ROOT = Path(__file__).resolve().parents[1]
SHARED_HIGGS = Path(__file__).resolve().parents[2] / "shared" / "data" / "higgs.npz"
QUICK = ["--max-epochs", "3", "--quiet"]


def read_outputs(output_dir, tag):
    """The JSON payload and the per-fit CSV rows written for ``tag``."""
    payload = json.loads((output_dir / f"results_{tag}.json").read_text())
    with open(output_dir / f"results_{tag}.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    return payload, rows


def labelled_blobs(n_normal=300, n_anomaly=40, n_features=4, seed=0):
    """Normal Gaussian data and shifted anomalies; label 1 marks anomalies."""
    rng = np.random.RandomState(seed)
    X = np.vstack([
        rng.normal(size=(n_normal, n_features)),
        rng.normal(2.5, 0.5, size=(n_anomaly, n_features)),
    ])
    y = np.r_[np.zeros(n_normal, int), np.ones(n_anomaly, int)]
    return X, y


def test_moons_end_to_end(tmp_path, capsys):
    models = ["ope-uniform", "ope-hmc", "autoencoder", "isolation-forest"]
    status = main([
        "--data", "moons", "--models", *models, "--known-anomalies", "0", "5",
        "--seeds", "2", "--n-samples", "400", "--max-epochs", "3",
        "--output-dir", str(tmp_path),
    ])
    assert status == 0
    out, err = capsys.readouterr()
    assert "ROC AUC" in out and "signal (anomaly) efficiency" in out
    assert "fit time" in out and "k=0" in out and "k=5" in out
    assert "mean ± std over 2 seeds" in out
    assert "isolation-forest *" in out  # one-class models are marked
    # One progress line per fit: 2 seeds x (2 one-class + 2 (1+eps) x 2 k).
    progress = [line for line in err.splitlines()
                if "ROC AUC" in line and not line.startswith("warning:")]
    assert len(progress) == 12

    payload, rows = read_outputs(tmp_path, "moons")
    assert len(payload["records"]) == len(rows) == 12
    assert {record["model"] for record in payload["records"]} == set(models)
    assert {(r["model"], r["k"]) for r in payload["records"]} == {
        ("ope-uniform", 0), ("ope-uniform", 5), ("ope-hmc", 0), ("ope-hmc", 5),
        ("autoencoder", 0), ("isolation-forest", 0),
    }
    for record in payload["records"]:
        assert record["error"] is None
        assert 0.0 <= record["roc_auc"] <= 1.0
        assert 0.0 <= record["signal_efficiency"] <= 1.0
    assert {row["n_seeds"] for row in payload["summary"]} == {2}
    assert payload["config"]["known_anomalies"] == [0, 5]
    with open(tmp_path / "summary_moons.csv", newline="") as file:
        assert len(list(csv.DictReader(file))) == 6
    assert (tmp_path / "roc_moons.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_inverted_models_are_flagged_and_warned_about(tmp_path, capsys):
    # The anomalies sit in the dense centre of the normal data: a density
    # (IsolationForest) ranks them as the most normal events of all, while
    # gradient boosting on 30 labels finds them.
    rng = np.random.RandomState(0)
    X = np.vstack([rng.normal(0, 2.0, size=(600, 2)), rng.normal(0, 0.2, size=(90, 2))])
    y = np.r_[np.zeros(600, int), np.ones(90, int)]
    path = tmp_path / "core.npz"
    np.savez(path, X=X, y=y)
    status = main([
        "--data", str(path), "--models", "isolation-forest", "hist-gradient-boosting",
        "--known-anomalies", "30", "--quiet", "--output-dir", str(tmp_path),
    ])
    assert status == 0
    out, err = capsys.readouterr()
    payload, _ = read_outputs(tmp_path, "core")
    verdict = {row["model"]: row["roc_auc_vs_chance"] for row in payload["summary"]}
    assert verdict == {"isolation-forest": "inverted", "hist-gradient-boosting": "above"}
    assert "warning: isolation-forest at k=0 ranks the test anomalies" in err
    assert "hist-gradient-boosting at" not in err
    auc_line = next(line for line in out.splitlines() if line.startswith("isolation-forest"))
    assert auc_line.split()[3] == "!"
    assert "(inverted)" in out


def test_auc_table_marks_chance_and_inversion():
    def row(model, auc, verdict):
        return {"model": model, "kind": "one-class", "k": 0, "n_seeds": 1, "n_failed": 0,
                "roc_auc_mean": auc, "roc_auc_std": 0.0, "roc_auc_vs_chance": verdict,
                **{f"{m}_{s}": 0.0 for m in ("signal_efficiency", "signal_efficiency_1e-3",
                                               "sic", "fit_seconds") for s in ("mean", "std")}}
    summary = [row("isolation-forest", 0.49, "chance"), row("one-class-svm", 0.30, "inverted"),
               row("deep-svdd", 0.90, "above")]
    table = format_tables(summary, ["isolation-forest", "one-class-svm", "deep-svdd"], [0], 1)
    auc_table = table.split("\n\n")[1]
    assert auc_table.startswith("ROC AUC")
    lines = {line.split()[0]: line.rstrip() for line in auc_table.splitlines()}
    assert lines["isolation-forest"].endswith("0.490 ~")
    assert lines["one-class-svm"].endswith("0.300 !")
    assert lines["deep-svdd"].split()[-1] == "0.900"
    assert "(chance)" in auc_table and "(inverted)" in auc_table


def test_known_anomalies_help_the_detector_on_blobs(tmp_path, capsys):
    X, y = labelled_blobs(n_normal=400, n_anomaly=60, n_features=3)
    path = tmp_path / "blobs.npz"
    np.savez(path, X=X, y=y)
    status = main([
        "--data", str(path), "--models", "ope-uniform", "one-class-svm",
        "--known-anomalies", "20", "--max-epochs", "20", "--quiet",
        "--output-dir", str(tmp_path),
    ])
    assert status == 0
    payload, _ = read_outputs(tmp_path, "blobs")
    auc = {r["model"]: r["roc_auc"] for r in payload["records"]}
    assert auc["ope-uniform"] > 0.9
    assert set(auc) == {"ope-uniform", "one-class-svm"}
    assert "k=0" in capsys.readouterr().out  # the one-class column is added


def test_npz_file(tmp_path):
    if SHARED_HIGGS.exists():
        with np.load(SHARED_HIGGS) as archive:
            X, y = archive["X"][:400], archive["y"][:400]
    else:
        X, y = labelled_blobs(n_normal=250, n_anomaly=150, n_features=28)
    path = tmp_path / "higgs_small.npz"
    np.savez(path, X=X, y=y)
    status = main([
        "--data", str(path), "--models", "ope-rmsprop", "deep-svdd",
        "--known-anomalies", "0", "10", *QUICK, "--output-dir", str(tmp_path),
    ])
    assert status == 0
    payload, _ = read_outputs(tmp_path, "higgs_small")
    assert payload["data"]["n_rows"] == 400
    assert payload["data"]["n_features"] == X.shape[1]
    assert payload["data"]["n_anomalies"] == int(np.sum(y == 1))
    assert len(payload["records"]) == 3


def test_root_file(tmp_path):
    uproot = pytest.importorskip("uproot")
    X, y = labelled_blobs(n_normal=250, n_anomaly=150, n_features=3)
    path = tmp_path / "events.root"
    with uproot.recreate(path) as file:
        file["Events"] = {"a": X[:, 0], "b": X[:, 1], "c": X[:, 2],
                          "is_signal": y.astype(np.int8)}
        file.mktree("Other", {"x": "f8"})
    status = main([
        "--data", str(path), "--tree", "Events", "--branches", "a", "c",
        "--label", "is_signal", "--models", "deep-svdd", "--known-anomalies", "0",
        *QUICK, "--output-dir", str(tmp_path),
    ])
    assert status == 0
    payload, _ = read_outputs(tmp_path, "events")
    assert payload["data"]["n_features"] == 2
    assert payload["data"]["n_anomalies"] == 150
    # errors name the tree or branch, and exit 2
    for argv, message in [
        (["--tree", "Events", "--branches", "a", "d"], "no branch 'd'"),
        (["--tree", "Nope"], "has no tree 'Nope'"),
        ([], "holds 2 trees"),
    ]:
        with pytest.raises(SystemExit) as exit_info:
            main(["--data", str(path), "--label", "is_signal", *argv,
                  "--output-dir", str(tmp_path / "bad")])
        assert exit_info.value.code == 2


def test_root_file_with_event_weights(tmp_path):
    # Background in two clusters, the second at weight 0; the signal sits on
    # that second cluster. Fitted with the weights, a one-class detector
    # learns only the first cluster and finds the signal; the weighted test
    # metrics leave the zero-weight background out too. Without --weight the
    # second cluster is ordinary background, and the signal hides in it.
    uproot = pytest.importorskip("uproot")
    rng = np.random.RandomState(0)
    # (IsolationForest draws its 256-row subsamples among rows of non-zero
    # weight, so the first cluster keeps more than 256 training rows)
    first = rng.normal(size=(500, 2))
    second = rng.normal(size=(500, 2)) + 4.0
    signal = rng.normal(size=(150, 2)) + 4.0
    X = np.vstack([first, second, signal])
    path = tmp_path / "weighted.root"
    columns = {"a": X[:, 0], "b": X[:, 1],
               "is_signal": np.r_[np.zeros(1000), np.ones(150)].astype(np.int32),
               "w": np.r_[np.ones(500), np.zeros(500), np.ones(150)]}
    with uproot.recreate(path) as file:
        file.mktree("Events", {name: values.dtype for name, values in columns.items()})
        file["Events"].extend(columns)
    common = ["--data", str(path), "--label", "is_signal", "--branches", "a", "b",
              "--models", "isolation-forest", "--known-anomalies", "0", *QUICK]
    assert main([*common, "--weight", "w", "--output-dir", str(tmp_path / "w")]) == 0
    assert main([*common, "--output-dir", str(tmp_path / "plain")]) == 0
    weighted, _ = read_outputs(tmp_path / "w", "weighted")
    plain, _ = read_outputs(tmp_path / "plain", "weighted")
    assert weighted["records"][0]["roc_auc"] > 0.95
    assert plain["records"][0]["roc_auc"] < 0.7
    # negative weights exit 2 with the way out
    columns["w"][0] = -1.0
    with uproot.recreate(path) as file:
        file.mktree("Events", {name: values.dtype for name, values in columns.items()})
        file["Events"].extend(columns)
    with pytest.raises(SystemExit) as exit_info:
        main([*common, "--weight", "w", "--output-dir", str(tmp_path / "bad")])
    assert exit_info.value.code == 2


def test_roc_plot_in_a_collaborations_style(tmp_path):
    pytest.importorskip("mplhep")
    status = main(["--data", "moons", "--n-samples", "200", "--models", "isolation-forest",
                   "--known-anomalies", "0", *QUICK, "--plot-style", "CMS",
                   "--output-dir", str(tmp_path)])
    assert status == 0
    assert (tmp_path / "roc_moons.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    "file_name, header",
    [("events.csv", True), ("events.csv", False), ("events.csv.gz", True)],
)
def test_csv_file_with_or_without_header(tmp_path, file_name, header):
    X, y = labelled_blobs(n_normal=200, n_anomaly=30, n_features=3)
    path = tmp_path / file_name
    table = np.column_stack([y, X])
    np.savetxt(path, table, delimiter=",", fmt="%.6g",
               header="label,a,b,c" if header else "", comments="")
    status = main([
        "--data", str(path), "--n-samples", "150", "--models",
        "isolation-forest", "ope-uniform", "--known-anomalies", "3", *QUICK,
        "--output-dir", str(tmp_path),
    ])
    assert status == 0
    payload, _ = read_outputs(tmp_path, "events")
    assert payload["data"]["n_rows"] == 150
    assert payload["data"]["n_features"] == 3


class DivergingModel:
    """Stands in for a model whose training diverges."""

    def fit(self, X, y=None):
        raise FloatingPointError("loss became NaN in epoch 1")


def test_a_failed_fit_is_reported_and_the_run_goes_on(tmp_path, capsys, monkeypatch):
    from sklearn_physgen import _cli

    make_model = _cli.make_model

    def make_some_models_diverge(name, **options):
        return DivergingModel() if name == "ope-hmc" else make_model(name, **options)

    monkeypatch.setattr(_cli, "make_model", make_some_models_diverge)
    status = main([
        "--data", "moons", "--models", "ope-hmc", "isolation-forest", "--n-samples", "200",
        "--known-anomalies", "0", "5", *QUICK, "--output-dir", str(tmp_path),
    ])
    assert status == 1
    out, err = capsys.readouterr()
    assert "failed" in out and "2 fit(s) failed" in err
    payload, _ = read_outputs(tmp_path, "moons")
    errors = {r["model"]: r["error"] for r in payload["records"]}
    assert errors["isolation-forest"] is None
    assert "loss became NaN" in errors["ope-hmc"]


def test_default_options_follow_the_data():
    parser = build_parser()
    default = parser.parse_args([])
    check_arguments(parser, default)
    moons = parser.parse_args(["--data", "moons"])
    check_arguments(parser, moons)
    higgs = parser.parse_args(["--data", "higgs"])
    check_arguments(parser, higgs)
    assert default.data == "higgs-sample" and default.n_samples is None
    assert default.known_anomalies == [0, 10, 100]
    assert moons.known_anomalies == [0, 10]
    assert higgs.known_anomalies == [0, 10, 100, 1000]
    assert higgs.max_epochs == default.max_epochs == 40
    assert moons.models == higgs.models and len(moons.models) == 10


def test_default_run_is_on_the_shipped_real_higgs_events(tmp_path, capsys):
    status = main(["--models", "ope-uniform", "isolation-forest", "one-class-svm",
                   "--known-anomalies", "0", "100", *QUICK,
                   "--output-dir", str(tmp_path)])
    assert status == 0
    payload, _ = read_outputs(tmp_path, "higgs-sample")
    assert payload["data"]["source"] == "higgs-sample"
    assert payload["data"]["n_rows"] == 4000 and payload["data"]["n_features"] == 28
    assert payload["data"]["n_anomalies"] == 2100  # signal fraction 0.525
    assert (tmp_path / "roc_higgs-sample.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_supervised_peer_and_physics_metrics(tmp_path, capsys):
    """Gradient boosting and the (1+eps) meta-estimator appear for k > 0, with
    signal efficiencies at 1e-2 and 1e-3 and the SIC."""
    X, y = labelled_blobs(n_normal=1200, n_anomaly=120, n_features=3)
    path = tmp_path / "blobs.npz"
    np.savez(path, X=X, y=y)
    models = ["ope-classifier", "hist-gradient-boosting", "isolation-forest"]
    status = main(["--data", str(path), "--models", *models,
                   "--known-anomalies", "0", "10", "--quiet",
                   "--output-dir", str(tmp_path)])
    assert status == 0
    out = capsys.readouterr().out
    assert "background efficiency 0.001" in out and "significance improvement" in out
    payload, _ = read_outputs(tmp_path, "blobs")
    pairs = {(r["model"], r["k"]) for r in payload["records"]}
    assert pairs == {("ope-classifier", 0), ("ope-classifier", 10),
                     ("hist-gradient-boosting", 10), ("isolation-forest", 0)}
    for record in payload["records"]:
        assert record["kind"] == {"ope-classifier": "(1+eps)",
                                  "hist-gradient-boosting": "supervised",
                                  "isolation-forest": "one-class"}[record["model"]]
        # the anomalies sit 2.5 sigma away in every feature: easy to find
        assert record["roc_auc"] > 0.95
        assert record["signal_efficiency_1e-3"] <= record["signal_efficiency"]
        assert record["sic"] > 3.0  # a random score: 1


def test_help_in_a_subprocess():
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY_ROOT)}
    completed = subprocess.run(
        [sys.executable, "-m", "sklearn_physgen", "--help"],
        cwd=REPOSITORY_ROOT, env=environment, capture_output=True, text=True, check=False,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    assert "--known-anomalies" in completed.stdout
    assert "ope-hmc" in "".join(completed.stdout.split())


def write_npz_without_y(path):
    np.savez(path, X=np.zeros((10, 2)), labels=np.zeros(10))


def write_non_numeric_csv(path):
    path.write_text("label,a,b\n0,1.0,2.0\n1,oops,3.0\n")


def write_single_class_npz(path):
    np.savez(path, X=np.zeros((10, 2)), y=np.zeros(10))


def write_text(path):
    path.write_text("0 1 2\n")


BAD_DATA = {
    "missing file": ("missing.npz", None, "no such file"),
    "wrong extension": ("data.txt", write_text, "neither one of"),
    "npz without y": ("no_y.npz", write_npz_without_y, "has no array 'y'"),
    "non-numeric csv": (
        "words.csv", write_non_numeric_csv, "line 3, column 2: 'oops' is not a number"
    ),
    "one class": ("one_class.npz", write_single_class_npz, "only one class"),
}


def run_expecting_usage_error(argv, capsys):
    """Run ``main`` and return stderr, checking for a clean exit with status 2."""
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("sklearn-physgen: error: ")
    return err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--models", "ope-uniform", "svm"], "unknown model 'svm'"),
        (["--known-anomalies", "0", "-3"], "-3 is negative"),
        (["--data", "moons", "--known-anomalies", "100000"],
         "100000 is more than the 70 anomalies"),
        (["--seeds", "0"], "--seeds: must be at least 1"),
        (["--epsilon", "1.5"], "--epsilon"),
        (["--max-epochs", "0"], "--max-epochs"),
        (["--tree", "Events"], "--tree: only for --data FILE.root"),
        (["--data", "events.root"], "--label: required with a .root file"),
        (["--plot-style", "Belle"], "--plot-style: invalid choice"),
    ],
)
def test_bad_arguments_exit_2(argv, message, capsys, tmp_path):
    output_dir = tmp_path / "results"
    err = run_expecting_usage_error([*argv, "--output-dir", str(output_dir)], capsys)
    assert message in err
    assert not output_dir.exists()


@pytest.mark.parametrize("case", list(BAD_DATA))
def test_unreadable_data_exits_2(case, capsys, tmp_path):
    file_name, write, message = BAD_DATA[case]
    path = tmp_path / file_name
    if write is not None:
        write(path)
    output_dir = tmp_path / "results"
    err = run_expecting_usage_error(
        ["--data", str(path), "--output-dir", str(output_dir)], capsys
    )
    assert message in err
    assert not output_dir.exists()
