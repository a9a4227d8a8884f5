"""Tests of sklearn_physgen.datasets; downloads only ever reach 127.0.0.1."""

import gzip
import hashlib
import http.server
import os
import socket
import threading
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import make_moons

from sklearn_physgen import datasets
from sklearn_physgen.datasets import (
    RemoteFile,
    clear_data_home,
    fetch_higgs,
    fetch_susy,
    get_data_home,
    load_higgs_sample,
    make_anomaly_moons,
    make_anomaly_split,
    make_curved_manifold,
)
from sklearn_physgen.datasets._base import _iter_numeric_csv, _read_numeric_csv

SHARED_HIGGS = Path(__file__).resolve().parents[2] / "shared" / "data" / "higgs.npz"


# ---------------------------------------------------------------------------
# A local HTTP server and small stand-ins for the UCI archives
# ---------------------------------------------------------------------------


class LocalServer:
    """Serve registered byte strings on 127.0.0.1, counting the requests.

    A route's mode is ``"ok"``, or ``"truncate"``: announce twice the body's
    length, send the body and close the connection.
    """

    def __init__(self):
        self.routes = {}
        self.requests = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                if self.path not in server.routes:
                    self.send_error(404)
                    return
                body, mode = server.routes[self.path]
                self.send_response(200)
                announced = 2 * len(body) if mode == "truncate" else len(body)
                self.send_header("Content-Length", str(announced))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self.thread.start()
        self.closed = False

    def url(self, path):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def close(self):
        if not self.closed:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.closed = True


@pytest.fixture
def server():
    local_server = LocalServer()
    yield local_server
    local_server.close()


@pytest.fixture(autouse=True)
def isolated_data_home(tmp_path, monkeypatch):
    """Never touch the user's data folders."""
    monkeypatch.setenv("SKLEARN_PHYSGEN_DATA", str(tmp_path / "default_home"))
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path / "sklearn_home"))


