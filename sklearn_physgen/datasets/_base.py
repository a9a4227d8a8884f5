"""The data home, atomic downloads and the numeric CSV reader.

Everything the fetchers share that is not about one data set: where the data
live (:func:`get_data_home`), files that appear under their final name only
once complete, verified downloads, and :func:`_iter_numeric_csv`, the one
reader of numeric CSV files (used by the UCI fetchers and by the
``sklearn-physgen`` command).
"""

import contextlib
import csv
import gzip
import hashlib
import logging
import math
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

_DATA_HOME_ENV = "SKLEARN_PHYSGEN_DATA"
_DOWNLOAD_CHUNK_BYTES = 1 << 20
_COPY_CHUNK_BYTES = 16 << 20
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
# Numeric CSV files
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


def _as_frame(X, y, feature_names):
    """``(data, target, frame)`` for ``as_frame=True``: the features as a
    DataFrame, ``y`` as a Series named ``"target"`` (None without labels) and
    both in one frame."""
    pandas = _import_pandas()
    frame = pandas.DataFrame(np.asarray(X), columns=list(feature_names))
    if y is None:
        return frame, None, frame
    frame["target"] = np.asarray(y)
    return frame[list(feature_names)], frame["target"], frame


def _is_gzipped(path):
    return os.fspath(path).endswith(".gz")


def _open_text(path):
    """Open a CSV file as text, decompressing it when its name ends in .gz."""
    if _is_gzipped(path):
        return gzip.open(path, "rt", newline="")
    return open(path, newline="")


def _parses_as_float(field):
    try:
        float(field)
    except ValueError:
        return False
    return True


def _count_header_lines(path, header):
    """Number of lines before the data: through the first non-blank row if a header.

    With ``header="infer"`` that row is a header when ``float`` rejects one of
    its fields. The header's fields are not counted: the data set the width.
    """
    if header is False:
        return 0
    with _open_text(path) as stream:
        rows = csv.reader(stream)
        first_row = next((row for row in rows if row), [])
        if header == "infer" and all(_parses_as_float(field) for field in first_row):
            return 0
        return rows.line_num


def _describe_first_problem(path, n_header_lines, n_rows_before):
    """Name the line and column of the first non-numeric field, or None.

    Data rows (not blank, after the header) are counted as pandas counts them;
    the first ``n_rows_before`` were already parsed and are not checked.
    """
    try:
        with _open_text(path) as stream:
            rows = csv.reader(stream)
            n_fields = None
            n_data_rows = 0
            for row in rows:
                if rows.line_num <= n_header_lines or not row:
                    continue
                if n_fields is None:
                    n_fields = len(row)
                n_data_rows += 1
                if n_data_rows <= n_rows_before:
                    continue
                where = f"{path}, line {rows.line_num}"
                if len(row) != n_fields:
                    return f"{where}: {len(row)} fields, expected {n_fields}"
                for column, field in enumerate(row, start=1):
                    if not field.strip():
                        return f"{where}, column {column}: empty field"
                    if not _parses_as_float(field) or math.isnan(float(field)):
                        return f"{where}, column {column}: {field!r} is not a number"
    except (OSError, ValueError, EOFError, zlib.error, csv.Error):
        return None
    if n_fields is None:
        return f"{path}: the file holds no data rows"
    return None


def _iter_numeric_csv(path, *, header=False, dtype=np.float64, n_rows=None,
                      chunk_rows=None):
    """Read a comma-separated file of numbers into 2-D arrays, block by block.

    The one CSV reader of the package: the UCI fetchers parse their archives
    with it, and so does the ``sklearn-physgen`` command for ``--data
    file.csv``. pandas parses the numbers; only when that fails is the file
    read again, in Python, to name the offending line and column.

    Parameters
    ----------
    path : str or path-like
        The file, gzip-compressed when its name ends with ``.gz``.
    header : bool or "infer", default=False
        Whether the first non-blank row holds column names, which are
        skipped (their number does not matter). ``"infer"``: it does when one
        of its fields is not a number.
    dtype : floating dtype, default=np.float64
        The dtype of the arrays.
    n_rows : int, default=None
        Read only the first ``n_rows`` data rows; None reads them all.
    chunk_rows : int, default=None
        Number of rows per block; None reads the file in one block.

    Yields
    ------
    block : ndarray of shape (n_block_rows, n_columns)
        Consecutive rows of the file. Blank lines are skipped; the first data
        row sets ``n_columns``.

    Raises
    ------
    ValueError
        If a field is empty or not a number (NaN included), or a row has
        another number of fields than the first; the message names the file,
        the line and the column.
    OSError
        If the file cannot be opened or decompressed (the message names it).
    ImportError
        If pandas is not installed.
    """
    pandas = _import_pandas()
    n_header_lines = 0
    n_rows_done = 0
    try:
        n_header_lines = _count_header_lines(path, header)
        options = {
            "header": None,
            "skiprows": n_header_lines,
            "dtype": dtype,
            "compression": "gzip" if _is_gzipped(path) else None,
            "nrows": n_rows,
        }
        if chunk_rows is None:
            blocks = contextlib.nullcontext([pandas.read_csv(path, **options)])
        else:
            blocks = pandas.read_csv(path, chunksize=chunk_rows, **options)
        with blocks as frames:
            for frame in frames:
                values = frame.to_numpy(dtype=dtype)
                if np.isnan(values).any():
                    raise ValueError("empty or NaN fields")
                yield values
                n_rows_done += len(values)
    # gzip's BadGzipFile is an OSError whose message does not name the file.
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise OSError(f"{path}: {exc}") from exc
    # pandas' ParserError and EmptyDataError are ValueErrors.
    except ValueError as exc:
        problem = _describe_first_problem(path, n_header_lines, n_rows_done)
        raise ValueError(problem or f"{path}: {exc}") from exc


def _read_numeric_csv(path, *, header=False, dtype=np.float64):
    """The whole of a numeric CSV file as one 2-D array; see _iter_numeric_csv."""
    (table,) = _iter_numeric_csv(path, header=header, dtype=dtype)
    return table
