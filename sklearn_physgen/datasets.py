"""Data sets for anomaly detection in particle physics, real and synthetic.

Loaders for the UCI HIGGS and SUSY Monte Carlo data sets (downloaded once,
verified, then cached as NumPy arrays), the train/test protocol of the
(1+eps)-class paper, and small synthetic generators.

The download location of each archive is kept in a module-level
:class:`RemoteFile` record (``HIGGS_REMOTE``, ``SUSY_REMOTE``), read at call
time, so a mirror (or a test server) can be substituted by replacing it.
"""

import contextlib
import gzip
import hashlib
import logging
import numbers
import os
import shutil
import tempfile
import warnings
import zlib
from collections import namedtuple
from http.client import HTTPException
from urllib.error import URLError
from urllib.request import urlopen

import numpy as np
from sklearn.datasets import get_data_home as _sklearn_data_home
from sklearn.datasets import make_moons
from sklearn.model_selection import train_test_split
from sklearn.utils import Bunch, _safe_indexing, check_random_state
from sklearn.utils.validation import check_consistent_length, column_or_1d

__all__ = [
    "RemoteFile",
    "clear_data_home",
    "fetch_higgs",
    "fetch_susy",
    "get_data_home",
    "make_anomaly_moons",
    "make_anomaly_split",
    "make_curved_manifold",
]

logger = logging.getLogger(__name__)

RemoteFile = namedtuple(
    "RemoteFile", ["filename", "url", "sha256", "n_rows"], defaults=[None, None]
)
RemoteFile.__doc__ = """Where a data file lives and how to recognise it.

Parameters
----------
filename : str
    Name of the file in the data home (also the name to give a copy put
    there by hand).
url : str
    Where to download it from.
sha256 : str or None, default=None
    Hex SHA-256 digest of the downloaded file. ``None`` when no published
    digest is known: the download is then only checked to be a complete
    gzip stream.
n_rows : int or None, default=None
    Number of CSV rows expected when the whole file is parsed.
"""

HIGGS_REMOTE = RemoteFile(
    filename="HIGGS.csv.gz",
    url="https://archive.ics.uci.edu/ml/machine-learning-databases/00280/HIGGS.csv.gz",
    sha256="ea302c18164d4e3d916a1e2e83a9a8d07069fa6ebc7771e4c0540d54e593b698",
    n_rows=11_000_000,
)

# UCI does not publish checksums. This digest comes from one third-party
# source: IntelPython/scikit-learn_bench pull request #201 (open when this was
# written), sklbench/datasets/loaders.py on the branch of homksei/
# scikit-learn_bench (commit 6a4cfcdfb0001f297b4ba90faa9cec0880989345). The
# HIGGS digest in the same table agrees with the value above, which several
# independent sources give. If it ever turns out wrong, the error names both
# digests; a copy of SUSY.csv.gz put in the data home by hand is not hashed.
SUSY_REMOTE = RemoteFile(
    filename="SUSY.csv.gz",
    url="https://archive.ics.uci.edu/ml/machine-learning-databases/00279/SUSY.csv.gz",
    sha256="be56cb5598da8ece4b13912230ee713bab8b3431a7d118e0054ffdf3a2f25664",
    n_rows=5_000_000,
)

HIGGS_FEATURE_NAMES = [
    "lepton_pT",
    "lepton_eta",
    "lepton_phi",
    "missing_energy_magnitude",
    "missing_energy_phi",
    *[
        f"jet_{jet}_{quantity}"
        for jet in range(1, 5)
        for quantity in ("pt", "eta", "phi", "b-tag")
    ],
    "m_jj",
    "m_jjj",
    "m_lv",
    "m_jlv",
    "m_bb",
    "m_wbb",
    "m_wwbb",
]

SUSY_FEATURE_NAMES = [
    "lepton_1_pT",
    "lepton_1_eta",
    "lepton_1_phi",
    "lepton_2_pT",
    "lepton_2_eta",
    "lepton_2_phi",
    "missing_energy_magnitude",
    "missing_energy_phi",
    "MET_rel",
    "axial_MET",
    "M_R",
    "M_TR_2",
    "R",
    "MT2",
    "S_R",
    "M_Delta_R",
    "dPhi_r_b",
    "cos_theta_r1",
]

_CITATION = (
    "P. Baldi, P. Sadowski and D. Whiteson, 'Searching for exotic particles in\n"
    "high-energy physics with deep learning', Nature Communications 5, 4308 (2014)."
)

_HIGGS_DESCR = f"""HIGGS data set (UCI Machine Learning Repository, id 280)
-------------------------------------------------------

Monte Carlo events of proton collisions. Signal: a heavy Higgs boson decaying
through W bosons and a light Higgs into W W b b; background: top-quark pair
production with the same final state.

Rows: 11,000,000 (about 53% signal). Features: 28 (21 low-level kinematic
quantities of the lepton, the missing energy and four jets, then 7 high-level
invariant masses computed from them). target: 1 = signal, 0 = background.
UCI suggests the last 500,000 rows as a test set.

Licence: CC BY 4.0. Cite:
{_CITATION}
"""