def make_archive(n_rows, n_features, seed=0):
    """A gzipped label-first CSV like UCI's, with the arrays it holds."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_rows, n_features)).astype(np.float32)
    y = (rng.uniform(size=n_rows) < 0.5).astype(np.int8)
    lines = [
        ",".join([f"{label:.18e}"] + [f"{value:.9e}" for value in row])
        for label, row in zip(y.astype(float), X)
    ]
    body = gzip.compress(("\n".join(lines) + "\n").encode())
    return body, X, y


def serve_archive(server, monkeypatch, attribute, n_features, *, mode="ok", **fields):
    """Serve a 50-row archive and point ``datasets.<attribute>`` at it."""
    body, X, y = make_archive(50, n_features)
    filename = getattr(datasets, attribute).filename
    server.routes[f"/{filename}"] = (body, mode)
    remote = RemoteFile(
        filename=filename,
        url=server.url(f"/{filename}"),
        sha256=hashlib.sha256(body).hexdigest(),
        n_rows=50,
    )._replace(**fields)
    monkeypatch.setattr(datasets, attribute, remote)
    return body, X, y


@pytest.fixture
def higgs_archive(server, monkeypatch):
    return serve_archive(server, monkeypatch, "HIGGS_REMOTE", 28)


def listing(directory):
    return sorted(os.listdir(directory)) if os.path.isdir(directory) else []


# ---------------------------------------------------------------------------
# Data home
# ---------------------------------------------------------------------------


def test_get_data_home_resolution_order(tmp_path, monkeypatch):
    explicit = tmp_path / "explicit"
    assert get_data_home(explicit) == str(explicit)
    assert explicit.is_dir()
    assert get_data_home() == str(tmp_path / "default_home")
    monkeypatch.delenv("SKLEARN_PHYSGEN_DATA")
    assert get_data_home() == str(tmp_path / "sklearn_home" / "sklearn_physgen")
    assert (tmp_path / "sklearn_home" / "sklearn_physgen").is_dir()


def test_clear_data_home_removes_the_folder(tmp_path):
    home = Path(get_data_home(tmp_path / "home"))
    (home / "higgs").mkdir()
    (home / "higgs" / "file").write_text("x")
    clear_data_home(home)
    assert not home.exists()
    clear_data_home(home)  # absent: no error


# ---------------------------------------------------------------------------
# Fetchers
# ---------------------------------------------------------------------------


def test_fetch_higgs_downloads_verifies_and_caches(tmp_path, server, higgs_archive):
    _, X_expected, y_expected = higgs_archive
    bunch = fetch_higgs(data_home=tmp_path)
    assert bunch.data.shape == (50, 28) and bunch.data.dtype == np.float32
    assert bunch.target.shape == (50,) and bunch.target.dtype == np.int8
    np.testing.assert_array_equal(bunch.data, X_expected)
    np.testing.assert_array_equal(bunch.target, y_expected)
    assert len(bunch.feature_names) == 28
    assert bunch.feature_names[0] == "lepton_pT" and bunch.feature_names[-1] == "m_wwbb"
    assert list(bunch.target_names) == ["background", "signal"]
    assert (bunch.signal_label, bunch.background_label) == (1, 0)
    assert bunch.frame is None and "HIGGS" in bunch.DESCR
    assert len(server.requests) == 1
    files = listing(tmp_path / "higgs")
    assert "HIGGS.csv.gz" in files and len(files) == 3  # archive, X and y
    assert not any(name.startswith(".") for name in files)

    server.close()  # the second call must not need the network
    again = fetch_higgs(data_home=tmp_path, download_if_missing=False)
    assert isinstance(again.data, np.memmap) and not again.data.flags.writeable
    np.testing.assert_array_equal(again.data, X_expected)
    assert len(server.requests) == 1


def test_feature_names_match_the_shared_higgs_file():
    if not SHARED_HIGGS.exists():
        pytest.skip(f"{SHARED_HIGGS} not present")
    with np.load(SHARED_HIGGS, allow_pickle=False) as shared:
        assert list(shared["feature_names"]) == datasets.HIGGS_FEATURE_NAMES


def test_shipped_higgs_sample_is_real_and_offline():
    bunch = load_higgs_sample()
    assert bunch.data.shape == (4000, 28) and bunch.data.dtype == np.float32
    assert bunch.target.dtype == np.int8 and set(np.unique(bunch.target)) == {0, 1}
    assert bunch.feature_names == datasets.HIGGS_FEATURE_NAMES
    assert "CC BY 4.0" in bunch.DESCR and "Baldi" in bunch.DESCR
    # b-tags take UCI's few discrete values; lepton pT is positive
    b_tag = bunch.data[:, bunch.feature_names.index("jet_1_b-tag")]
    assert len(np.unique(b_tag)) <= 3 and (bunch.data[:, 0] > 0).all()
    if SHARED_HIGGS.exists():  # the very rows of the project's real subset
        with np.load(SHARED_HIGGS, allow_pickle=False) as shared:
            rows = np.flatnonzero(shared["source"] == 0)[:4000]
            np.testing.assert_array_equal(bunch.data, shared["X"][rows])
            np.testing.assert_array_equal(bunch.target, shared["y"][rows])
    X, y = load_higgs_sample(return_X_y=True)
    assert X.shape == (4000, 28) and y.shape == (4000,)


def test_fetch_susy_return_X_y(tmp_path, server, monkeypatch):
    _, X_expected, y_expected = serve_archive(server, monkeypatch, "SUSY_REMOTE", 18)
    X, y = fetch_susy(data_home=tmp_path, return_X_y=True)
    assert X.shape == (50, 18) and X.dtype == np.float32 and y.dtype == np.int8
    np.testing.assert_array_equal(X, X_expected)
    np.testing.assert_array_equal(y, y_expected)
    assert len(datasets.SUSY_FEATURE_NAMES) == 18
    assert fetch_susy(data_home=tmp_path).feature_names[-1] == "cos_theta_r1"


def test_checksum_mismatch_keeps_nothing(tmp_path, server, monkeypatch):
    serve_archive(server, monkeypatch, "HIGGS_REMOTE", 28, sha256="0" * 64)
    with pytest.raises(OSError, match="SHA-256") as info:
        fetch_higgs(data_home=tmp_path)
    assert "0" * 64 in str(info.value) and str(tmp_path / "higgs") in str(info.value)
    assert listing(tmp_path / "higgs") == []


def test_truncated_transfer_keeps_nothing_and_is_redone(tmp_path, server, monkeypatch):
    body, X_expected, _ = serve_archive(
        server, monkeypatch, "HIGGS_REMOTE", 28, mode="truncate"
    )
    with pytest.raises(OSError, match="truncated"):
        fetch_higgs(data_home=tmp_path)
    assert listing(tmp_path / "higgs") == []

    server.routes["/HIGGS.csv.gz"] = (body, "ok")
    np.testing.assert_array_equal(fetch_higgs(data_home=tmp_path).data, X_expected)
    assert len(server.requests) == 2


class DroppedConnection:
    """A response that delivers one chunk, then fails like a reset connection."""

    headers = {}

    def __init__(self, url, timeout=None):
        self.chunks_sent = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False

    def read(self, size):
        self.chunks_sent += 1
        if self.chunks_sent > 1:
            raise ConnectionResetError("connection reset by peer")
        return b"\x1f\x8b" + b"x" * 100


def test_connection_dropped_mid_stream_keeps_nothing(tmp_path, monkeypatch):
    url = "http://127.0.0.1:9/HIGGS.csv.gz"
    monkeypatch.setattr(datasets, "HIGGS_REMOTE", RemoteFile("HIGGS.csv.gz", url))
    monkeypatch.setattr("sklearn_physgen.datasets._base.urlopen", DroppedConnection)
    with pytest.raises(OSError, match="interrupted after 102 bytes") as info:
        fetch_higgs(data_home=tmp_path)
    assert url in str(info.value)
    assert listing(tmp_path / "higgs") == []


def test_unreachable_server_names_url_and_folder(tmp_path, monkeypatch):
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/HIGGS.csv.gz"
    monkeypatch.setattr(datasets, "HIGGS_REMOTE", RemoteFile("HIGGS.csv.gz", url))
    with pytest.raises(OSError, match="Could not download") as info:
        fetch_higgs(data_home=tmp_path)
    assert url in str(info.value) and str(tmp_path / "higgs") in str(info.value)
    assert listing(tmp_path / "higgs") == []


def test_download_if_missing_false(tmp_path, server, higgs_archive):
    with pytest.raises(OSError, match="Data not found") as info:
        fetch_higgs(data_home=tmp_path, download_if_missing=False)
    message = str(info.value)
    assert "HIGGS.csv.gz" in message and str(tmp_path / "higgs") in message
    assert "download_if_missing=True" in message
    assert server.requests == []


def test_n_samples_without_and_with_the_full_cache(tmp_path, higgs_archive):
    _, X_expected, y_expected = higgs_archive
    X, y = fetch_higgs(data_home=tmp_path, n_samples=7, return_X_y=True)
    np.testing.assert_array_equal(X, X_expected[:7])
    np.testing.assert_array_equal(y, y_expected[:7])
    assert listing(tmp_path / "higgs") == ["HIGGS.csv.gz"]  # no array cache

    fetch_higgs(data_home=tmp_path)  # builds the full cache
    X, y = fetch_higgs(data_home=tmp_path, n_samples=7, return_X_y=True)
    np.testing.assert_array_equal(X, X_expected[:7])
    assert X.flags.writeable and not isinstance(X, np.memmap)

    with pytest.raises(ValueError, match="only 50 rows"):
        fetch_higgs(data_home=tmp_path, n_samples=51)
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="n_samples"):
            fetch_higgs(data_home=tmp_path, n_samples=bad)


def test_parsing_in_several_blocks(tmp_path, higgs_archive, monkeypatch):
    _, X_expected, y_expected = higgs_archive
    monkeypatch.setattr("sklearn_physgen.datasets._uci._CSV_CHUNK_ROWS", 7)
    X, y = fetch_higgs(data_home=tmp_path, n_samples=20, return_X_y=True)
    np.testing.assert_array_equal(X, X_expected[:20])
    X, y = fetch_higgs(data_home=tmp_path, return_X_y=True)
    np.testing.assert_array_equal(X, X_expected)
    np.testing.assert_array_equal(y, y_expected)


def test_n_samples_beyond_the_file_without_cache(tmp_path, higgs_archive):
    with pytest.raises(ValueError, match="only 50 rows"):
        fetch_higgs(data_home=tmp_path, n_samples=60)


def test_as_frame(tmp_path, higgs_archive):
    pandas = pytest.importorskip("pandas")
    _, X_expected, y_expected = higgs_archive
    bunch = fetch_higgs(data_home=tmp_path, as_frame=True)
    assert list(bunch.frame.columns) == datasets.HIGGS_FEATURE_NAMES + ["target"]
    assert isinstance(bunch.data, pandas.DataFrame)
    assert isinstance(bunch.target, pandas.Series) and bunch.target.name == "target"
    np.testing.assert_array_equal(bunch.data.to_numpy(), X_expected)
    X, y = fetch_higgs(data_home=tmp_path, as_frame=True, return_X_y=True, n_samples=5)
    assert X.shape == (5, 28) and y.tolist() == y_expected[:5].tolist()


def test_corrupted_cache_is_rebuilt(tmp_path, server, higgs_archive):
    _, X_expected, _ = higgs_archive
    fetch_higgs(data_home=tmp_path)
    (x_cache,) = (tmp_path / "higgs").glob("*_X.npy")
    x_cache.write_bytes(x_cache.read_bytes()[:200])  # truncated
    with pytest.warns(UserWarning, match="rebuilt"):
        bunch = fetch_higgs(data_home=tmp_path)
    np.testing.assert_array_equal(bunch.data, X_expected)
    assert len(server.requests) == 1  # rebuilt from the kept archive

    x_cache.write_bytes(b"not an npy file")
    with pytest.warns(UserWarning, match="rebuilt"):
        np.testing.assert_array_equal(fetch_higgs(data_home=tmp_path).data, X_expected)


def test_wrong_row_count_is_rejected(tmp_path, server, monkeypatch):
    serve_archive(server, monkeypatch, "HIGGS_REMOTE", 28, n_rows=60)
    with pytest.raises(OSError, match="50 rows, expected 60"):
        fetch_higgs(data_home=tmp_path)
    assert listing(tmp_path / "higgs") == ["HIGGS.csv.gz"]


def test_malformed_csv_is_a_clear_error(tmp_path):
    folder = Path(get_data_home(tmp_path)) / "higgs"
    folder.mkdir()
    with gzip.open(folder / "HIGGS.csv.gz", "wt") as stream:
        stream.write(",".join(["1"] + ["0.5"] * 20) + "\n")  # 21 columns, not 29
    with pytest.raises(OSError, match="Could not parse .*expected 29 columns"):
        fetch_higgs(data_home=tmp_path, download_if_missing=False)

    good_row = ",".join(["1"] + ["0.5"] * 28)
    with gzip.open(folder / "HIGGS.csv.gz", "wt") as stream:
        stream.write(f"{good_row}\n{good_row}\n{good_row.replace('0.5', 'x', 4)}\n")
    with pytest.raises(OSError, match="line 3, column 2: 'x' is not a number") as info:
        fetch_higgs(data_home=tmp_path, download_if_missing=False, n_samples=3)
    assert "Could not parse" in str(info.value)
    assert str(folder / "HIGGS.csv.gz") in str(info.value)


def test_without_checksum_the_gzip_stream_is_checked(tmp_path, server, monkeypatch):
    body, X_expected, _ = serve_archive(
        server, monkeypatch, "SUSY_REMOTE", 18, sha256=None
    )
    with pytest.warns(UserWarning, match="No published SHA-256"):
        X, _ = fetch_susy(data_home=tmp_path, return_X_y=True)
    np.testing.assert_array_equal(X, X_expected)

    clear_data_home(tmp_path)
    server.routes["/SUSY.csv.gz"] = (body[:-10], "ok")  # complete HTTP, broken gzip
    with pytest.raises(OSError, match="not a complete gzip stream"):
        fetch_susy(data_home=tmp_path)
    assert listing(tmp_path / "susy") == []


# ---------------------------------------------------------------------------
# The numeric CSV reader (fetchers and the sklearn-physgen command)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["table.csv", "table.csv.gz"])
def test_numeric_csv_with_an_inferred_header(tmp_path, name):
    path = tmp_path / name
    with (gzip.open if name.endswith(".gz") else open)(path, "wt") as stream:
        stream.write("label,a,b\n0,1.5,2\n\n1,-3,4e2\n")
    table = _read_numeric_csv(path, header="infer")
    assert table.dtype == np.float64
    np.testing.assert_array_equal(table, [[0, 1.5, 2], [1, -3, 400]])
    np.testing.assert_array_equal(_read_numeric_csv(path, header=True), table)
    with pytest.raises(ValueError, match="line 1, column 1: 'label' is not a number"):
        _read_numeric_csv(path)  # header=False

    (tmp_path / "numbers.csv").write_text("0,1.5,2\n1,-3,4e2\n")
    np.testing.assert_array_equal(
        _read_numeric_csv(tmp_path / "numbers.csv", header="infer"), table
    )
    (tmp_path / "short_header.csv").write_text("\nlabel,a\n0,1.5,2\n1,-3,4e2\n")
    np.testing.assert_array_equal(
        _read_numeric_csv(tmp_path / "short_header.csv", header="infer"), table
    )
    (tmp_path / "header_only.csv").write_text("label,a,b\n")
    with pytest.raises(ValueError, match="holds no data rows"):
        _read_numeric_csv(tmp_path / "header_only.csv", header="infer")


def test_numeric_csv_in_blocks(tmp_path):
    path = tmp_path / "table.csv"
    rows = np.arange(30.0).reshape(10, 3)
    np.savetxt(path, rows, delimiter=",")
    blocks = list(_iter_numeric_csv(path, dtype=np.float32, chunk_rows=4))
    assert [len(block) for block in blocks] == [4, 4, 2]
    assert all(block.dtype == np.float32 for block in blocks)
    np.testing.assert_array_equal(np.concatenate(blocks), rows)
    first = list(_iter_numeric_csv(path, n_rows=5, chunk_rows=4))
    np.testing.assert_array_equal(np.concatenate(first), rows[:5])


@pytest.mark.parametrize(
    "lines, message",
    [
        (["1,2,3", "4,oops,6"], "line 2, column 2: 'oops' is not a number"),
        (["1,2,3", "", "4,,6"], "line 3, column 2: empty field"),
        (["1,2,3", "4,NaN,6"], "line 2, column 2: 'NaN' is not a number"),
        (["1,2,3", "4,NA,6"], "line 2, column 2: 'NA' is not a number"),
        (["1,2,3", "4,5"], "line 2: 2 fields, expected 3"),
        (["1,2,3", "4,5,6,7"], "line 2: 4 fields, expected 3"),
        ([], "the file holds no data rows"),
    ],
)
def test_numeric_csv_errors_name_the_file_and_line(tmp_path, lines, message):
    path = tmp_path / "bad.csv"
    path.write_text("".join(f"{line}\n" for line in lines))
    with pytest.raises(ValueError, match=message) as info:
        _read_numeric_csv(path)
    assert str(info.value).startswith(str(path))


def test_numeric_csv_error_in_a_later_block(tmp_path):
    path = tmp_path / "bad.csv"
    lines = ["x,y"] + [f"{i},{i}" for i in range(10)]
    lines[8] = "7,?"
    path.write_text("".join(f"{line}\n" for line in lines))
    blocks = _iter_numeric_csv(path, header=True, chunk_rows=3)
    assert len(next(blocks)) == 3  # lines 2-4
    with pytest.raises(ValueError, match=r"line 9, column 2: '\?' is not a number"):
        list(blocks)


@pytest.mark.parametrize(
    "content",
    # mtime=0: the gzip header holds no time stamp, so every pytest-xdist
    # worker collects the same test
    [b"not gzip at all", gzip.compress(b"1,2\n", mtime=0)[:-12]],
    ids=["not gzip", "truncated gzip"],
)
def test_numeric_csv_broken_gzip_is_an_os_error(tmp_path, content):
    path = tmp_path / "table.csv.gz"
    path.write_bytes(content)
    with pytest.raises(OSError) as info:
        _read_numeric_csv(path)
    assert str(info.value).startswith(str(path))


# ---------------------------------------------------------------------------
# make_anomaly_split
# ---------------------------------------------------------------------------


def labelled_data(n_samples=1000, anomaly_fraction=0.2, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, 3))
    y = (rng.uniform(size=n_samples) < anomaly_fraction).astype(np.int8)
    return X, y


def test_split_follows_the_protocol():
    X, y = labelled_data()
    split = make_anomaly_split(X, y, n_known_anomalies=7, random_state=0)
    train, test = split.train_indices, split.test_indices
    assert len(test) == 300 and len(np.intersect1d(train, test)) == 0
    assert np.abs(y[test].mean() - y.mean()) < 0.01  # stratified
    train_part_normals = np.setdiff1d(np.arange(len(y)), test)
    train_part_normals = train_part_normals[y[train_part_normals] == 0]
    np.testing.assert_array_equal(np.sort(train[y[train] == 0]), train_part_normals)
    assert (y[train] == 1).sum() == 7
    assert split.X_train.shape == (len(train), 3)
    np.testing.assert_array_equal(split.X_train, X[train])
    np.testing.assert_array_equal(split.X_test, X[test])
    np.testing.assert_array_equal(split.y_train, np.where(y[train] == 1, -1, 1))
    np.testing.assert_array_equal(split.y_test, np.where(y[test] == 1, -1, 1))
    assert set(np.unique(split.y_test)) == {-1, 1}


def test_split_is_reproducible_and_seed_dependent():
    X, y = labelled_data()
    first = make_anomaly_split(X, y, n_known_anomalies=5, random_state=3)
    second = make_anomaly_split(X, y, n_known_anomalies=5, random_state=3)
    other = make_anomaly_split(X, y, n_known_anomalies=5, random_state=4)
    np.testing.assert_array_equal(first.train_indices, second.train_indices)
    assert not np.array_equal(first.test_indices, other.test_indices)


def test_split_zero_known_anomalies_and_other_labels():
    X, y = labelled_data()
    labels = np.where(y == 1, "signal", "background")
    split = make_anomaly_split(X, labels, anomaly_label="signal", random_state=0)
    assert set(np.unique(split.y_train)) == {1}
    assert (split.y_test == -1).sum() == (labels[split.test_indices] == "signal").sum()


def test_split_keeps_dataframes():
    pandas = pytest.importorskip("pandas")
    X, y = labelled_data(200)
    frame = pandas.DataFrame(X, columns=["a", "b", "c"])
    split = make_anomaly_split(frame, pandas.Series(y), n_known_anomalies=2)
    assert isinstance(split.X_train, pandas.DataFrame)
    assert list(split.X_train.columns) == ["a", "b", "c"]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_known_anomalies": 1000}, "training part holds only"),
        ({"n_known_anomalies": -1}, "non-negative integer"),
        ({"n_known_anomalies": 1.5}, "non-negative integer"),
        ({"anomaly_label": 7}, "No row of y has anomaly_label=7"),
    ],
)
def test_split_errors(kwargs, message):
    X, y = labelled_data()
    with pytest.raises(ValueError, match=message):
        make_anomaly_split(X, y, **kwargs)


def test_split_rejects_inconsistent_or_degenerate_input():
    X, y = labelled_data()
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        make_anomaly_split(X[:-1], y)
    with pytest.raises(ValueError, match="no normal data"):
        make_anomaly_split(X, np.ones(len(X)))


def test_split_on_the_shared_higgs_sample():
    if not SHARED_HIGGS.exists():
        pytest.skip(f"{SHARED_HIGGS} not present")
    with np.load(SHARED_HIGGS, allow_pickle=False) as shared:
        X, y = shared["X"], shared["y"]
    split = make_anomaly_split(X, y, n_known_anomalies=100, random_state=0)
    assert split.X_train.dtype == np.float32 and split.X_train.shape[1] == 28
    assert (split.y_train == -1).sum() == 100
    assert abs((split.y_test == -1).mean() - y.mean()) < 0.005
    assert len(split.y_train) == (y[split.train_indices] == 0).sum() + 100


# ---------------------------------------------------------------------------
# Synthetic data
# ---------------------------------------------------------------------------


def test_anomaly_moons_shapes_labels_and_seed():
    X, y = make_anomaly_moons(400, n_anomalies=30, random_state=0)
    assert X.shape == (430, 2) and X.dtype == np.float64
    assert set(np.unique(y)) == {0, 1} and y.sum() == 30
    assert y[:30].sum() < 30  # shuffled, anomalies not all at the start or end
    assert y[-30:].sum() < 30
    X_again, y_again = make_anomaly_moons(400, n_anomalies=30, random_state=0)
    np.testing.assert_array_equal(X, X_again)
    np.testing.assert_array_equal(y, y_again)
    X_other, _ = make_anomaly_moons(400, n_anomalies=30, random_state=1)
    assert not np.allclose(X, X_other)
    _, y_none = make_anomaly_moons(100, n_anomalies=0, random_state=0)
    assert y_none.sum() == 0


def test_anomaly_moons_anomalies_lie_off_the_moons():
    X, y = make_anomaly_moons(1000, n_anomalies=50, random_state=0)
    anomalies, normal = X[y == 1], X[y == 0]
    distances = np.linalg.norm(anomalies[:, None, :] - normal[None, :, :], axis=-1)
    assert distances.min() > 0.1
    noiseless, _ = make_moons(2000, noise=0.0, random_state=0)
    to_curves = np.linalg.norm(anomalies[:, None, :] - noiseless[None], axis=-1)
    assert to_curves.min() > 0.25
    # ...yet inside the moons' bounding box, where one-class methods see no gap.
    assert (anomalies.min(axis=0) > normal.min(axis=0)).all()
    assert (anomalies.max(axis=0) < normal.max(axis=0)).all()


def test_anomaly_moons_feed_the_split():
    X, y = make_anomaly_moons(300, n_anomalies=40, random_state=0)
    split = make_anomaly_split(X, y, n_known_anomalies=10, random_state=0)
    assert (split.y_train == -1).sum() == 10


@pytest.mark.parametrize(
    "kwargs", [{"n_samples": 1}, {"n_anomalies": -1}, {"noise": -0.1}]
)
def test_anomaly_moons_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        make_anomaly_moons(**kwargs)


def test_curved_manifold_same_seed_same_data_other_seed_other_data():
    X = make_curved_manifold(200, n_features=7, noise=0.1, random_state=3)
    assert X.shape == (200, 7) and X.dtype == np.float64
    X_again = make_curved_manifold(200, n_features=7, noise=0.1, random_state=3)
    assert X_again is not X
    np.testing.assert_array_equal(X, X_again)
    np.testing.assert_array_equal(
        X,
        make_curved_manifold(
            200, n_features=7, noise=0.1, random_state=np.random.RandomState(3)
        ),
    )
    X_other = make_curved_manifold(200, n_features=7, noise=0.1, random_state=4)
    assert not np.allclose(X, X_other)


def test_curved_manifold_lies_near_one_fixed_surface():
    # Noiseless points span the five functions of the two latent coordinates,
    # mixed by a matrix that does not depend on random_state: two seeds give
    # the same 5-D subspace of the 7 coordinates.
    clean = [
        make_curved_manifold(2000, n_features=7, noise=0.0, random_state=seed)
        for seed in (0, 1)
    ]
    assert np.linalg.matrix_rank(clean[0]) == 5
    assert np.linalg.matrix_rank(np.vstack(clean)) == 5
    # The noise is isotropic with the given standard deviation: off that
    # subspace only the noise is left.
    _, _, components = np.linalg.svd(clean[0], full_matrices=True)
    noisy = make_curved_manifold(2000, n_features=7, noise=0.1, random_state=2)
    off_surface = noisy @ components[5:].T
    assert off_surface.shape == (2000, 2)
    assert abs(off_surface.std() - 0.1) < 0.01
