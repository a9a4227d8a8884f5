"""ROOT input: load_root on files the tests write with uproot (no ROOT needed)."""

import numpy as np
import pytest

uproot = pytest.importorskip("uproot")
ak = pytest.importorskip("awkward")

from sklearn_physgen.datasets import load_root

N_EVENTS = 2000


@pytest.fixture(scope="module")
def events():
    rng = np.random.default_rng(0)
    return {
        "lepton_pt": rng.exponential(30.0, N_EVENTS),
        "lepton_eta": rng.normal(0.0, 1.5, N_EVENTS).astype(np.float32),
        "n_jets": rng.integers(0, 6, N_EVENTS).astype(np.int32),
        "is_signal": rng.integers(0, 2, N_EVENTS).astype(np.int8),
        "weight": rng.uniform(0.5, 1.5, N_EVENTS),
        "met_xy": rng.normal(size=(N_EVENTS, 2)),
    }


@pytest.fixture(scope="module")
def root_file(tmp_path_factory, events):
    path = tmp_path_factory.mktemp("root") / "events.root"
    with uproot.recreate(path) as file:
        file.mktree("Events", {name: (values.dtype, values.shape[1:])
                               for name, values in events.items()})
        # written in two baskets, so reading crosses a basket boundary
        half = N_EVENTS // 2
        file["Events"].extend({k: v[:half] for k, v in events.items()})
        file["Events"].extend({k: v[half:] for k, v in events.items()})
        file.mktree("Jets", {"Jet_pt": "var * float64", "n": "int32"})
        file["Jets"].extend({"Jet_pt": ak.Array([[50.0, 20.0], [], [31.0]]),
                             "n": np.array([2, 0, 1], dtype=np.int32)})
        file["ntuple"] = {"a": np.arange(10.0), "b": -np.arange(10.0)}  # an RNTuple
    return path


def test_branches_become_the_columns_of_the_fetchers_bunch(root_file, events):
    bunch = load_root(root_file, "Events", ["lepton_pt", "lepton_eta", "n_jets"],
                      target="is_signal", weight="weight")
    assert bunch.data.dtype == np.float32 and bunch.data.shape == (N_EVENTS, 3)
    assert bunch.feature_names == ["lepton_pt", "lepton_eta", "n_jets"]
    np.testing.assert_array_equal(bunch.data[:, 0], events["lepton_pt"].astype(np.float32))
    np.testing.assert_array_equal(bunch.data[:, 2], events["n_jets"])
    np.testing.assert_array_equal(bunch.target, events["is_signal"])
    np.testing.assert_allclose(bunch.sample_weight, events["weight"], rtol=1e-7)
    assert "Events" in bunch.DESCR and "is_signal" in bunch.DESCR
    X, y = load_root(root_file, "Events", ["lepton_pt"], target="is_signal",
                     return_X_y=True)
    assert X.shape == (N_EVENTS, 1) and y.shape == (N_EVENTS,)


def test_all_branches_by_default_and_fixed_size_arrays_as_columns(root_file, events):
    bunch = load_root(root_file, "Events", target="is_signal", weight="weight",
                      dtype=np.float64)
    assert bunch.feature_names == ["lepton_pt", "lepton_eta", "n_jets",
                                   "met_xy[0]", "met_xy[1]"]
    np.testing.assert_array_equal(bunch.data[:, 3:], events["met_xy"])


def test_cut_and_row_limit_select_the_first_passing_events(root_file, events):
    passing = np.flatnonzero((events["lepton_pt"] > 40) & (events["n_jets"] >= 2))
    bunch = load_root(root_file, "Events", ["lepton_pt", "n_jets"],
                      target="is_signal", cut="(lepton_pt > 40) & (n_jets >= 2)",
                      n_samples=100)
    assert len(bunch.data) == 100
    np.testing.assert_array_equal(bunch.data[:, 0],
                                  events["lepton_pt"][passing[:100]].astype(np.float32))
    np.testing.assert_array_equal(bunch.target, events["is_signal"][passing[:100]])
    everything = load_root(root_file, "Events", ["lepton_pt"], cut="lepton_pt > 40")
    assert len(everything.data) == np.sum(events["lepton_pt"] > 40)


def test_as_frame(root_file):
    pd = pytest.importorskip("pandas")
    bunch = load_root(root_file, "Events", ["lepton_pt", "lepton_eta"],
                      target="is_signal", as_frame=True)
    assert isinstance(bunch.data, pd.DataFrame)
    assert list(bunch.frame.columns) == ["lepton_pt", "lepton_eta", "target"]


def test_rntuples_are_read_too(root_file):
    bunch = load_root(root_file, "ntuple", ["b", "a"])
    np.testing.assert_array_equal(bunch.data, np.c_[-np.arange(10.0), np.arange(10.0)])
    with pytest.raises(ValueError, match="TTrees only"):
        load_root(root_file, "ntuple", ["a"], cut="a > 4")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"tree": "Nope"}, r"has no tree 'Nope'; it holds: Events, Jets, ntuple"),
        ({"tree": None}, "holds 3 trees"),
        ({"tree": "Events", "branches": ["lepton_pt", "jet_pt"]},
         r"no branch 'jet_pt' \(a feature\); its branches: lepton_pt"),
        ({"tree": "Events", "branches": ["lepton_pt"], "target": "label"},
         r"no branch 'label' \(target\)"),
        ({"tree": "Jets"}, r"'Jet_pt' \(double\[\]\) .* is jagged"),
        ({"tree": "Jets", "branches": ["n"], "cut": "n >> "}, "Cannot apply cut"),
        ({"tree": "Events", "branches": "lepton_pt"}, "list of names"),
        ({"tree": "Events", "n_samples": 0}, "n_samples must be a positive integer"),
    ],
)
def test_clear_errors(root_file, kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        load_root(root_file, **kwargs)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="No such ROOT file"):
        load_root(tmp_path / "absent.root", "Events")