_SUSY_DESCR = f"""SUSY data set (UCI Machine Learning Repository, id 279)
------------------------------------------------------

Monte Carlo events of proton collisions. Signal: production of charged
supersymmetric particles decaying into W bosons and neutralinos; background:
W boson pairs. Both leave two charged leptons and missing momentum.

Rows: 5,000,000 (about 46% signal). Features: 18 (8 low-level kinematic
quantities of the two leptons and the missing energy, then 10 high-level
quantities derived from them). target: 1 = signal, 0 = background. UCI
suggests the last 500,000 rows as a test set.

Licence: CC BY 4.0. Cite:
{_CITATION}
"""

_DATA_HOME_ENV = "SKLEARN_PHYSGEN_DATA"
_DOWNLOAD_CHUNK_BYTES = 1 << 20
_COPY_CHUNK_BYTES = 16 << 20
_CSV_CHUNK_ROWS = 500_000
_DOWNLOAD_TIMEOUT_S = 60


# ---------------------------------------------------------------------------
# Data home
# ---------------------------------------------------------------------------


def _data_home_path(data_home):
    if data_home is None:
        data_home = os.environ.get(_DATA_HOME_ENV)
    if data_home is None:
        return os.path.join(_sklearn_data_home(), "sklearn_physgen")
    return os.path.expanduser(os.fspath(data_home))


def get_data_home(data_home=None) -> str:
    """Return the folder where sklearn_physgen keeps downloaded data.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder to use. If None, the environment variable
        ``SKLEARN_PHYSGEN_DATA`` is used when set, else the subfolder
        ``sklearn_physgen`` of scikit-learn's data home
        (:func:`sklearn.datasets.get_data_home`, itself ``~/scikit_learn_data``
        unless ``SCIKIT_LEARN_DATA`` says otherwise). ``~`` is expanded.

    Returns
    -------
    data_home : str
        The path of the folder, created if it did not exist.

    See Also
    --------
    clear_data_home : Delete that folder and everything in it.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn_physgen.datasets import clear_data_home, get_data_home
    >>> path = os.path.join(tempfile.mkdtemp(), "physgen_data")
    >>> get_data_home(path) == path, os.path.isdir(path)
    (True, True)
    >>> clear_data_home(path)
    >>> os.path.exists(path)
    False
    """
    path = _data_home_path(data_home)
    os.makedirs(path, exist_ok=True)
    return path


def clear_data_home(data_home=None) -> None:
    """Delete the sklearn_physgen data folder and everything in it.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder to delete, resolved as in :func:`get_data_home`. A folder
        that does not exist is not an error.

    Notes
    -----
    With ``data_home=None`` only the ``sklearn_physgen`` subfolder of
    scikit-learn's data home is removed, not scikit-learn's own data, unless
    ``SKLEARN_PHYSGEN_DATA`` points elsewhere: then that folder is removed.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn_physgen.datasets import clear_data_home, get_data_home
    >>> path = get_data_home(os.path.join(tempfile.mkdtemp(), "physgen_data"))
    >>> clear_data_home(path)
    >>> os.path.exists(path)
    False
    """
    shutil.rmtree(_data_home_path(data_home), ignore_errors=True)


# ---------------------------------------------------------------------------
# Files written atomically
# ---------------------------------------------------------------------------


def _new_temporary_path(directory, name):
    file_descriptor, path = tempfile.mkstemp(
        prefix=f".{name}.", suffix=".part", dir=directory
    )
    os.close(file_descriptor)
    return path


def _remove_quietly(path):
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


@contextlib.contextmanager
def _scratch_file(directory, name):
    """Yield the path of a temporary file in ``directory``, removed on exit."""
    path = _new_temporary_path(directory, name)
    try:
        yield path
    finally:
        _remove_quietly(path)


@contextlib.contextmanager
def _atomic_output(final_path):
    """Yield a temporary path that replaces ``final_path`` only on success."""
    directory, name = os.path.split(final_path)
    path = _new_temporary_path(directory, name)
    try:
        yield path
        os.replace(path, final_path)
    finally:
        _remove_quietly(path)


# ---------------------------------------------------------------------------
# Download
# ---------------------------------------------------------------------------


def _by_hand_hint(remote, directory):
    return (
        f"You can download {remote.url} yourself and put it in {directory} "
        f"as {remote.filename}."
    )


def _check_complete_gzip(path, remote, directory):
    """Decompress the whole file: the gzip trailer (CRC-32, length) must match."""
    try:
        with gzip.open(path, "rb") as stream:
            while stream.read(_COPY_CHUNK_BYTES):
                pass
    except (OSError, EOFError, zlib.error) as exc:
        raise OSError(
            f"The file downloaded from {remote.url} is not a complete gzip "
            f"stream ({exc}); it was deleted. Try again. "
            + _by_hand_hint(remote, directory)
        ) from exc


