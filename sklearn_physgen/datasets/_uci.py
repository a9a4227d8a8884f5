"""The UCI HIGGS and SUSY data sets: fetchers, parsing and the binary cache.

Each archive is described by a :class:`~sklearn_physgen.datasets.RemoteFile`
record (``HIGGS_REMOTE``, ``SUSY_REMOTE``). The fetchers read the record from
the public :mod:`sklearn_physgen.datasets` namespace at call time, so a mirror
(or a test server) is substituted by replacing it there.
"""

import importlib
import logging
import numbers
import os
import shutil
import warnings
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ._base import (
    _COPY_CHUNK_BYTES,
    RemoteFile,
    _as_frame,
    _atomic_output,
    _download,
    _iter_numeric_csv,
    _remove_quietly,
    _scratch_file,
    get_data_home,
)

logger = logging.getLogger(__name__)

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

_CSV_CHUNK_ROWS = 500_000


def _remote(name):
    """The record ``name`` as :mod:`sklearn_physgen.datasets` holds it now.

    Looked up at call time in the public package, where the documentation
    says to replace ``HIGGS_REMOTE`` or ``SUSY_REMOTE`` to use a mirror.
    """
    return getattr(importlib.import_module(__package__), name)


# ---------------------------------------------------------------------------
# Parsing and the binary cache
# ---------------------------------------------------------------------------


def _iter_csv_chunks(csv_path, n_features, n_rows=None):
    """Yield ``(X, y)`` blocks of a label-first gzipped CSV, checked."""
    n_columns = n_features + 1
    try:
        for values in _iter_numeric_csv(
            csv_path, dtype=np.float32, n_rows=n_rows, chunk_rows=_CSV_CHUNK_ROWS
        ):
            if values.shape[1] != n_columns:
                raise ValueError(
                    f"{csv_path}: expected {n_columns} columns (label then "
                    f"{n_features} features) on every row, found {values.shape[1]}"
                )
            labels = values[:, 0]
            if not np.isin(labels, (0.0, 1.0)).all():
                raise ValueError(f"{csv_path}: labels (first column) must be 0 or 1")
            yield np.ascontiguousarray(values[:, 1:]), labels.astype(np.int8)
    # Every message names the file (the reader's also the line of a bad field).
    except (ValueError, OSError) as exc:
        raise OSError(
            f"Could not parse {exc}. The file may be corrupted or truncated: "
            "delete it to have it downloaded again."
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

    return _bunch(X, y, feature_names, descr, return_X_y, as_frame)


def _bunch(X, y, feature_names, descr, return_X_y, as_frame):
    frame = None
    if as_frame:
        X, y, frame = _as_frame(X, y, feature_names)
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
        remote=_remote("HIGGS_REMOTE"),
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
        remote=_remote("SUSY_REMOTE"),
        subfolder="susy",
        feature_names=SUSY_FEATURE_NAMES,
        descr=_SUSY_DESCR,
        data_home=data_home,
        download_if_missing=download_if_missing,
        return_X_y=return_X_y,
        as_frame=as_frame,
        n_samples=n_samples,
    )



HIGGS_SAMPLE_PATH = Path(__file__).parent / "data" / "higgs_sample.csv.gz"

_HIGGS_SAMPLE_DESCR = """HIGGS sample (4,000 real events of UCI HIGGS, shipped with the package)
--------------------------------------------------------------------------

The same features and labels as fetch_higgs, for 4,000 events: the
first 4,000 rows of the copy of UCI HIGGS re-published in the
sassoftware/sas-viya-workbench-examples repository (data/higgs.csv), at full
(float32) precision. Nothing was generated or changed but the number type.
Signal fraction 0.525. Small enough to ship (525 kB), for examples, tests and
the main command's first run without a download; use fetch_higgs for the
11 million events.

""" + _HIGGS_DESCR.split("\n", 2)[2]


def load_higgs_sample(*, return_X_y=False, as_frame=False):
    """Load 4,000 real HIGGS events shipped with the package (no download).

    The first 4,000 events of a published copy of the UCI HIGGS data set, with
    the features, labels and column names of :func:`fetch_higgs`; see
    ``DESCR`` for where they come from, the licence (CC BY 4.0) and the
    citation.

    Parameters
    ----------
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default=False
        If True, ``data`` is a pandas DataFrame, ``target`` a Series named
        ``"target"`` and ``frame`` a DataFrame with both.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes of :func:`fetch_higgs`:
        ``data`` (ndarray of shape (4000, 28), float32), ``target`` (int8, 1
        for signal), ``feature_names``, ``target_names``, ``signal_label``,
        ``background_label``, ``frame`` and ``DESCR``.
    (data, target) : tuple if ``return_X_y`` is True
        The features and labels, without the Bunch.

    See Also
    --------
    fetch_higgs : All 11 million events (downloaded once, then cached).

    Examples
    --------
    >>> from sklearn_physgen.datasets import load_higgs_sample
    >>> X, y = load_higgs_sample(return_X_y=True)
    >>> X.shape, X.dtype, round(float(y.mean()), 3)
    ((4000, 28), dtype('float32'), 0.525)
    """
    table = np.loadtxt(HIGGS_SAMPLE_PATH, delimiter=",", skiprows=1, dtype=np.float64)
    X = table[:, 1:].astype(np.float32)
    y = table[:, 0].astype(np.int8)
    return _bunch(X, y, HIGGS_FEATURE_NAMES, _HIGGS_SAMPLE_DESCR, return_X_y, as_frame)