def _download(remote, directory):
    """Download ``remote`` into ``directory``; only a verified file is kept.

    The bytes go to a temporary file in the same folder, hashed on the way;
    the file is renamed to ``remote.filename`` only once complete (as many
    bytes as announced by Content-Length) and verified (SHA-256, or a complete
    gzip stream when no digest is known). On any failure the temporary file
    is removed, so the next call starts again.
    """
    final_path = os.path.join(directory, remote.filename)
    logger.info("Downloading %s to %s", remote.url, final_path)
    with _atomic_output(final_path) as partial_path:
        try:
            response = urlopen(remote.url, timeout=_DOWNLOAD_TIMEOUT_S)
        except (URLError, OSError, HTTPException, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise OSError(
                f"Could not download {remote.url}: {reason}. "
                + _by_hand_hint(remote, directory)
            ) from exc
        digest = hashlib.sha256()
        n_bytes = 0
        with response, open(partial_path, "wb") as output:
            announced = response.headers.get("Content-Length")
            try:
                while chunk := response.read(_DOWNLOAD_CHUNK_BYTES):
                    output.write(chunk)
                    digest.update(chunk)
                    n_bytes += len(chunk)
            except (OSError, HTTPException) as exc:
                raise OSError(
                    f"The download of {remote.url} was interrupted after "
                    f"{n_bytes} bytes ({exc!r}); nothing was kept. Try again. "
                    + _by_hand_hint(remote, directory)
                ) from exc
        if announced is not None and n_bytes != int(announced):
            raise OSError(
                f"The download of {remote.url} is truncated: {n_bytes} bytes "
                f"received, {int(announced)} announced; nothing was kept. Try "
                "again. " + _by_hand_hint(remote, directory)
            )
        if remote.sha256 is not None:
            expected = remote.sha256.lower()
            got = digest.hexdigest()
            if got != expected:
                raise OSError(
                    f"The file downloaded from {remote.url} has SHA-256 {got}, "
                    f"expected {expected}; it was deleted. Try again. "
                    + _by_hand_hint(remote, directory)
                )
        else:
            _check_complete_gzip(partial_path, remote, directory)
            warnings.warn(
                f"No published SHA-256 checksum is known for {remote.filename}; "
                "the download was only checked to be a complete gzip stream.",
                UserWarning,
                stacklevel=4,
            )
    logger.info("Downloaded %d bytes from %s", n_bytes, remote.url)
    return final_path


# ---------------------------------------------------------------------------
# Parsing and the binary cache
# ---------------------------------------------------------------------------


def _import_pandas():
    try:
        import pandas
    except ImportError as exc:  # pragma: no cover - pandas is installed in CI
        raise ImportError(
            "pandas is needed to parse the CSV files and for as_frame=True; "
            "install it with `pip install pandas`."
        ) from exc
    return pandas


def _iter_csv_chunks(csv_path, n_features, n_rows=None):
    """Yield ``(X, y)`` blocks of a label-first gzipped CSV, checked."""
    pandas = _import_pandas()
    n_columns = n_features + 1
    try:
        reader = pandas.read_csv(
            csv_path,
            header=None,
            dtype=np.float32,
            compression="gzip",
            chunksize=_CSV_CHUNK_ROWS,
            nrows=n_rows,
        )
        with reader:
            for block in reader:
                values = block.to_numpy(dtype=np.float32)
                if values.shape[1] != n_columns or np.isnan(values).any():
                    raise ValueError(
                        f"expected {n_columns} numeric columns (label then "
                        f"{n_features} features) on every row"
                    )
                labels = values[:, 0]
                if not np.isin(labels, (0.0, 1.0)).all():
                    raise ValueError("labels (first column) must be 0 or 1")
                yield np.ascontiguousarray(values[:, 1:]), labels.astype(np.int8)
    # pandas' ParserError is a ValueError; gzip's BadGzipFile an OSError.
    except (ValueError, OSError, EOFError, zlib.error) as exc:
        raise OSError(
            f"Could not parse {csv_path}: {exc}. The file may be corrupted or "
            "truncated: delete it to have it downloaded again."
        ) from exc


def _read_first_rows(csv_path, n_features, n_samples):
    X_blocks, y_blocks = [], []
    for X_block, y_block in _iter_csv_chunks(csv_path, n_features, n_rows=n_samples):
        X_blocks.append(X_block)
        y_blocks.append(y_block)
    n_found = sum(len(block) for block in y_blocks)
    if n_found < n_samples:
        raise ValueError(
            f"n_samples={n_samples} but {csv_path} holds only {n_found} rows."
        )
    return np.concatenate(X_blocks), np.concatenate(y_blocks)


def _raw_to_npy(raw_path, npy_path, dtype, shape):
    """Write an .npy file (atomically) from a file of raw C-order values."""
    header = {
        "descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
        "fortran_order": False,
        "shape": shape,
    }
    with (
        _atomic_output(npy_path) as partial_path,
        open(partial_path, "wb") as output,
        open(raw_path, "rb") as raw,
    ):
        np.lib.format.write_array_header_1_0(output, header)
        shutil.copyfileobj(raw, output, _COPY_CHUNK_BYTES)


def _build_cache(csv_path, n_features, expected_rows, x_path, y_path):
    """Parse the whole CSV in blocks into the ``.npy`` pair, never all in memory."""
    directory = os.path.dirname(x_path)
    logger.info("Parsing %s into %s", csv_path, directory)
    with (
        _scratch_file(directory, "X.raw") as raw_x_path,
        _scratch_file(directory, "y.raw") as raw_y_path,
    ):
        n_rows = 0
        with open(raw_x_path, "wb") as raw_x, open(raw_y_path, "wb") as raw_y:
            for X_block, y_block in _iter_csv_chunks(csv_path, n_features):
                raw_x.write(X_block.tobytes())
                raw_y.write(y_block.tobytes())
                n_rows += len(y_block)
        if expected_rows is not None and n_rows != expected_rows:
            raise OSError(
                f"{csv_path} holds {n_rows} rows, expected {expected_rows}; it "
                "may be truncated or another version: delete it to have it "
                "downloaded again."
            )
        _raw_to_npy(raw_y_path, y_path, np.int8, (n_rows,))
        _raw_to_npy(raw_x_path, x_path, np.float32, (n_rows, n_features))


def _load_cache(x_path, y_path, n_features, expected_rows):
    """Memory-map the cached arrays; None if absent, removed if unreadable."""
    if not (os.path.exists(x_path) and os.path.exists(y_path)):
        return None
    X = y = None
    try:
        X = np.load(x_path, mmap_mode="r", allow_pickle=False)
        y = np.load(y_path, mmap_mode="r", allow_pickle=False)
        consistent = (
            X.dtype == np.float32
            and y.dtype == np.int8
            and X.ndim == 2
            and X.shape[1] == n_features
            and y.shape == (X.shape[0],)
            and (expected_rows is None or X.shape[0] == expected_rows)
        )
    except (OSError, ValueError, EOFError) as exc:
        consistent = False
        reason = exc
    else:
        reason = "unexpected shape or dtype"
    if consistent:
        return X, y
    warnings.warn(
        f"The cached arrays {x_path} and {y_path} are unreadable ({reason}); "
        "they are rebuilt from the CSV file.",
        UserWarning,
        stacklevel=4,
    )
    del X, y
    for path in (x_path, y_path):
        _remove_quietly(path)
    return None


def _check_n_samples(n_samples):
    if n_samples is None:
        return
    if (
        not isinstance(n_samples, numbers.Integral)
        or isinstance(n_samples, bool)
        or n_samples < 1
    ):
        raise ValueError(
            f"n_samples must be None or a positive integer, got {n_samples!r}."
        )


def _fetch_uci(
    *,
    remote,
    subfolder,
    feature_names,
    descr,
    data_home,
    download_if_missing,
    return_X_y,
    as_frame,
    n_samples,
):
    _check_n_samples(n_samples)
    directory = os.path.join(get_data_home(data_home), subfolder)
    os.makedirs(directory, exist_ok=True)
    stem = remote.filename.split(".")[0]
    # The cache name carries the digest of its source, so a new archive
    # version (or a substituted mirror) never reuses arrays parsed from another.
    source_key = remote.sha256[:16].lower() if remote.sha256 else "unverified"
    x_path = os.path.join(directory, f"{stem}_{source_key}_X.npy")
    y_path = os.path.join(directory, f"{stem}_{source_key}_y.npy")
    n_features = len(feature_names)

    arrays = _load_cache(x_path, y_path, n_features, remote.n_rows)
    if arrays is None:
        csv_path = os.path.join(directory, remote.filename)
        if not os.path.exists(csv_path):
            if not download_if_missing:
                raise OSError(
                    f"Data not found: neither {remote.filename} nor its parsed "
                    f"cache is in {directory}. Put {remote.filename} (from "
                    f"{remote.url}) in {directory} by hand or call with "
                    "download_if_missing=True."
                )
            _download(remote, directory)
        if n_samples is None:
            _build_cache(csv_path, n_features, remote.n_rows, x_path, y_path)
            arrays = _load_cache(x_path, y_path, n_features, remote.n_rows)
            if arrays is None:  # pragma: no cover - the cache was just written
                raise OSError(f"Could not read back the arrays written in {directory}.")
            X, y = arrays
        else:
            X, y = _read_first_rows(csv_path, n_features, n_samples)
    else:
        X, y = arrays
        if n_samples is not None:
            if n_samples > len(y):
                raise ValueError(
                    f"n_samples={n_samples} but the data set has only {len(y)} rows."
                )
            X, y = np.array(X[:n_samples]), np.array(y[:n_samples])

    frame = None
    if as_frame:
        pandas = _import_pandas()
        frame = pandas.DataFrame(np.asarray(X), columns=list(feature_names))
        frame["target"] = np.asarray(y)
        X, y = frame[list(feature_names)], frame["target"]
    if return_X_y:
        return X, y
    return Bunch(
        data=X,
        target=y,
        feature_names=list(feature_names),
        target_names=np.array(["background", "signal"]),
        signal_label=1,
        background_label=0,
        frame=frame,
        DESCR=descr,
    )


def fetch_higgs(
    *,
    data_home=None,
    download_if_missing=True,
    return_X_y=False,
    as_frame=False,
    n_samples=None,
):
    """Load the UCI HIGGS data set (11 million events, 28 features).

    Signal events (a heavy Higgs boson) against top-pair background; see
    ``DESCR`` for the physics and the citation. Needs pandas for parsing.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Where to keep the data; see :func:`get_data_home`.
    download_if_missing : bool, default=True
        If False, raise an ``OSError`` when neither the archive nor its
        parsed cache is present instead of downloading.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default=False
        If True, ``data`` is a pandas DataFrame, ``target`` a Series named
        ``"target"`` and ``frame`` a DataFrame with both.
    n_samples : int, default=None
        Number of rows to return, the first ones of the file. None returns
        all of them.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes:

        data : ndarray of shape (n_samples, 28), float32, or DataFrame
            The features, in UCI's column order.
        target : ndarray of shape (n_samples,), int8, or Series
            1 for signal, 0 for background.
        feature_names : list of str
            Column names, the same as in the ``higgs.npz`` files of this
            project (``lepton_pT`` ... ``m_wwbb``).
        target_names : ndarray of str
            ``["background", "signal"]``, indexed by the label.
        signal_label, background_label : int
            1 and 0.
        frame : DataFrame or None
            Features and ``target`` together when ``as_frame=True``.
        DESCR : str
            Description of the data set.

    (data, target) : tuple if ``return_X_y`` is True
        The features and labels described above, without the Bunch.

    Raises
    ------
    OSError
        If the data are absent and ``download_if_missing=False``, if the
        download fails (network error, truncated transfer, checksum
        mismatch), or if the CSV file cannot be parsed. The message names
        the URL and the folder where the file can be put by hand.

    See Also
    --------
    fetch_susy : The SUSY data set, same format.
    make_anomaly_split : Turn ``(X, y)`` into a (1+eps)-class train/test split.

    Notes
    -----
    The first call downloads HIGGS.csv.gz (2.8 GB) from UCI into
    ``<data_home>/higgs/``, through a temporary file that gets its final name
    only once complete and verified against its SHA-256 digest. An
    interrupted, truncated or corrupted download leaves nothing behind and is
    redone by the next call. A copy put in that folder by hand is used as it
    is, without hashing; when parsed whole it must have 11,000,000 rows.

    With ``n_samples=None`` the whole file is parsed once, in blocks, into two
    ``.npy`` files in the same folder (features float32, labels int8), each
    written under a temporary name and then renamed; later calls memory-map
    them (``np.load(..., mmap_mode="r")``), so ``data`` is then a read-only
    memory map. Cached arrays that cannot be read back are deleted and
    rebuilt from the CSV file. The archive is kept, so a rebuild needs no
    new download.

    With ``n_samples=k`` and no full cache, only the first ``k`` rows of the
    CSV are parsed and nothing is cached for them (the next such call parses
    them again; the archive itself is still downloaded whole). If the full
    cache exists, its first ``k`` rows are copied. Signal and background are
    mixed throughout the file, so the first rows hold both.

    Examples
    --------
    Real use (downloads 2.8 GB the first time):

    >>> from sklearn_physgen.datasets import fetch_higgs
    >>> higgs = fetch_higgs()  # doctest: +SKIP
    >>> higgs.data.shape  # doctest: +SKIP
    (11000000, 28)

    Offline, with a tiny stand-in file put in the data home by hand:

    >>> import gzip, os, shutil, tempfile
    >>> data_home = tempfile.mkdtemp()
    >>> os.makedirs(os.path.join(data_home, "higgs"))
    >>> row = ",".join(["1"] + ["0.5"] * 28) + "\\n"
    >>> with gzip.open(os.path.join(data_home, "higgs", "HIGGS.csv.gz"), "wt") as f:
    ...     _ = f.write(row * 5)
    >>> X, y = fetch_higgs(data_home=data_home, download_if_missing=False,
    ...                    n_samples=3, return_X_y=True)
    >>> X.shape, X.dtype, y.tolist()
    ((3, 28), dtype('float32'), [1, 1, 1])
    >>> shutil.rmtree(data_home)
    """
    return _fetch_uci(
        remote=HIGGS_REMOTE,
        subfolder="higgs",
        feature_names=HIGGS_FEATURE_NAMES,
        descr=_HIGGS_DESCR,
        data_home=data_home,
        download_if_missing=download_if_missing,
        return_X_y=return_X_y,
        as_frame=as_frame,
        n_samples=n_samples,
    )


def fetch_susy(
    *,
    data_home=None,
    download_if_missing=True,
    return_X_y=False,
    as_frame=False,
    n_samples=None,
):
    """Load the UCI SUSY data set (5 million events, 18 features).

    Signal events (charged supersymmetric particles) against W-pair
    background; see ``DESCR`` for the physics and the citation. Needs pandas
    for parsing.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Where to keep the data; see :func:`get_data_home`.
    download_if_missing : bool, default=True
        If False, raise an ``OSError`` when neither the archive nor its
        parsed cache is present instead of downloading.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default=False
        If True, ``data`` is a pandas DataFrame, ``target`` a Series named
        ``"target"`` and ``frame`` a DataFrame with both.
    n_samples : int, default=None
        Number of rows to return, the first ones of the file. None returns
        all of them.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes:

        data : ndarray of shape (n_samples, 18), float32, or DataFrame
            The features, in UCI's column order (``lepton_1_pT`` ...
            ``cos_theta_r1``).
        target : ndarray of shape (n_samples,), int8, or Series
            1 for signal, 0 for background.
        feature_names : list of str
            Column names.
        target_names : ndarray of str
            ``["background", "signal"]``, indexed by the label.
        signal_label, background_label : int
            1 and 0.
        frame : DataFrame or None
            Features and ``target`` together when ``as_frame=True``.
        DESCR : str
            Description of the data set.

    (data, target) : tuple if ``return_X_y`` is True
        The features and labels described above, without the Bunch.

    Raises
    ------
    OSError
        If the data are absent and ``download_if_missing=False``, if the
        download fails (network error, truncated transfer, checksum
        mismatch), or if the CSV file cannot be parsed. The message names
        the URL and the folder where the file can be put by hand.

    See Also
    --------
    fetch_higgs : The HIGGS data set, same format.
    make_anomaly_split : Turn ``(X, y)`` into a (1+eps)-class train/test split.

    Notes
    -----
    The first call downloads SUSY.csv.gz (under 1 GB) from UCI into
    ``<data_home>/susy/``, through a temporary file that gets its final name
    only once complete and verified. UCI publishes no checksum for this file:
    the SHA-256 digest used comes from a single third-party source (cited in
    the module source), not from UCI. If ``SUSY_REMOTE.sha256`` is set to
    None, a download is instead checked by decompressing the whole gzip
    stream (its CRC-32 and length trailer catch truncation and corruption),
    with a warning. An interrupted, truncated or corrupted download leaves
    nothing behind and is redone by the next call. A copy put in that folder
    by hand is used as it is, without hashing; when parsed whole it must have
    5,000,000 rows of 19 columns.

    With ``n_samples=None`` the whole file is parsed once, in blocks, into two
    ``.npy`` files in the same folder (features float32, labels int8), each
    written under a temporary name and then renamed; later calls memory-map
    them (``np.load(..., mmap_mode="r")``), so ``data`` is then a read-only
    memory map. Cached arrays that cannot be read back are deleted and
    rebuilt from the CSV file. The archive is kept, so a rebuild needs no
    new download.

    With ``n_samples=k`` and no full cache, only the first ``k`` rows of the
    CSV are parsed and nothing is cached for them (the next such call parses
    them again; the archive itself is still downloaded whole). If the full
    cache exists, its first ``k`` rows are copied. Signal and background are
    mixed throughout the file, so the first rows hold both.

    Examples
    --------
    Real use (downloads under 1 GB the first time):

    >>> from sklearn_physgen.datasets import fetch_susy
    >>> susy = fetch_susy(n_samples=100_000)  # doctest: +SKIP
    >>> susy.data.shape  # doctest: +SKIP
    (100000, 18)

    Offline, with a tiny stand-in file put in the data home by hand:

    >>> import gzip, os, shutil, tempfile
    >>> data_home = tempfile.mkdtemp()
    >>> os.makedirs(os.path.join(data_home, "susy"))
    >>> rows = ",".join(["0"] + ["1.5"] * 18) + "\\n"
    >>> with gzip.open(os.path.join(data_home, "susy", "SUSY.csv.gz"), "wt") as f:
    ...     _ = f.write(rows * 4)
    >>> susy = fetch_susy(data_home=data_home, download_if_missing=False,
    ...                   n_samples=4, as_frame=True)
    >>> susy.frame.shape, susy.frame.columns[0], susy.frame.columns[-1]
    ((4, 19), 'lepton_1_pT', 'target')
    >>> shutil.rmtree(data_home)
    """
    return _fetch_uci(
        remote=SUSY_REMOTE,
        subfolder="susy",
        feature_names=SUSY_FEATURE_NAMES,
        descr=_SUSY_DESCR,
        data_home=data_home,
        download_if_missing=download_if_missing,
        return_X_y=return_X_y,
        as_frame=as_frame,
        n_samples=n_samples,
    )


# ---------------------------------------------------------------------------
# The (1+eps)-class protocol and synthetic data
# ---------------------------------------------------------------------------


def make_anomaly_split(
    X, y, *, n_known_anomalies=0, anomaly_label=1, test_size=0.3, random_state=None
):
    """Split labelled data into a (1+eps)-class training set and a test set.

    The protocol of the (1+eps)-class paper (Borisyak et al., 2019,
    arXiv:1906.06096): a train/test split stratified on ``y``; the training
    set keeps every normal training row (``y != anomaly_label``) and only
    ``n_known_anomalies`` anomalies drawn at random from the training
    anomalies; the test set is the whole test part, with all its anomalies.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features)
        The data, e.g. from :func:`fetch_higgs` (also a memory map or a
        DataFrame) or an ``.npz`` file. Rows are taken with scikit-learn's
        indexing, so the type is kept.
    y : array-like of shape (n_samples,)
        Labels; rows equal to ``anomaly_label`` are the anomalies.
    n_known_anomalies : int, default=0
        Number of anomalies kept in the training set; 0 gives a pure
        one-class training set.
    anomaly_label : int or str, default=1
        The label of the anomalous class (1 = signal for HIGGS and SUSY).
    test_size : float or int, default=0.3
        Fraction (or number) of rows in the test set, as in
        :func:`~sklearn.model_selection.train_test_split`.
    random_state : int, RandomState instance or None, default=None
        Controls the split and the choice of known anomalies.

    Returns
    -------
    split : :class:`~sklearn.utils.Bunch`
        With ``X_train``, ``y_train``, ``X_test``, ``y_test``, and the row
        indices ``train_indices`` and ``test_indices`` into ``X``. The labels
        follow scikit-learn's outlier convention: +1 normal, -1 anomaly.

    Raises
    ------
    ValueError
        If ``X`` and ``y`` differ in length, ``y`` is not 1-D, no row has
        ``anomaly_label`` or every row has it, ``n_known_anomalies`` is not a
        non-negative integer or exceeds the anomalies of the training part,
        or a class is too small to stratify.

    Notes
    -----
    Because ``y_test`` is +1 for normal rows, the normality ROC AUC of a
    detector is ``roc_auc_score(split.y_test, detector.score_samples(X_test))``
    with no sign flip, and ``OnePlusEpsilonDetector().fit(split.X_train,
    split.y_train)`` takes the labels as they are. The training rows are
    shuffled, so the known anomalies are not all at the end.

    Examples
    --------
    >>> from sklearn_physgen.datasets import make_anomaly_moons, make_anomaly_split
    >>> X, y = make_anomaly_moons(300, n_anomalies=30, random_state=0)
    >>> split = make_anomaly_split(X, y, n_known_anomalies=5, random_state=0)
    >>> split.X_train.shape, int((split.y_train == -1).sum())
    ((215, 2), 5)
    >>> split.X_test.shape, int((split.y_test == -1).sum())
    ((99, 2), 9)
    """
    check_consistent_length(X, y)
    y = column_or_1d(y, warn=True)
    if (
        not isinstance(n_known_anomalies, numbers.Integral)
        or isinstance(n_known_anomalies, bool)
        or n_known_anomalies < 0
    ):
        raise ValueError(
            "n_known_anomalies must be a non-negative integer, got "
            f"{n_known_anomalies!r}."
        )
    is_anomaly = y == anomaly_label
    if not is_anomaly.any():
        present = np.unique(y)
        raise ValueError(
            f"No row of y has anomaly_label={anomaly_label!r}; the labels present "
            f"are {present[:10].tolist()}."
        )
    if is_anomaly.all():
        raise ValueError(
            f"Every row of y has anomaly_label={anomaly_label!r}: there is no "
            "normal data to train on."
        )
    rng = check_random_state(random_state)
    train_indices, test_indices = train_test_split(
        np.arange(len(y)), test_size=test_size, stratify=y, random_state=rng
    )
    train_anomalies = train_indices[is_anomaly[train_indices]]
    if n_known_anomalies > len(train_anomalies):
        raise ValueError(
            f"n_known_anomalies={n_known_anomalies} but the training part holds "
            f"only {len(train_anomalies)} anomalies (of {int(is_anomaly.sum())} "
            f"in all, test_size={test_size!r})."
        )
    known = rng.choice(train_anomalies, size=n_known_anomalies, replace=False)
    train_indices = rng.permutation(
        np.concatenate([train_indices[~is_anomaly[train_indices]], known])
    )

    def outlier_labels(indices):
        return np.where(is_anomaly[indices], -1, 1)

    return Bunch(
        X_train=_safe_indexing(X, train_indices),
        y_train=outlier_labels(train_indices),
        X_test=_safe_indexing(X, test_indices),
        y_test=outlier_labels(test_indices),
        train_indices=train_indices,
        test_indices=test_indices,
    )


# Centre of the gap between the two moons of ``make_moons``: the point of
# symmetry of the pair, about 0.44 from the nearest noiseless moon point.
_MOONS_GAP_CENTRE = np.array([0.5, 0.25])
_ANOMALY_CLUSTER_STD = 0.05


def make_anomaly_moons(
    n_samples=1000, *, n_anomalies=50, noise=0.05, random_state=None
):
    """Two moons of normal data and a compact cluster of anomalies between them.

    A synthetic example in the spirit of Fig. 1 of the (1+eps)-class paper
    (arXiv:1906.06096): the normal class is
    :func:`sklearn.datasets.make_moons`; the anomalies form a Gaussian blob
    (standard deviation 0.05) in the gap between the moons, at (0.5, 0.25).
    That gap is inside the region a one-class method tends to call normal,
    so a few known anomalies are needed to pull the boundary around it.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of normal points (both moons together).
    n_anomalies : int, default=50
        Number of anomalies.
    noise : float, default=0.05
        Standard deviation of the Gaussian noise added to the moons. Up to
        about 0.1 the moons stay clear of the anomaly cluster.
    random_state : int, RandomState instance or None, default=None
        Controls the moons, the anomalies and the final shuffle, all drawn in
        turn from one generator.

    Returns
    -------
    X : ndarray of shape (n_samples + n_anomalies, 2), float64
        The points, shuffled.
    y : ndarray of shape (n_samples + n_anomalies,), int
        0 for normal points, 1 for anomalies (like HIGGS and SUSY, where
        1 = signal), ready for :func:`make_anomaly_split`.

    See Also
    --------
    make_anomaly_split : The (1+eps)-class train/test split.

    Examples
    --------
    >>> from sklearn_physgen.datasets import make_anomaly_moons
    >>> X, y = make_anomaly_moons(200, n_anomalies=10, random_state=0)
    >>> X.shape, int(y.sum())
    ((210, 2), 10)
    """
    for name, value, minimum in (
        ("n_samples", n_samples, 2),
        ("n_anomalies", n_anomalies, 0),
    ):
        if (
            not isinstance(value, numbers.Integral)
            or isinstance(value, bool)
            or value < minimum
        ):
            raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    if not isinstance(noise, numbers.Real) or noise < 0:
        raise ValueError(f"noise must be a non-negative number, got {noise!r}.")
    rng = check_random_state(random_state)
    X_normal, _ = make_moons(n_samples, noise=noise, random_state=rng)
    X_anomalies = _MOONS_GAP_CENTRE + _ANOMALY_CLUSTER_STD * rng.normal(
        size=(n_anomalies, 2)
    )
    X = np.vstack([X_normal, X_anomalies])
    y = np.r_[np.zeros(n_samples, dtype=int), np.ones(n_anomalies, dtype=int)]
    order = rng.permutation(len(y))
    return X[order], y[order]


def make_curved_manifold(n_samples, n_features=10, noise=0.05, random_state=None):
    """Normal data on a curved 2-D surface embedded in ``n_features`` dimensions.

    Two latent coordinates ``t`` drawn uniformly in [-1, 1]^2 are mapped to
    the five functions ``t1, t2, t1**2, t1 * t2, sin(3 * t2)``, which a fixed
    random matrix (seed 12345, independent of ``random_state``) mixes into
    ``n_features`` coordinates; isotropic Gaussian noise is then added. Points
    off the surface are natural outliers for an autoencoder with a 2-D code.

    Parameters
    ----------
    n_samples : int
        Number of points.
    n_features : int, default=10
        Dimension of the embedding space.
    noise : float, default=0.05
        Standard deviation of the Gaussian noise added to every coordinate.
    random_state : int, RandomState instance or None, default=None
        Controls the latent coordinates and the noise.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), float64
        The points.

    Examples
    --------
    >>> from sklearn_physgen.datasets import make_curved_manifold
    >>> make_curved_manifold(100, n_features=6, random_state=0).shape
    (100, 6)
    """
    rng = check_random_state(random_state)
    t = rng.uniform(-1.0, 1.0, size=(n_samples, 2))
    basis = np.column_stack(
        [t[:, 0], t[:, 1], t[:, 0] ** 2, t[:, 0] * t[:, 1], np.sin(3 * t[:, 1])]
    )
    mixing = np.random.RandomState(12345).normal(size=(basis.shape[1], n_features))
    return basis @ mixing + noise * rng.normal(size=(n_samples, n_features))
